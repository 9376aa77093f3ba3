import { Client, WorkflowNotFoundError } from '@temporalio/client';
import proto from '@temporalio/proto';
import { sql } from 'kysely';
import type { TestStack } from './stack.js';

/** What the Temporal UI (or CLI) is to the server: a client with an operator's identity, not the platform's. */
export function temporalOperator(stack: TestStack, identity = 'ops@example.com'): Client {
  return new Client({ connection: stack.temporal.connection, namespace: stack.config.temporal.namespace, identity });
}

/** The signals and updates from outside the platform audited for a playbook run or campaign: who sent which one with what. */
export async function steeringAudited(stack: TestStack, entityId: string): Promise<Array<[actor: string, message: string, input: unknown[]]>> {
  const { rows } = await sql<{ actor: string; after: { signal?: string; update?: string; input: unknown[] } }>`
    select actor, after from audit_entry where entity_id = ${entityId} and (action like '%.signal-in-engine' or action like '%.update-in-engine')
     order by (after->>'eventId')::int`.execute(stack.orm.em.fork().getKysely());
  return rows.map((r) => [r.actor, r.after.signal ? `signal ${r.after.signal}` : `update ${r.after.update}`, r.after.input]);
}

type EventId = proto.temporal.api.history.v1.IHistoryEvent['eventId'];

export interface ResetOptions {
  /** The workflow task the run runs again from (its completed event); by default its last one; 'first' as `--type FirstWorkflowTask`. */
  finishEventId?: EventId | 'first';
  /** Leave out the updates taken after that point (`--reapply-exclude Update`). */
  excludeUpdates?: boolean;
  /** Leave out the signals taken after that point (`--reapply-exclude Signal`). */
  excludeSignals?: boolean;
}

/**
 * What an operator does with `temporal workflow reset` (or Reset in the Temporal UI): the run runs again as a new execution from
 * the workflow task that ends at `finishEventId`. The new execution's run ID.
 */
export async function resetInEngine(stack: TestStack, workflowId: string, reason: string, options: ResetOptions = {}): Promise<string> {
  const operator = temporalOperator(stack, 'bob@ops.example.com');
  const handle = operator.workflow.getHandle(workflowId);
  const { runId } = await handle.describe();
  const { events } = await handle.fetchHistory();
  const tasksDone = events!.filter((e) => e.workflowTaskCompletedEventAttributes);
  const finishEventId = options.finishEventId === 'first' ? tasksDone[0].eventId : (options.finishEventId ?? tasksDone[tasksDone.length - 1].eventId);
  const { RESET_REAPPLY_EXCLUDE_TYPE_UPDATE, RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL } = proto.temporal.api.enums.v1.ResetReapplyExcludeType;
  const reset: proto.temporal.api.workflowservice.v1.IResetWorkflowExecutionResponse = await operator.workflowService.resetWorkflowExecution({
    namespace: stack.config.temporal.namespace,
    workflowExecution: { workflowId, runId },
    reason,
    workflowTaskFinishEventId: finishEventId,
    requestId: `reset-${Date.now()}`,
    resetReapplyExcludeTypes: [...(options.excludeUpdates ? [RESET_REAPPLY_EXCLUDE_TYPE_UPDATE] : []), ...(options.excludeSignals ? [RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL] : [])],
  });
  return reset.runId!;
}

/**
 * Where an operator resets a run to undo a message it took: the last workflow task completed
 * before the first event of its history that `took` matches (a signal, an update accepted).
 */
export async function taskBefore(stack: TestStack, workflowId: string, took: (event: proto.temporal.api.history.v1.IHistoryEvent) => unknown): Promise<EventId> {
  const { events } = await stack.temporal.client.workflow.getHandle(workflowId).fetchHistory();
  const at = events!.findIndex((e) => took(e));
  return events!.slice(0, at).reverse().find((e) => e.workflowTaskCompletedEventAttributes)!.eventId;
}

/** `taskBefore` the first signal, or the first update taken. */
export const beforeSignal = (e: proto.temporal.api.history.v1.IHistoryEvent) => e.workflowExecutionSignaledEventAttributes;
export const beforeUpdate = (e: proto.temporal.api.history.v1.IHistoryEvent) => e.workflowExecutionUpdateAcceptedEventAttributes;

/**
 * Deletes closed executions, as Temporal does once the namespace's retention has passed (24 h on the dev
 * server; `temporal workflow delete`), and waits until Temporal no longer knows the runs (the dev server
 * takes about half a minute).
 */
export async function deleteAsRetentionDoes(stack: TestStack, ...workflowIds: string[]): Promise<void> {
  const { client } = stack.temporal;
  for (const workflowId of workflowIds) await client.workflowService.deleteWorkflowExecution({ namespace: stack.config.temporal.namespace, workflowExecution: { workflowId } });
  const known = async (workflowId: string) => {
    try {
      await client.workflow.getHandle(workflowId).describe();
      return true;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
  };
  for (const started = Date.now(); Date.now() - started < 90_000; await new Promise((resolve) => setTimeout(resolve, 500))) {
    if (!(await Promise.all(workflowIds.map(known))).some(Boolean)) return;
  }
  throw new Error(`Temporal still knows ${workflowIds.join(', ')} 90 s after their deletion`);
}
