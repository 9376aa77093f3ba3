import type { Orm } from '../db/orm.js';
import type { Policies } from '../domain/policies/index.js';
import { createWorkerServices, type Engines, type WorkerServices } from '../services/index.js';
import type { UpdateAnswerWaits } from '../services/audit/steering-audit.service.js';
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
import { scheduledByEngine } from './step-clock.js';

/**
 * Every activity the worker registers; each is a thin call into the services built with `policies`. A playbook's
 * steps work on `stepsOrm` (the worker's pool with the steps' deadlines: `stepOrmOptions`, under their half-minute
 * attempts), the sweeps, rescore, campaign pages and erasure on `orm`, as do the account review's steps: an attempt of
 * theirs has a minute (building an offboarded customer's export, say), which those deadlines would cut short every time.
 * `answerWaits`: where steering audits keep their waits for an update's answer (the worker closes it before the databases).
 */
export function createActivities(orm: Orm, engines: Engines, policies: Policies, stepsOrm: Orm = orm, answerWaits?: UpdateAnswerWaits) {
  // Each activity call is a unit of work of its own (what outlives it, the worker's answerWaits, is drained at shutdown).
  // What a step writes carries when the engine scheduled it (a reset's hold-back compares that with the point reset to).
  const services = (): WorkerServices => createWorkerServices(orm.em.fork(), engines, policies, answerWaits, scheduledByEngine());
  const steps = (): WorkerServices => createWorkerServices(stepsOrm.em.fork(), engines, policies, answerWaits, scheduledByEngine());
  return {
    ...createPlaybookRunActivities(steps, services),
    ...createScoringActivities(services),
    ...createFairReminderActivities(steps),
    ...createFixIssueActivities(steps),
    ...createAccountReviewActivities(services),
    ...createAppreciationActivities(steps),
    ...createWelcomeCheckActivities(steps),
    ...createPlaybookTriggerActivities(services, policies),
    ...createCampaignActivities(services),
    ...createDataRetentionActivities(services),
  };
}

export type Activities = ReturnType<typeof createActivities>;
