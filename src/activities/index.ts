import type { Orm } from '../db/orm.js';
import type { Engines } from '../services/index.js';
import { createPlaybookTriggerActivities } from './playbook-triggers.activities.js';
import { createAccountReviewActivities } from './account-review.activities.js';
import { createAppreciationActivities } from './appreciation.activities.js';
import { createWelcomeCheckActivities } from './welcome-check.activities.js';
import { createCampaignActivities } from './campaign.activities.js';
import { createDataRetentionActivities } from './data-retention.activities.js';
import { createFairReminderActivities } from './fair-reminder.activities.js';
import { createFixIssueActivities } from './fix-issue.activities.js';
import { createPlaybookRunActivities } from './playbook-run.activities.js';
import { createScoringActivities } from './scoring.activities.js';

/** Every activity the worker registers. */
export function createActivities(orm: Orm, engines: Engines) {
  return { ...createPlaybookRunActivities(orm, engines), ...createScoringActivities(orm, engines), ...createFairReminderActivities(orm), ...createFixIssueActivities(orm), ...createAccountReviewActivities(orm), ...createAppreciationActivities(orm), ...createWelcomeCheckActivities(orm), ...createPlaybookTriggerActivities(orm, engines), ...createCampaignActivities(orm, engines), ...createDataRetentionActivities(orm) };
}

export type Activities = ReturnType<typeof createActivities>;
