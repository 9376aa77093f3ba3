import type { Orm } from '../db/orm.js';
import { createPlaybookRunActivities } from './playbook-run.activities.js';

/** Every activity the worker registers. */
export function createActivities(orm: Orm) {
  return { ...createPlaybookRunActivities(orm) };
}

export type Activities = ReturnType<typeof createActivities>;
