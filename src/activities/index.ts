import type { Orm } from '../db/orm.js';
import { createPlaybookRunActivities } from './playbook-run.activities.js';
import { createScoringActivities } from './scoring.activities.js';

/** Every activity the worker registers. */
export function createActivities(orm: Orm) {
  return { ...createPlaybookRunActivities(orm), ...createScoringActivities(orm) };
}

export type Activities = ReturnType<typeof createActivities>;
