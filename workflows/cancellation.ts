import { ActivityCancellationType, CancellationScope, CancelledFailure, isCancellation, patched, proxyActivities, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import type { PlaybookRunActivities } from '../src/activities/playbook-run.activities.js';
import type { FinalRunState, PlaybookStateSummary } from '../src/domain/playbooks/run-state.js';
import { CANCELLED_OUTCOME } from '../src/domain/playbooks/run-status.js';
import { playbookStepOptions } from './activity-options.js';
import { LoyaltyBandKey } from './search-attributes.js';

const { recordRunOutcome } = proxyActivities<PlaybookRunActivities>(playbookStepOptions);

/**
 * Runs a playbook so that an operator's cancellation (Temporal UI or GraphQL) is recorded
 * as the run's outcome before the run ends as cancelled, with the run's state as it stopped
 * (the one the playbook hands `keepsState` as it starts; its step where it stopped).
 */
export async function recordingCancellation<T>(workflowId: string, playbook: (keepsState: (state: PlaybookStateSummary) => void) => Promise<T>): Promise<T> {
  let kept: PlaybookStateSummary | null = null;
  try {
    return await playbook((state) => {
      kept = state;
    });
  } catch (error) {
    if (isCancellation(error)) {
      const finalState = kept && finalRunState({ ...(kept as PlaybookStateSummary), outcome: CANCELLED_OUTCOME, deadline: null });
      await CancellationScope.nonCancellable(() => recordRunOutcome({ workflowId, outcome: CANCELLED_OUTCOME, finalState }));
    }
    throw error;
  }
}

/**
 * The state a run ends in with `outcome`, as its `state` query answers once it has (step `done`, no
 * wait): recordRunOutcome keeps it with the run's record, which shows it once Temporal has deleted
 * the closed execution. (An activity's input: it changes none of the run's commands.)
 */
export function endedState(state: PlaybookStateSummary, outcome: string): FinalRunState {
  return finalRunState({ ...state, outcome, step: 'done', deadline: null });
}

/** A state to keep, with the run's LoyaltyBand tag (which lists show for most playbooks) as it is now. */
function finalRunState(state: PlaybookStateSummary): FinalRunState {
  return { ...state, loyaltyBandTag: workflowInfo().typedSearchAttributes.get(LoyaltyBandKey) ?? null };
}

/**
 * The steps of a playbook that write to the customer's world (messages, fees, cases, tier or
 * status). On a cancel, a step under way finishes before the run winds down
 * (WAIT_CANCELLATION_COMPLETED, as the rescore's steps): what it wrote is then there for the
 * winding down to hold back or close, and the run does not end with a step still writing.
 * The run then winds down at once, its state left at the step (not moved on as if it had
 * gone on). (The step itself writes nothing once the run's record no longer says running:
 * see `runStillRunning`.) A step that fails after the cancel (its attempt timed out; Temporal
 * retries no step of a run being cancelled) ends the run as cancelled too, not failed. Runs started before this (no marker) are cancelled at once, as they
 * were. Call the returned function in the workflow, before its first step.
 * `standsDespiteCancel`: asked of a step that settled after a cancel, with its name and result: true when what it did
 * stands (an offboarding carried out: the contract has ended), so the run goes on with the result and winds down as it
 * says, instead of ending cancelled.
 */
export function sideEffectSteps<A>(options: ActivityOptions, standsDespiteCancel?: (step: string, result: unknown) => boolean): () => ReturnType<typeof proxyActivities<A>> {
  const settling = proxyActivities<A>({ ...options, cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED });
  const settled = new Proxy(settling, {
    get:
      (steps, name) =>
      async (...args: unknown[]) => {
        let result: unknown;
        try {
          result = await (steps as Record<string | symbol, (...a: unknown[]) => Promise<unknown>>)[name](...args);
        } catch (error) {
          // After a cancel, a step's attempt that fails (timed out behind a lock, a slow gateway) is not retried: the step is
          // over, and the cancel is what ends the run (recorded, its case closed), not the step's failure. Whatever the step
          // still writes finds the run no longer running (`runStillRunning`). Runs before this marker failed instead.
          if (CancellationScope.current().consideredCancelled && !isCancellation(error) && patched('step-failure-after-cancel-cancels')) {
            throw new CancelledFailure('The run was cancelled while this step ran; the step failed after the cancel and was not retried');
          }
          throw error;
        }
        if (CancellationScope.current().consideredCancelled && !standsDespiteCancel?.(String(name), result)) throw new CancelledFailure('The run was cancelled while this step ran; the step settled first');
        return result;
      },
  });
  const atOnce = proxyActivities<A>(options);
  return () => (patched('steps-settle-before-cancel') ? settled : atOnce);
}
