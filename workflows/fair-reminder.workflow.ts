import { allHandlersFinished, condition, defineQuery, defineSignal, defineUpdate, log, patched, proxyActivities, setCurrentDetails, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { FairReminderActivities } from '../src/activities/fair-reminder.activities.js';
import type { PlaybookRunActivities } from '../src/activities/playbook-run.activities.js';
import {
  FAIR_REMINDER,
  feeFor,
  outcomeAfterSchedule,
  paymentPromisePolicy,
  promiseEndsAt,
  promiseProblem,
  reminderSchedule,
  type PaymentPromise,
  type FairReminderOutcome,
  type FairReminderPolicy,
  type FairReminderState,
  type FairReminderStep,
} from '../src/domain/playbooks/fair-reminder.js';
import { recordingCancellation, sideEffectSteps } from './cancellation.js';
import { LoyaltyBandKey, PlaybookStepKey } from './search-attributes.js';
import { startingCampaign } from './starting-campaign.js';
import { auditSteering } from './steering-audit.js';

const activityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
} as const;
const { recordRunStarted, recordRunOutcome, auditSteeringFromOutside, loadReminderContext } = proxyActivities<PlaybookRunActivities & FairReminderActivities>(activityOptions);
/** The steps that send or book something: a cancel lets one under way finish first. */
const reminderSteps = sideEffectSteps<Pick<FairReminderActivities, 'sendReminder' | 'sendReminderMessage'>>(activityOptions);

/** The channels a reminder step writes to, by name as its activity takes them (the workflow bundle loads no entity module). */
type Channel = Parameters<FairReminderActivities['sendReminderMessage']>[0]['channel'];
const EMAIL = 'email' as Channel;
const CALL = 'call' as Channel;
const LETTER = 'letter' as Channel;

/** What the operator reads when the schedule ran out unpaid, by the last step taken. */
const endedUnpaid: Partial<Record<FairReminderStep, string>> = {
  calling: 'A person follows up by phone',
  'following-up': 'Unpaid after the call: a person decides how to go on (no fee, no collections letter)',
};

export interface FairReminderInput {
  customerId: string;
  invoiceId: string;
  policy: FairReminderPolicy;
}

/** The invoice was paid in full: the run ends at once, once the invoice says so (a payment signalled by hand is checked). */
export const paymentReceivedSignal = defineSignal('paymentReceived');
export const fairReminderStateQuery = defineQuery<FairReminderState>('state');
/** The customer promised to pay by a day: nothing more is sent until it (and its grace days) have passed. */
export const promiseToPayUpdate = defineUpdate<FairReminderState, [PaymentPromise]>('promiseToPay');

export async function fairReminder(input: FairReminderInput): Promise<FairReminderOutcome> {
  return recordingCancellation(workflowInfo().workflowId, () => fairReminderSteps(input));
}

async function fairReminderSteps({ customerId, invoiceId, policy }: FairReminderInput): Promise<FairReminderOutcome> {
  const { workflowId } = workflowInfo();
  const { sendReminder, sendReminderMessage } = reminderSteps();
  const state: FairReminderState = {
    customerId,
    invoiceId,
    step: 'starting',
    loyaltyBand: null,
    remindersSent: 0,
    feesChargedMinor: 0,
    feesWaivedMinor: 0,
    paid: false,
    outcome: null,
    policyVersion: policy.version,
    deadline: null,
    promisedUntil: null,
    brokenPromises: 0,
  };
  const promisePolicy = policy.promise ?? paymentPromisePolicy;
  const enter = (step: FairReminderStep, details: string) => {
    state.step = step;
    upsertSearchAttributes([{ key: PlaybookStepKey, value: step }]);
    setCurrentDetails(details);
  };
  const finish = async (outcome: FairReminderOutcome, details: string) => {
    await recordRunOutcome({ workflowId, outcome });
    state.outcome = outcome;
    state.deadline = null;
    enter('done', details);
    await condition(allHandlersFinished);
    return outcome;
  };

  // A promise to pay holds the next step until the promised day and its grace days have passed (a later promise moves it).
  const holdWhilePromised = async () => {
    while (!state.paid && state.promisedUntil !== null && Date.now() < promiseEndsAt(state.promisedUntil, promisePolicy)) {
      const promised = state.promisedUntil;
      const endsAt = promiseEndsAt(promised, promisePolicy);
      state.deadline = new Date(endsAt).toISOString();
      enter('promised', `Promised to pay by ${promised}: nothing is sent before ${state.deadline}`);
      await condition(() => state.paid || state.promisedUntil !== promised, endsAt - Date.now());
    }
    if (state.promisedUntil !== null && !state.paid) {
      state.brokenPromises += 1;
      state.promisedUntil = null;
    }
  };

  // A promise made while the run waits for its next step holds it from that moment; runs started before this
  // (no patch marker) take it when the wait ends, as they did.
  let promiseEndsWait = false;
  const promiseShown = (until: string) =>
    state.paid || state.outcome !== null || state.promisedUntil !== until || (state.step === 'promised' && state.deadline === new Date(promiseEndsAt(until, promisePolicy)).toISOString());

  // A payment signalled by hand (the customer says they paid) ends the run only if the invoice says so; else the run goes on where it was.
  let paymentChecked = false;
  const paymentConfirmed = async (): Promise<boolean> => {
    if (!state.paid || paymentChecked) return state.paid;
    if (!patched('payment-signal-checked') || (await loadReminderContext(invoiceId)).paid) return (paymentChecked = true);
    log.warn('paymentReceived ignored: the invoice is not paid', { invoiceId });
    state.paid = false;
    return false;
  };

  // Nothing is sent before `until`; a payment ends the wait, a promise holds the run (and past `until` if it ends later).
  const waitForStep = async (until: number, action: string) => {
    const showWaiting = () => {
      state.deadline = new Date(until).toISOString();
      enter('waiting', `Waiting until ${state.deadline} before the next step (${action})`);
    };
    showWaiting();
    if (!patched('promise-holds-wait')) {
      do await condition(() => state.paid, until - Date.now());
      while (state.paid && !(await paymentConfirmed()) && Date.now() < until);
      return;
    }
    promiseEndsWait = true;
    while (Date.now() < until) {
      await condition(() => state.paid || state.promisedUntil !== null, until - Date.now());
      if (state.paid && (await paymentConfirmed())) break;
      if (state.promisedUntil === null) continue;
      await holdWhilePromised();
      if (!state.paid && Date.now() < until) showWaiting();
    }
    promiseEndsWait = false;
  };

  // Handlers once all they use is declared: a message already in the history when the run starts (one a reset
  // reapplies, or one sent before the first workflow task) is handled as its handler is set.
  setHandler(fairReminderStateQuery, () => state, { description: 'Step, loyalty band, reminders sent, fees charged and waived, deadline' });
  setHandler(
    paymentReceivedSignal,
    async () => {
      state.paid = true;
      await auditSteering(auditSteeringFromOutside);
    },
    { description: 'The invoice is paid: no further reminder; a loyal payer is thanked' },
  );
  setHandler(
    promiseToPayUpdate,
    async (promise) => {
      state.promisedUntil = promise.until;
      // In a wait the run takes the hold at once: answer with it (step `promised`, deadline when it ends).
      if (promiseEndsWait) await condition(() => promiseShown(promise.until));
      await auditSteering(auditSteeringFromOutside);
      return state;
    },
    {
      description: 'The customer promised to pay by { until: YYYY-MM-DD, recordedBy }: no reminder until that day and the grace days have passed; refused once paid or ended',
      validator: (promise) => {
        // Only a payment the run has confirmed refuses a promise: one signalled by hand is a claim until the invoice is
        // checked (a reset reapplies such a signal before the promises; the run goes on holding them if it is unpaid).
        const paid = state.paid && paymentChecked;
        const problem = promiseProblem({ paid, outcome: state.outcome }, promise.until, new Date().toISOString().slice(0, 10), promisePolicy);
        if (problem) throw new Error(problem);
      },
    },
  );

  await recordRunStarted({ workflowId, playbook: FAIR_REMINDER, customerId, campaignId: startingCampaign() });
  const context = await loadReminderContext(invoiceId);
  state.loyaltyBand = context.loyaltyBand;
  upsertSearchAttributes([{ key: LoyaltyBandKey, value: context.loyaltyBand }]);
  if (context.paid) return finish('already-paid', 'The invoice was paid before the first reminder');

  const schedule = reminderSchedule(policy, context.loyaltyBand);
  for (const step of schedule) {
    // Wait the step's time; a payment ends the wait, and the run, at once.
    if (step.waitMs > 0) await waitForStep(Date.now() + step.waitMs, step.action);
    do await holdWhilePromised();
    while (state.paid && !(await paymentConfirmed()));
    if (state.paid) break;
    if (step.action === 'reminder') {
      const reminderNumber = state.remindersSent + 1;
      const fee = feeFor(policy, context.loyaltyBand, reminderNumber);
      enter('reminding', `Reminder ${reminderNumber} (${step.template}): fee ${fee.chargedMinor}, waived ${fee.waivedMinor}`);
      const result = await sendReminder({ workflowId, invoiceId, reminderNumber, template: step.template, fee });
      if (result.paid) state.paid = paymentChecked = true;
      if (await paymentConfirmed()) break;
      state.remindersSent = reminderNumber;
      state.feesChargedMinor += fee.chargedMinor;
      state.feesWaivedMinor += fee.waivedMinor;
    } else if (step.action === 'call') {
      enter('calling', 'A person calls the customer');
      await sendReminderMessage({ workflowId, step: 'call', invoiceId, customerId, channel: CALL, template: step.template });
    } else if (step.action === 'follow-up') {
      enter('following-up', 'Still unpaid after the call: a person decides how to go on');
      await sendReminderMessage({ workflowId, step: 'follow-up', invoiceId, customerId, channel: CALL, template: step.template });
    } else {
      enter('handing-over', 'Handed over to collections');
      await sendReminderMessage({ workflowId, step: 'handover', invoiceId, customerId, channel: LETTER, template: step.template });
    }
  }

  if (!(await paymentConfirmed())) return finish(outcomeAfterSchedule(schedule), endedUnpaid[state.step] ?? 'Handed over to collections');
  if (policy.fees.feeFreeBands.includes(context.loyaltyBand)) {
    enter('thanking', 'Thanking a loyal payer');
    await sendReminderMessage({ workflowId, step: 'thank-you', invoiceId, customerId, channel: EMAIL, template: 'thank-you-payment' });
  }
  return finish('paid', 'Paid');
}
