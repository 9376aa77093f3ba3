import { allHandlersFinished, ApplicationFailure, condition, defineQuery, defineSignal, defineUpdate, patched, proxyActivities, setCurrentDetails, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { FairReminderActivities } from '../src/activities/fair-reminder.activities.js';
import type { PlaybookRunActivities } from '../src/activities/playbook-run.activities.js';
import {
  costsThePayer,
  FAIR_REMINDER,
  feeFor,
  outcomeAfterSchedule,
  promisePolicyOf,
  promiseProblem,
  PROMISE_AFTER_END,
  promiseWhileDisputed,
  reminderSchedule,
  reminderStepAt,
  stepAfterReminders,
  type PaymentPromise,
  type FairReminderOutcome,
  type FairReminderPolicy,
  type FairReminderState,
  type FairReminderStep,
  withLoyalFeeFree,
} from '../src/domain/playbooks/fair-reminder.js';
import type { FeeDecision, LoyaltyBand } from '../src/domain/guards/fairness.js';
import { endedState, recordingCancellation, sideEffectSteps } from './cancellation.js';
import { PaymentWatch } from './payment-watch.js';
import { LoyaltyBandKey, PlaybookStepKey } from './search-attributes.js';
import { startingCampaign } from './starting-campaign.js';
import { auditSteering, ignoringUnknownSignals, signalReceived } from './steering-audit.js';
import { playbookStepOptions } from './activity-options.js';

const { recordRunStarted, recordRunOutcome, auditSteeringFromOutside, loadReminderContext, holdBackForPromise, reminderHeldByPromise, recordLoyaltyBandRaised, recordPromiseLapsed, recordPromiseSuperseded, invoiceDispute } = proxyActivities<PlaybookRunActivities & FairReminderActivities>(playbookStepOptions);
/** The steps that send or book something: a cancel lets one under way finish first. */
const reminderSteps = sideEffectSteps<Pick<FairReminderActivities, 'sendReminder' | 'sendReminderMessage'>>(playbookStepOptions);

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
  /**
   * A promise to pay the customer made to the person their last reminder run handed the invoice to (a call):
   * the run starts holding it, so nothing is sent until it lapses unpaid. Absent in every other run (and in
   * runs started before a promise could start one), which go as they did.
   */
  promise?: PaymentPromise;
}

/** The invoice was paid in full: the run ends at once, once the invoice says so (a payment signalled by hand is checked). */
export const paymentReceivedSignal = defineSignal('paymentReceived');
export const fairReminderStateQuery = defineQuery<FairReminderState>('state');
/** The customer disputed the invoice, or the dispute was resolved: the run reads which from the invoice (disputeInvoice, resolveDispute send it). */
export const disputeChangedSignal = defineSignal('disputeChanged');
/** The customer promised to pay by a day: nothing more is sent until it (and its grace days) have passed. */
export const promiseToPayUpdate = defineUpdate<FairReminderState, [PaymentPromise]>('promiseToPay');

export async function fairReminder(input: FairReminderInput): Promise<FairReminderOutcome> {
  return recordingCancellation(workflowInfo().workflowId, (keepsState) => fairReminderSteps(input, keepsState));
}

async function fairReminderSteps({ customerId, invoiceId, policy: typed, promise }: FairReminderInput, keepsState: (state: FairReminderState) => void): Promise<FairReminderOutcome> {
  const { workflowId } = workflowInfo();
  // One typed by hand without a policy, or with one missing its fees, gets as far as its start's check (below), which puts
  // the deployment's in its place, instead of failing its first task for good.
  const given = (typed ?? {}) as FairReminderPolicy;
  const feeFreeBands: unknown = given.fees?.feeFreeBands;
  // A loyal payer pays no reminder fee, whatever the policy the run was started with says (one typed by hand in the
  // Temporal UI may leave them out); runs started before this marker with such a policy followed it.
  let policy = Array.isArray(feeFreeBands) && !feeFreeBands.includes('loyal') && patched('loyal-never-charged') ? withLoyalFeeFree(given) : given;
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
    paidUnchecked: false,
    outcome: null,
    policyVersion: policy.version,
    deadline: null,
    promisedUntil: promise?.until ?? null,
    brokenPromises: 0,
  };
  const enter = (step: FairReminderStep, details: string) => {
    state.step = step;
    upsertSearchAttributes([{ key: PlaybookStepKey, value: step }]);
    setCurrentDetails(details);
  };
  /** The run records its end: nothing it takes now would hold anything (a promise is refused, as once it has ended). */
  let ending = false;
  const finish = async (outcome: FairReminderOutcome, details: string) => {
    ending = true;
    await recordRunOutcome({ workflowId, outcome, finalState: endedState(state, outcome) });
    state.outcome = outcome;
    state.deadline = null;
    enter('done', details);
    await condition(allHandlersFinished);
    return outcome;
  };
  // Its own copy: a policy not taken at the start (below) is replaced in it, where the promise's handlers read it.
  const promisePolicy = { ...promisePolicyOf(policy) };
  const payment = new PaymentWatch(
    state,
    promisePolicy,
    enter,
    async () => (await loadReminderContext(invoiceId)).paid,
    () => auditSteering(auditSteeringFromOutside),
    (until, brokenPromises) => recordPromiseLapsed({ workflowId, invoiceId, until, brokenPromises }),
  );
  // A dispute of the invoice holds the run before each step until it is resolved; runs from before this marker never held for one.
  const disputeAware = patched('dispute-holds');
  /** A dispute was opened or resolved since the run last read the invoice's: a wait ends early to read it. */
  let disputeNews = false;
  // A dispute coming while a promise to pay holds the run ends that hold, and the promise gives way to the dispute: its day
  // falling inside the dispute is no broken promise (the customer owes nothing as billed until it is resolved). Runs from
  // before this marker held the promise through the dispute, showing it, and counted it broken once its day had passed.
  const disputeSupersedesPromise = disputeAware && patched('dispute-supersedes-promise');
  if (disputeSupersedesPromise) payment.interruptPromiseWhen(() => disputeNews);
  // Started with a promise: the run holds from its start (its first step waits for the promise, as any step does), and says so at once.
  if (promise) payment.showPromised(promise.until);

  // Handlers once all they use is declared: a message already in the history when the run starts (one a reset
  // reapplies, or one sent before the first workflow task) is handled as its handler is set.
  setHandler(fairReminderStateQuery, () => state, { description: 'Step, loyalty band, reminders sent, fees charged and waived, deadline' });
  keepsState(state);
  setHandler(
    paymentReceivedSignal,
    async () => {
      payment.claimPaid(signalReceived(paymentReceivedSignal.name));
      await auditSteering(auditSteeringFromOutside);
    },
    {
      // What an operator reads in the Temporal UI before sending it: it is a claim the run checks, not a way to stop the reminders.
      description:
        'The invoice is paid: taken only once the invoice shows paid in the billing data (record the payment first, with recordPayment or an import, which sends this signal itself); the run then ends, a loyal payer thanked. A claim for an invoice still unpaid (the customer says they paid) is ignored and audited, and the reminders go on',
    },
  );
  setHandler(
    promiseToPayUpdate,
    async (promise) => {
      // Come while the run records its end (the validator let it pass: no outcome yet), a promise would be taken and then
      // dropped: refused as one after the end, so the API starts the next run holding it (a run that ended with a person).
      // Runs from before this marker took it and ended without it.
      if (ending && patched('promise-refused-while-ending')) {
        // A promise an operator typed in the Temporal UI then is in the run's history all the same: it asks for its audit
        // before refusing, so the attempt is audited under its sender and marked refused (`not-taken`), never lost and
        // never read as a promise. Runs from before this marker refused it unaudited.
        if (patched('refused-promise-audited')) await auditSteering(auditSteeringFromOutside);
        throw ApplicationFailure.nonRetryable(PROMISE_AFTER_END.message, PROMISE_AFTER_END.type);
      }
      // While the run holds for the customer's dispute, a promise (an operator's in the Temporal UI: the API refuses one while
      // the dispute is open) is refused as the API refuses it, audited as refused: its day falling inside the dispute would be
      // counted a broken promise once the dispute is rejected. The invoice decides, read now: the API's promise right after
      // the dispute's resolution comes before the run has heard of it. Runs from before this marker took it.
      if (state.disputedSince != null && patched('promise-refused-while-disputed')) {
        const dispute = await invoiceDispute(invoiceId);
        if (dispute.disputedSince !== null && !dispute.paid) {
          await auditSteering(auditSteeringFromOutside);
          const refusal = promiseWhileDisputed(dispute.disputedSince);
          throw ApplicationFailure.nonRetryable(refusal.message, refusal.type);
        }
      }
      // In a wait the run takes the hold at once: answer with it (step `promised`, deadline when it ends).
      if (payment.takePromise(promise.until)) await condition(() => payment.shows(promise.until));
      // A reminder already queued (held for the customer's quiet hours) is not sent either, whoever took the promise
      // (the API, or an operator in the Temporal UI); runs from before this marker had the API do it.
      if (patched('promise-holds-queued')) await holdBackForPromise({ workflowId, until: promise.until });
      await auditSteering(auditSteeringFromOutside);
      return state;
    },
    {
      // recordedBy typed here is never an actor (the audit names the sender Temporal records), unlike decideOffboarding's decidedBy, under
      // which a notice is audited: a note, not checked (a validator may not be tightened for runs under way).
      description:
        'The customer promised to pay by { until: YYYY-MM-DD, recordedBy }: no reminder until that day and the grace days have passed; refused once paid or ended. recordedBy is a note kept as typed, not checked: the audit log records who sent the update',
      validator: (promise) => {
        // A reset reapplies a payment signalled by hand before the promises: the run goes on holding them if it is unpaid.
        // Typed by hand, the input may be null or missing: refused with what a promise is, not a TypeError.
        const problem = promiseProblem({ paid: payment.confirmedPaid, outcome: state.outcome }, (promise as PaymentPromise | null | undefined)?.until, new Date().toISOString().slice(0, 10), promisePolicy);
        if (problem) throw new Error(problem);
      },
    },
  );
  setHandler(
    disputeChangedSignal,
    () => {
      disputeNews = true;
    },
    { description: "The invoice's dispute was opened or resolved (disputeInvoice and resolveDispute send it): the run reads the invoice, holding while a dispute is open" },
  );
  ignoringUnknownSignals([paymentReceivedSignal.name, disputeChangedSignal.name], auditSteeringFromOutside);

  // (Undefined in histories from before the step said what the run goes by.)
  const started: Awaited<ReturnType<typeof recordRunStarted>> | undefined = await recordRunStarted({ workflowId, playbook: FAIR_REMINDER, customerId, campaignId: startingCampaign() });
  // A run started in the Temporal UI or CLI with a policy harsher on the payer than the deployment's (shorter waits, higher
  // fees: typed by hand) goes by the deployment's instead, before it sends anything; its start's audit entry says the
  // given one was not taken, and why. Runs from before this marker followed the policy they were given.
  if (started?.policyInstead && patched('engine-start-policy-checked')) {
    policy = withLoyalFeeFree(started.policyInstead as FairReminderPolicy);
    state.policyVersion = policy.version;
    Object.assign(promisePolicy, promisePolicyOf(policy));
    setCurrentDetails(`Started in the Temporal UI or CLI with a policy harsher than the deployment's: going by the deployment's (version ${policy.version}); see the audit log`);
  }
  const context = await loadReminderContext(invoiceId);
  /** The band the run follows: the one read at its start, raised on the way when the payer turns fee-free (never lowered). */
  let band = context.loyaltyBand;
  state.loyaltyBand = band;
  upsertSearchAttributes([{ key: LoyaltyBandKey, value: band }]);
  if (context.paid) return finish('already-paid', 'The invoice was paid before the first reminder');

  let schedule = reminderSchedule(policy, band);
  const feeFree = (b: LoyaltyBand) => policy.fees.feeFreeBands.includes(b);
  /**
   * Before a step that costs the payer something (a reminder with a fee, the hand-over), the run reads their band again, as
   * at its start: the billing system may have corrected a late payment since. A payer now in a fee-free band is moved to
   * that band's schedule, at the step after the reminders already sent (the wait just served stands for that step's), and
   * pays no fee from here on; fees already charged stay. Never the other way: a payer keeps what they were promised.
   * Returns where the run goes on in its schedule (`at` when the band stays).
   */
  const raiseBandIfNowFeeFree = async (at: number): Promise<number> => {
    const now = (await loadReminderContext(invoiceId)).loyaltyBand;
    if (!feeFree(now) || feeFree(band)) return at;
    await recordLoyaltyBandRaised({ workflowId, invoiceId, from: band, to: now, remindersSent: state.remindersSent });
    state.loyaltyBandRaisedFrom = band;
    band = state.loyaltyBand = now;
    upsertSearchAttributes([{ key: LoyaltyBandKey, value: band }]);
    setCurrentDetails(`The payer is ${band} now (was ${state.loyaltyBandRaisedFrom}): their schedule, no fee from here on`);
    schedule = reminderSchedule(policy, band);
    return stepAfterReminders(schedule, state.remindersSent);
  };
  /**
   * Holds while the customer disputes the invoice (as the invoice says, read before each step and again on each dispute
   * signal): nothing is sent until the dispute is resolved or the invoice paid. True when it held.
   */
  const holdWhileDisputed = async (): Promise<boolean> => {
    let held = false;
    for (;;) {
      disputeNews = false;
      const dispute = await invoiceDispute(invoiceId);
      if (dispute.paid) payment.invoicePaid();
      if (dispute.disputedSince === null || payment.confirmedPaid) break;
      held = true;
      state.disputedSince = dispute.disputedSince;
      state.deadline = null;
      // The promise standing as the dispute came ends, set aside for it (not lapsed, not broken), as the audit log says.
      const supersededPromise = disputeSupersedesPromise ? state.promisedUntil : null;
      if (supersededPromise !== null) {
        state.promisedUntil = null;
        state.promiseSupersededUntil = supersededPromise;
        await recordPromiseSuperseded({ workflowId, invoiceId, until: supersededPromise, disputedSince: dispute.disputedSince });
      }
      const setAside = state.promiseSupersededUntil ? `; the promise to pay by ${state.promiseSupersededUntil} gave way to the dispute (not a broken promise)` : '';
      enter('disputed', `The customer disputes the invoice (since ${dispute.disputedSince}): nothing is sent until the dispute is resolved${setAside}`);
      await condition(() => disputeNews || state.paid);
      if (state.paid && (await payment.confirmed())) break;
    }
    if (held) state.disputedSince = null;
    return held;
  };
  /** The wait before a step again once a dispute held it: its own, and at least the grace days a promise is given. */
  const waitAfterDispute = (waitMs: number) => Math.max(waitMs, promisePolicy.graceDays * 86_400_000);
  /** Each reminder's fee as the run decided it (under the band it followed then): the fees charged before a band was raised stay. */
  const fees: FeeDecision[] = [];
  /** Sends reminder n (again, when a promise held it back before it went out) and counts it; false once the invoice is paid. */
  const remind = async (reminderNumber: number, template: string, again: boolean, promiseAware: boolean): Promise<boolean> => {
    const fee = feeFor(policy, band, reminderNumber);
    const raised = state.loyaltyBandRaisedFrom ? ` (${band} since it was raised, was ${state.loyaltyBandRaisedFrom})` : '';
    enter('reminding', `Reminder ${reminderNumber} (${template})${again ? ', held back before it went out (a promise to pay, a dispute)' : ''}: fee ${fee.chargedMinor}, waived ${fee.waivedMinor}${raised}`);
    const result = await sendReminder({ workflowId, invoiceId, reminderNumber, template, fee });
    // A promise taken while the step wrote (the hold ran beside it and could not see its write): the reminder waits for it too.
    if (promiseAware && state.promisedUntil !== null) await holdBackForPromise({ workflowId, until: state.promisedUntil });
    if (result.paid) payment.invoicePaid();
    if (await payment.confirmed()) return false;
    // The run counts the reminders up to this one, and their fees (fewer when this one was held back and is sent again).
    fees[reminderNumber - 1] = fee;
    const counted = fees.slice(0, reminderNumber);
    state.remindersSent = reminderNumber;
    state.feesChargedMinor = counted.reduce((sum, f) => sum + f.chargedMinor, 0);
    state.feesWaivedMinor = counted.reduce((sum, f) => sum + f.waivedMinor, 0);
    return true;
  };
  for (let at = 0; at < schedule.length; at++) {
    let step = schedule[at];
    // Wait the step's time; a payment ends the wait, and the run, at once. A dispute holds the step until it is resolved,
    // then the step waits its time again (the customer is told the outcome before anything more is sent).
    let until = Date.now() + step.waitMs;
    let paid = false;
    for (;;) {
      if (Date.now() < until) await payment.waitUntil(until, step.action, disputeAware ? () => disputeNews : undefined);
      if ((paid = await payment.paidBeforeStep()) || !disputeAware) break;
      if (await holdWhileDisputed()) until = Date.now() + waitAfterDispute(step.waitMs);
      // A dispute's news ended a promise's hold, the dispute resolved by the time it was read: the promise holds on.
      else if (Date.now() >= until && !(disputeSupersedesPromise && state.promisedUntil !== null)) break;
    }
    if (paid) break;
    // Runs from before this marker kept the band read at their start to the end.
    if (costsThePayer(policy, band, step, state.remindersSent + 1) && patched('band-raised-mid-run')) {
      at = await raiseBandIfNowFeeFree(at);
      if (at >= schedule.length) break;
      step = schedule[at];
    }
    // A reminder a promise (or a dispute) held back before it went out is sent in this step's place once the promise has
    // lapsed (the dispute was rejected), and the schedule goes on from it: every reminder reaches the customer, in order and a step's time apart, before a call or a hand-over.
    const promiseAware = patched('promise-held-reminder-sent-again');
    const heldBack = promiseAware ? await reminderHeldByPromise({ workflowId }) : null;
    if (heldBack) {
      if (!(await remind(heldBack.reminderNumber, heldBack.template, true, promiseAware))) break;
      at = reminderStepAt(schedule, heldBack.reminderNumber) ?? at - 1;
      continue;
    }
    if (step.action === 'reminder') {
      if (!(await remind(state.remindersSent + 1, step.template, false, promiseAware))) break;
    } else if (step.action === 'call') {
      enter('calling', 'A person calls the customer');
      await sendReminderMessage({ workflowId, step: 'call', invoiceId, customerId, channel: CALL, template: step.template, loyaltyBand: band });
    } else if (step.action === 'follow-up') {
      enter('following-up', 'Still unpaid after the call: a person decides how to go on');
      await sendReminderMessage({ workflowId, step: 'follow-up', invoiceId, customerId, channel: CALL, template: step.template, loyaltyBand: band });
    } else {
      enter('handing-over', 'Handed over to collections');
      await sendReminderMessage({ workflowId, step: 'handover', invoiceId, customerId, channel: LETTER, template: step.template, loyaltyBand: band });
    }
  }

  if (!(await payment.confirmed())) return finish(outcomeAfterSchedule(schedule), endedUnpaid[state.step] ?? 'Handed over to collections');
  if (feeFree(band)) {
    enter('thanking', 'Thanking a loyal payer');
    await sendReminderMessage({ workflowId, step: 'thank-you', invoiceId, customerId, channel: EMAIL, template: 'thank-you-payment', loyaltyBand: band });
  }
  return finish('paid', 'Paid');
}
