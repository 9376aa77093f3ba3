import { allHandlersFinished, ApplicationFailure, CancellationScope, condition, defineQuery, defineSignal, defineUpdate, log, patched, proxyActivities, setCurrentDetails, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { PlaybookRunActivities } from '../src/activities/playbook-run.activities.js';
import type { WelcomeCheckActivities } from '../src/activities/welcome-check.activities.js';
import {
  confirmationProblem,
  NOT_NEW,
  signalTooLate,
  WELCOME_CHECK,
  welcomeCheckOutcome,
  type WelcomeCheckOutcome,
  type WelcomeCheckPolicy,
  type WelcomeCheckState,
  type WelcomeCheckStep,
} from '../src/domain/playbooks/welcome-check.js';
import { inputSaysOtherwise } from '../src/domain/playbooks/steering-input.js';
import { endedState, recordingCancellation, sideEffectSteps } from './cancellation.js';
import { PlaybookStepKey } from './search-attributes.js';
import { playbookStepOptions } from './activity-options.js';
import { startingCampaign } from './starting-campaign.js';
import { setRefusableUpdate } from './refusable-update.js';
import { auditSteering, ignoringUnknownSignals, signalIgnored, signalReceived } from './steering-audit.js';

const { recordRunStarted, recordRunOutcome, auditSteeringFromOutside } = proxyActivities<PlaybookRunActivities>(playbookStepOptions);
/** The welcome and the follow-up call write messages: a cancel lets one under way finish first. */
const messageSteps = sideEffectSteps<WelcomeCheckActivities>(playbookStepOptions);
const { welcomeConfirmationRefusal } = proxyActivities<WelcomeCheckActivities>(playbookStepOptions);

export interface WelcomeCheckInput {
  customerId: string;
  policy: WelcomeCheckPolicy;
}

/** The customer (or a person on their behalf) confirmed that onboarding went well. */
export const welcomeConfirmedSignal = defineSignal('welcomeConfirmed');
/** The same confirmation, answered with the run once it has recorded the outcome (the API's way); refused once the run has one or its wait is over. */
export const confirmWelcomeUpdate = defineUpdate<WelcomeCheckState>('confirmWelcome');
export const welcomeCheckStateQuery = defineQuery<WelcomeCheckState>('state');

export async function welcomeCheck(input: WelcomeCheckInput): Promise<WelcomeCheckOutcome> {
  return recordingCancellation(workflowInfo().workflowId, (keepsState) => welcomeCheckSteps(input, keepsState));
}

async function welcomeCheckSteps({ customerId, policy }: WelcomeCheckInput, keepsState: (state: WelcomeCheckState) => void): Promise<WelcomeCheckOutcome> {
  const { workflowId } = workflowInfo();
  const { welcomeCustomer, askForWelcomeFollowUp } = messageSteps();
  const state: WelcomeCheckState = { customerId, step: 'starting', confirmed: false, outcome: null, policyVersion: policy.version, deadline: null };
  setHandler(welcomeCheckStateQuery, () => state, { description: 'Step, whether the customer confirmed, and outcome' });
  keepsState(state);
  setHandler(
    welcomeConfirmedSignal,
    async (...args: unknown[]) => {
      const signal = signalReceived(welcomeConfirmedSignal.name);
      // Sent by hand once the wait is over (the outcome is `follow-up-needed`, its call task on the way), it is no confirmation
      // the run can act on: ignored, as the update's validator refuses it, and audited as sent, saying why. Runs from before took it.
      const problem = signalTooLate(state);
      // Nor is one typed with an input saying the customer is not fine ({ "confirmed": false }): the call is what they need.
      const saysNo = inputSaysOtherwise(welcomeConfirmedSignal.name, 'confirmed', args);
      if (problem && patched('late-confirmation-ignored')) {
        log.warn('welcomeConfirmed ignored', { problem });
        signalIgnored(signal, problem);
      } else if (saysNo && patched('steering-input-checked')) {
        log.warn('welcomeConfirmed ignored', { problem: saysNo });
        signalIgnored(signal, saysNo);
      } else if (patched('welcome-confirm-checks-issues')) {
        // Nor while a complaint or fix case of the customer's is open: the update is refused then, as the API refuses it
        // (runs since the check; older ones took it unchecked). The wait may end while the run looks: then it is too late.
        const refusal = await CancellationScope.nonCancellable(() => welcomeConfirmationRefusal({ customerId }));
        const why = refusal?.message ?? signalTooLate(state);
        if (why) {
          log.warn('welcomeConfirmed ignored', { problem: why });
          signalIgnored(signal, why);
        } else state.confirmed = true;
      } else state.confirmed = true;
      await auditSteering(auditSteeringFromOutside);
    },
    { description: "The new customer confirmed all is well; taken only while the run waits for it and nothing of the customer's is open (a complaint, a fix case); takes no input (one saying otherwise is ignored)" },
  );
  setRefusableUpdate(
    confirmWelcomeUpdate,
    () => confirmationProblem(state),
    async () => {
      // Taken only while nothing of the customer's is open (a complaint, a fix case), whoever sends it: typed in the Temporal
      // UI or CLI it passed no check of the API's, and the API's may meet a complaint recorded since the API checked. Refused
      // with the API's message (and its details: why, the topics). Runs since the check; older ones took it unchecked.
      if (patched('welcome-confirm-checks-issues')) {
        // A cancel at the same moment does not stop the look; the state is checked again after it (the wait over, or
        // another confirmation taken meanwhile).
        const refusal = await CancellationScope.nonCancellable(() => welcomeConfirmationRefusal({ customerId }));
        const problem = refusal?.message ?? confirmationProblem(state);
        if (problem) {
          // In the run's history (its validator passed it): audited as the operator's attempt, refused with why.
          await auditSteering(auditSteeringFromOutside);
          if (!refusal) throw ApplicationFailure.nonRetryable(problem, 'Refused');
          const { message, ...details } = refusal;
          throw ApplicationFailure.create({ message, type: 'Refused', nonRetryable: true, details: [details] });
        }
      }
      state.confirmed = true;
      await condition(() => state.step === 'done');
      await auditSteering(auditSteeringFromOutside);
      return state;
    },
    "The new customer confirmed all is well; answers once the run has recorded it; refused while a complaint or fix case of the customer's is open; takes no input (one saying otherwise is refused)",
    (args) => inputSaysOtherwise(confirmWelcomeUpdate.name, 'confirmed', args),
  );
  ignoringUnknownSignals([welcomeConfirmedSignal.name], auditSteeringFromOutside);
  const enter = (step: WelcomeCheckStep, details: string) => {
    state.step = step;
    upsertSearchAttributes([{ key: PlaybookStepKey, value: step }]);
    setCurrentDetails(details);
  };

  await recordRunStarted({ workflowId, playbook: WELCOME_CHECK, customerId, campaignId: startingCampaign() });
  // Runs started before the welcome and the follow-up call existed go on without them.
  const withMessages = patched('welcome-messages');
  if (withMessages) await welcomeCustomer({ workflowId, customerId });

  // Give the customer the policy's window to confirm; a confirmation ends the wait at once.
  state.deadline = new Date(Date.now() + policy.waitForConfirmationMs).toISOString();
  enter('awaiting-confirmation', `Waiting for the customer's confirmation until ${state.deadline}`);
  await condition(() => state.confirmed, policy.waitForConfirmationMs);

  let outcome = welcomeCheckOutcome(state.confirmed);
  enter('recording-outcome', `Outcome: ${outcome}`);
  // Silence is not ignored: a person calls before the customer quietly drifts away. Unless the customer is no newcomer
  // by now (an orders import moved the day they joined back years): the step asks for no call and says so (`not-new`);
  // the same commands either way (older steps answered nothing: they asked for the call).
  if (withMessages && outcome === 'follow-up-needed') {
    const followUp = await askForWelcomeFollowUp({ workflowId, customerId, newCustomerDays: policy.newCustomerDays });
    if (followUp?.outcome === NOT_NEW) {
      outcome = NOT_NEW;
      state.notNew = followUp.why;
    }
  }
  await recordRunOutcome({ workflowId, outcome, finalState: endedState(state, outcome) });

  state.outcome = outcome;
  // Nothing is awaited any more: the state shows no deadline, as the API does.
  state.deadline = null;
  enter('done', outcome === 'confirmed' ? 'Customer confirmed onboarding' : outcome === NOT_NEW ? `No confirmation, and no call: the customer is no newcomer (${state.notNew})` : 'No confirmation: a person follows up');
  await condition(allHandlersFinished);
  return outcome;
}
