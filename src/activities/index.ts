import type { Orm } from '../db/orm.js';
import { createFairReminderActivities } from './fair-reminder.activities.js';
import { createPlaybookRunActivities } from './playbook-run.activities.js';
import { createScoringActivities } from './scoring.activities.js';

/** Every activity the worker registers. */
export function createActivities(orm: Orm) {
  return { ...createPlaybookRunActivities(orm), ...createScoringActivities(orm), ...createFairReminderActivities(orm) };
}

export type Activities = ReturnType<typeof createActivities>;
