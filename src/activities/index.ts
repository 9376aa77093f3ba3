import type { Orm } from '../db/orm.js';
import type { Policies } from '../domain/policies/index.js';
import { createWorkerServices, type Engines, type WorkerServices } from '../services/index.js';
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

/** Every activity the worker registers; each is a thin call into the services built with `policies`. */
export function createActivities(orm: Orm, engines: Engines, policies: Policies) {
  // Each activity call is a unit of work of its own.
  const services = (): WorkerServices => createWorkerServices(orm.em.fork(), engines, policies);
  return {
    ...createPlaybookRunActivities(services),
    ...createScoringActivities(services),
    ...createFairReminderActivities(services),
    ...createFixIssueActivities(services),
    ...createAccountReviewActivities(services),
    ...createAppreciationActivities(services),
    ...createWelcomeCheckActivities(services),
    ...createPlaybookTriggerActivities(services, policies),
    ...createCampaignActivities(services),
    ...createDataRetentionActivities(services),
  };
}

export type Activities = ReturnType<typeof createActivities>;
