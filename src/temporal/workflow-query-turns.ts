import { PlaybookException, PlaybookExceptionCode } from '../services/playbooks/playbook.exception.js';
import { Turns, type Refusal } from '../services/common/turns.js';

/**
 * How many queries of playbook runs and campaigns (a run's live state, a campaign's progress) an API process sends to
 * Temporal at once. Each is answered by the worker running the workflow (replaying it when not cached) in a
 * workflow-task slot, the slots the playbooks' own timers, signals and updates need: a page of runs (or a few pages at
 * once) asks as fast as these places free, instead of hundreds at once that hold every slot and time out.
 */
export const WORKFLOW_QUERIES_AT_ONCE = 20;
/**
 * How many queries may wait for a place: a few requests' worth at the most a request may ask for (the cost limit
 * prices a run's live state so that about 240 fit in one); more are refused at once (UNAVAILABLE,
 * PLAYBOOK_ENGINE_BUSY: try again shortly) rather than queued without end.
 */
export const WORKFLOW_QUERIES_WAITING = 1_000;
/** How long a query waits for a place at the most, before it is refused as busy too; its own deadline starts once it has one. */
export const WORKFLOW_QUERY_WAIT_MS = 10_000;

/** The refusal of a query that found no place: the engine is busy answering others, nothing is wrong with the run. */
export function workflowQueriesBusy(why: Refusal): PlaybookException {
  const message =
    why === 'too-many-waiting'
      ? `The playbook engine is busy: ${WORKFLOW_QUERIES_WAITING} queries of runs' live state wait for their turn already; try again shortly, or ask for fewer runs' state`
      : `The playbook engine is busy: a query of a run's live state waited ${WORKFLOW_QUERY_WAIT_MS / 1000} s for its turn; try again shortly, or ask for fewer runs' state`;
  return new PlaybookException(PlaybookExceptionCode.EngineBusy, message, { refused: why });
}

/** Places for the queries of runs and campaigns: one set per process, shared by its engines (tests give their own). */
export const workflowQueryTurns = new Turns(WORKFLOW_QUERIES_AT_ONCE, WORKFLOW_QUERIES_WAITING, workflowQueriesBusy, WORKFLOW_QUERY_WAIT_MS);
