import proto from '@temporalio/proto';
import type { UpdateOutcome } from '../services/engines/playbook-engine.js';
import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription, type WorkflowExecutionStatusName } from '@temporalio/client';
import type { QueryDefinition, SignalDefinition } from '@temporalio/common';
import { tsToDate } from '@temporalio/common/lib/time.js';
import type { StartedBy, SteeringFromOutside } from '../services/audit/steering-audit.service.js';
import { LoyaltyBandKey } from '../../workflows/search-attributes.js';

/** A run's answer to a query; null when no such run exists. */
export async function queryOrNull<T>(client: Client, workflowId: string, query: QueryDefinition<T>): Promise<T | null> {
  try {
    return await client.workflow.getHandle(workflowId).query(query);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
}

/** How this platform's own clients name themselves to Temporal (`connectTemporal`). */
export const PLATFORM_IDENTITY_PREFIX = 'retention-platform:';

/**
 * The signals and updates a run took from anyone but this platform (an operator in the Temporal
 * UI or CLI), in the order taken, with who sent them (the identity Temporal recorded) and their input.
 */
export async function steeringFromOutside(client: Client, workflowId: string, runId: string): Promise<SteeringFromOutside[]> {
  const events = (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
  const { payloadConverter } = client.options.loadedDataConverter;
  const decoded = (payloads: Array<Parameters<typeof payloadConverter.fromPayload>[0]> | null | undefined) => (payloads ?? []).map((p) => payloadConverter.fromPayload(p));
  const fromOutside = (identity: string | null | undefined) => !identity?.startsWith(PLATFORM_IDENTITY_PREFIX);
  const { takenBefore, appliedAgain } = resetHistory(events, runId);
  // Each signal's place among the run's signals of its name (its handler's turn), counted before any is left out.
  const ordinals = new Map<string, number>();
  const seenOfName = new Map<string, number>();
  for (const event of events) {
    const name = event.workflowExecutionSignaledEventAttributes?.signalName;
    if (name === undefined || name === null) continue;
    seenOfName.set(name, (seenOfName.get(name) ?? 0) + 1);
    ordinals.set(String(event.eventId), seenOfName.get(name)!);
  }
  // How the run answered each update it has answered (refused: its handler threw, with why).
  const answers = new Map<string, { refused: string | null }>();
  for (const event of events) {
    const completed = event.workflowExecutionUpdateCompletedEventAttributes;
    if (completed?.meta?.updateId) answers.set(completed.meta.updateId, { refused: completed.outcome?.failure ? completed.outcome.failure.message || 'refused' : null });
  }
  return events.filter((event) => !takenBefore.has(String(event.eventId))).flatMap((event): SteeringFromOutside[] => {
    const common = { eventId: Number(event.eventId), at: tsToDate(event.eventTime!), ...(appliedAgain.ids.has(String(event.eventId)) ? { appliedAgainFrom: appliedAgain.from! } : {}) };
    const signal = event.workflowExecutionSignaledEventAttributes;
    if (signal && fromOutside(signal.identity)) return [{ ...common, via: 'signal', name: signal.signalName ?? '', nameOrdinal: ordinals.get(String(event.eventId)), by: signal.identity || null, input: decoded(signal.input?.payloads) }];
    const update = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest;
    if (update && fromOutside(update.meta?.identity)) {
      const updateId = update.meta?.updateId ?? undefined;
      const answer = updateId === undefined ? undefined : answers.get(updateId);
      return [{ ...common, via: 'update', name: update.input?.name ?? '', by: update.meta?.identity || null, input: decoded(update.input?.args?.payloads), updateId, ...(answer ? { answer } : {}) }];
    }
    const cancel = event.workflowExecutionCancelRequestedEventAttributes;
    if (cancel && fromOutside(cancel.identity)) return [{ ...common, via: 'cancel', name: 'cancel', by: cancel.identity || null, input: [], reason: cancel.cause || null }];
    return [];
  });
}

/**
 * Who started the run and with what, as the first event of execution `runId`'s history says (a reset execution's is its
 * original's): the identity Temporal recorded of the starter, whether that is one of this platform's clients, the
 * start's input as given, and the execution the start began (the original one, through resets).
 */
export async function howStarted(client: Client, workflowId: string, runId: string): Promise<StartedBy | null> {
  let response: proto.temporal.api.workflowservice.v1.IGetWorkflowExecutionHistoryResponse;
  try {
    response = await client.workflowService.getWorkflowExecutionHistory({ namespace: client.options.namespace, execution: { workflowId, runId }, maximumPageSize: 1 });
  } catch (error) {
    if ((error as { code?: number }).code === grpcNotFound) return null;
    throw error;
  }
  const first = response.history?.events?.[0];
  const started = first?.workflowExecutionStartedEventAttributes;
  if (!first || !started) return null;
  const { payloadConverter } = client.options.loadedDataConverter;
  return {
    by: started.identity || null,
    byPlatform: !!started.identity?.startsWith(PLATFORM_IDENTITY_PREFIX),
    input: (started.input?.payloads ?? []).map((p) => payloadConverter.fromPayload(p)),
    at: tsToDate(first.eventTime!),
    originalRunId: started.originalExecutionRunId || runId,
  };
}

/** The execution a reset started execution `runId` from, and where its own events begin (its reset's event); null for one no reset started. */
export async function resetOrigin(client: Client, workflowId: string, runId: string): Promise<{ runId: string; fromEventId: number } | null> {
  const events = (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
  const marker = events.find((e) => e.workflowTaskFailedEventAttributes?.cause === RESET_WORKFLOW && e.workflowTaskFailedEventAttributes.newRunId === runId);
  return marker?.workflowTaskFailedEventAttributes?.baseRunId ? { runId: marker.workflowTaskFailedEventAttributes.baseRunId, fromEventId: Number(marker.eventId) } : null;
}

const { UPDATE_ADMITTED_EVENT_ORIGIN_REAPPLY: REAPPLIED } = proto.temporal.api.enums.v1.UpdateAdmittedEventOrigin;

/**
 * A reset run's history holds the events of the run it was reset from up to the point reset to
 * (`takenBefore`: that run took and audited what they steered), then the signals and updates the
 * reset applied again, right after the reset's event. An update applied again is admitted there
 * (its origin says so) and taken by the run's next task, which that run had audited too
 * (`takenBefore`). A signal applied again (`appliedAgain`) that run may never have taken (its
 * tasks failing, the usual reason to reset): it is named with the run and the point it came from,
 * for the audit to match it against what that run audited. Empty for a run no reset started.
 */
function resetHistory(events: proto.temporal.api.history.v1.IHistoryEvent[], runId: string): { takenBefore: Set<string>; appliedAgain: { ids: Set<string>; from: { runId: string; fromEventId: number } | null } } {
  const marker = events.findIndex((e) => e.workflowTaskFailedEventAttributes?.cause === RESET_WORKFLOW && e.workflowTaskFailedEventAttributes.newRunId === runId);
  if (marker < 0) return { takenBefore: new Set(), appliedAgain: { ids: new Set(), from: null } };
  let first = marker + 1;
  while (first < events.length && (events[first].workflowExecutionSignaledEventAttributes || events[first].workflowExecutionUpdateAdmittedEventAttributes)) first++;
  const block = events.slice(marker + 1, first);
  const readmitted = new Set(block.flatMap((e) => (e.workflowExecutionUpdateAdmittedEventAttributes?.origin === REAPPLIED ? [String(e.eventId)] : [])));
  const takenAgain = events.slice(first).filter((e) => readmitted.has(String(e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequestSequencingEventId)));
  const from = { runId: events[marker].workflowTaskFailedEventAttributes!.baseRunId ?? '', fromEventId: Number(events[marker].eventId) };
  return {
    takenBefore: new Set([...events.slice(0, marker + 1), ...takenAgain].map((e) => String(e.eventId))),
    appliedAgain: { ids: new Set(block.filter((e) => e.workflowExecutionSignaledEventAttributes).map((e) => String(e.eventId))), from },
  };
}

/** Signals a run; false when it does not exist or has already finished. */
export async function signalOrFalse<Args extends unknown[]>(client: Client, workflowId: string, signal: SignalDefinition<Args>, ...args: Args): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).signal(signal, ...args);
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

/** gRPC's NOT_FOUND: no run under this ID. */
const grpcNotFound = 5;

/** The run as Temporal describes it (status, close time, ...); null when it does not exist. */
export async function describeOrNull(client: Client, workflowId: string): Promise<WorkflowExecutionDescription | null> {
  try {
    return await client.workflow.getHandle(workflowId).describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
}

/** Whether the run is running now, or how it ended; null when it does not exist. */
export async function executionStatus(client: Client, workflowId: string): Promise<WorkflowExecutionStatusName | null> {
  return (await executionFacts(client, workflowId))?.status ?? null;
}

/** `executionStatus`, when it closed (null while it runs), and when the run was last reset in the engine (null: never); null when it does not exist. */
export async function executionFacts(client: Client, workflowId: string): Promise<{ status: WorkflowExecutionStatusName; closedAt: Date | null; lastResetAt: Date | null; loyaltyBand: string | null } | null> {
  const described = await describeOrNull(client, workflowId);
  if (!described) return null;
  const reset = described.raw.workflowExtendedInfo?.lastResetTime;
  return { status: described.status.name, closedAt: described.closeTime ?? null, lastResetAt: reset ? tsToDate(reset) : null, loyaltyBand: described.typedSearchAttributes.get(LoyaltyBandKey) ?? null };
}

/** How a run's execution closed other than by completing, as its history says (a closing the run's own code did not record, or a cancel). */
export interface ClosedHow {
  /** The reason given (a termination, a cancel request) or what failed. */
  reason: string | null;
  /** Who ended it (the identity Temporal recorded on the termination or the cancel request); null when nobody did (it failed, timed out). */
  by: string | null;
  status: 'cancelled' | 'terminated' | 'failed' | 'timed_out';
  /** When it happened: the termination, the cancel request (when the run closed as cancelled), the failure or time-out. */
  at: Date;
}

/**
 * How the run ended, as its last events say: the reason given and who gave it (a termination,
 * or a cancel request), or what failed, and when; null when it has not ended so or does not exist.
 * Of its current execution, or of execution `runId` (one a reset has replaced since).
 */
export async function howEnded(client: Client, workflowId: string, runId?: string): Promise<ClosedHow | null> {
  const { namespace } = client.options;
  try {
    // Read from the end of its history: the closing event, and for a cancel the request before it (the run's last steps, and any retries, lie between).
    let nextPageToken: Uint8Array | undefined;
    let cancelledAt: Date | null = null;
    for (let page = 0; page < 10; page++) {
      const response = await client.workflowService.getWorkflowExecutionHistoryReverse({ namespace, execution: { workflowId, ...(runId ? { runId } : {}) }, maximumPageSize: 100, nextPageToken });
      for (const event of response.history?.events ?? []) {
        const at = tsToDate(event.eventTime!);
        if (cancelledAt) {
          const request = event.workflowExecutionCancelRequestedEventAttributes;
          if (request) return { reason: request.cause || null, by: request.identity || null, status: 'cancelled', at };
          continue;
        }
        const terminated = event.workflowExecutionTerminatedEventAttributes;
        if (terminated) return { reason: terminated.reason || null, by: terminated.identity || null, status: 'terminated', at };
        const failed = event.workflowExecutionFailedEventAttributes;
        if (failed) return { reason: failed.failure?.message || null, by: null, status: 'failed', at };
        if (event.workflowExecutionTimedOutEventAttributes) return { reason: 'it ran longer than its execution timeout', by: null, status: 'timed_out', at };
        if (!event.workflowExecutionCanceledEventAttributes) return null;
        cancelledAt = at;
      }
      if (!response.nextPageToken?.length) break;
      nextPageToken = response.nextPageToken;
    }
    return cancelledAt ? { reason: null, by: null, status: 'cancelled', at: cancelledAt } : null;
  } catch (error) {
    if ((error as { code?: number }).code === grpcNotFound) return null;
    throw error;
  }
}

/** Whether this platform asked the run to stop at `since` or later (a cancel request in its history, from one of its processes); false when the run does not exist. */
export async function cancelRequestedByPlatform(client: Client, workflowId: string, since: Date): Promise<boolean> {
  const { namespace } = client.options;
  try {
    // From the end of its history, where a cancel request lies (only its wind-down's steps come after it).
    let nextPageToken: Uint8Array | undefined;
    for (let page = 0; page < 10; page++) {
      const response = await client.workflowService.getWorkflowExecutionHistoryReverse({ namespace, execution: { workflowId }, maximumPageSize: 100, nextPageToken });
      for (const event of response.history?.events ?? []) {
        const request = event.workflowExecutionCancelRequestedEventAttributes;
        if (request?.identity?.startsWith(PLATFORM_IDENTITY_PREFIX) && event.eventTime && tsToDate(event.eventTime) >= since) return true;
      }
      if (!response.nextPageToken?.length) return false;
      nextPageToken = response.nextPageToken;
    }
    return false;
  } catch (error) {
    if ((error as { code?: number }).code === grpcNotFound) return false;
    throw error;
  }
}

const { WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW: RESET_WORKFLOW } = proto.temporal.api.enums.v1.WorkflowTaskFailedCause;

/** The identity Temporal's history service writes on the events it makes itself (a reset's): not who asked for it. */
const SERVER_IDENTITY = 'history-service';
/** The identity Temporal writes on the termination of the execution under way that a reset replaced: the reset's own doing, not anyone's end of the run. */
export const RESETTER_IDENTITY = 'history-resetter';

/**
 * The reset that started this run of the workflow (`temporal workflow reset`, or Reset in the
 * Temporal UI): when, the reason given and who gave it, as the run's history keeps them (the
 * workflow task the reset failed, cause RESET_WORKFLOW, naming this run as the new one); null
 * when the run was not started by a reset or does not exist. `replacedRunId`: the execution it
 * was reset from (whose end, if it had ended, the reset undid). Temporal's server records its own
 * identity there, not the caller's: `by` is null then. One call for a run never reset (the
 * reconciliation asks about candidates every pass until they are recorded).
 */
export async function howReset(client: Client, workflowId: string, runId: string): Promise<{ at: Date; from: Date; reason: string | null; by: string | null; replacedRunId: string | null } | null> {
  const { namespace } = client.options;
  try {
    // A run never reset says so in its description: its history is read only after a reset.
    const described = await client.workflowService.describeWorkflowExecution({ namespace, execution: { workflowId, runId } });
    if (!described.workflowExtendedInfo?.lastResetTime) return null;
    let nextPageToken: Uint8Array | undefined;
    // The reset's event follows the events copied from the run it was reset from (the last of them the
    // start of the workflow task reset to: `from`): from the start, a page at a time.
    let previous: Date | null = null;
    for (let page = 0; page < 20; page++) {
      const response = await client.workflowService.getWorkflowExecutionHistory({ namespace, execution: { workflowId, runId }, maximumPageSize: 200, nextPageToken });
      for (const event of response.history?.events ?? []) {
        const failed = event.workflowTaskFailedEventAttributes;
        const at = tsToDate(event.eventTime!);
        if (failed?.cause !== RESET_WORKFLOW || failed.newRunId !== runId) {
          previous = at;
          continue;
        }
        const identity = failed.identity && failed.identity !== SERVER_IDENTITY ? failed.identity : null;
        return { at, from: previous ?? at, reason: failed.failure?.message || null, by: identity, replacedRunId: failed.baseRunId || null };
      }
      if (!response.nextPageToken?.length) break;
      nextPageToken = response.nextPageToken;
    }
    return null;
  } catch (error) {
    if ((error as { code?: number }).code === grpcNotFound) return null;
    throw error;
  }
}

const { UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED: ADMITTED, UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED: COMPLETED } =
  proto.temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage;

/**
 * Temporal's answer to a poll of update `updateId` (of execution `runId`, else the current one) until it reaches `stage`:
 * whether the run has answered it, and if it refused it, why (the message of the failure its handler threw); null when
 * the engine does not know the update.
 */
async function pollUpdate(
  client: Client,
  workflowId: string,
  updateId: string,
  runId: string | undefined,
  stage: typeof ADMITTED | typeof COMPLETED,
): Promise<{ answered: boolean; refused: string | null } | null> {
  try {
    const response = await client.workflowService.pollWorkflowExecutionUpdate({
      namespace: client.options.namespace,
      updateRef: { workflowExecution: { workflowId, ...(runId ? { runId } : {}) }, updateId },
      identity: client.options.identity,
      waitPolicy: { lifecycleStage: stage },
    });
    if (!response.outcome) return { answered: false, refused: null };
    return { answered: true, refused: response.outcome.success ? null : response.outcome.failure?.message || 'refused' };
  } catch (error) {
    if ((error as { code?: number }).code === grpcNotFound) return null;
    throw error;
  }
}

/**
 * What became of an update sent earlier whose answer did not come in time: `taken` (the run
 * answered it), `not-taken` (the run refused it, or it never reached the run and will not: the
 * engine does not know it), `pending` (admitted, waiting for a worker).
 */
export async function updateOutcome(client: Client, workflowId: string, updateId: string, runId?: string): Promise<UpdateOutcome> {
  // The stage it has reached now, without waiting for it to complete (an outcome comes with the answer once the run has answered).
  const polled = await pollUpdate(client, workflowId, updateId, runId, ADMITTED);
  if (!polled) return { outcome: 'not-taken', refused: null };
  if (!polled.answered) return { outcome: 'pending' };
  return polled.refused === null ? { outcome: 'taken' } : { outcome: 'not-taken', refused: polled.refused };
}

/**
 * How a run answered an update of its execution `runId` (refused: the message of the failure its handler threw), waiting
 * a while (Temporal's long poll) for the answer; null when none came meanwhile or the update is not known.
 */
export async function updateAnswer(client: Client, workflowId: string, runId: string, updateId: string): Promise<{ refused: string | null } | null> {
  const polled = await pollUpdate(client, workflowId, updateId, runId, COMPLETED);
  return polled?.answered ? { refused: polled.refused } : null;
}

/** Whether the run is running now (false: it has ended, or it does not exist). */
export async function isRunning(client: Client, workflowId: string): Promise<boolean> {
  return (await executionStatus(client, workflowId)) === 'RUNNING';
}

/** Requests cancellation of a running run (its workflow decides how to wind down); false when it does not exist or has already finished. */
export async function cancelIfRunning(client: Client, workflowId: string): Promise<boolean> {
  if (!(await isRunning(client, workflowId))) return false;
  try {
    await client.workflow.getHandle(workflowId).cancel();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}
