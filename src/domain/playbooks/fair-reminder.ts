import { LOYALTY_BANDS, reminderFee, reminderFeePolicy, type FeeDecision, type LoyaltyBand, type ReminderFeePolicy } from '../guards/fairness.js';
import { days, readableWait } from '../policies/duration.js';
import { isCalendarDay } from '../dates.js';
import { echoed, echoedValue } from '../text.js';
import type { PlaybookStateSummary } from './run-state.js';
import { occurrenceOf } from './occurrence.js';
import { runId, RUN_ID_SEPARATOR } from './run-id.js';
import { ENDED_IN_ENGINE, RunStatus } from './run-status.js';

/**
 * Fair reminders: an overdue invoice is a question, not an accusation. A customer in the
 * loyal payment band gets a friendly, personal reminder without a fee, a gentle second one
 * later, then a person calls. Everyone else gets the standard schedule, whose fees come
 * from the fee policy. A payment ends the run at once; loyal payers are thanked. Every
 * fee a loyal payer is spared is recorded as waived. A customer who promises to pay by a
 * day gets nothing more until that day and a few days' grace have passed, whatever their
 * band; a promise that lapses unpaid lets the schedule go on, and is counted. After the call
 * a loyal payer's run still waits for the payment (and takes a promise made on the call);
 * unpaid after that, a person decides how to go on: never a fee or a collections letter by
 * itself.
 */
export const FAIR_REMINDER = 'fair-reminder';

export type ReminderAction = 'reminder' | 'call' | 'follow-up' | 'handover';

export interface ReminderStep {
  /** Wait before this step (after the previous one; the first counts from the start of the run). */
  waitMs: number;
  action: ReminderAction;
  /** Message template (the delivery worker renders it). */
  template: string;
}

/** How far a promise to pay may reach, and how long after the promised day the reminders still wait. */
export interface PaymentPromisePolicy {
  maxDaysAhead: number;
  graceDays: number;
}

export const paymentPromisePolicy: PaymentPromisePolicy = { maxDaysAhead: 30, graceDays: 2 };

export interface FairReminderPolicy {
  /** Bump when a change must not affect runs already under way. */
  version: number;
  /** For payers in a fee-free band (the loyal ones). */
  loyalSchedule: ReminderStep[];
  standardSchedule: ReminderStep[];
  fees: ReminderFeePolicy;
  /** Absent in runs started before promises to pay were taken: they use `paymentPromisePolicy`. */
  promise?: PaymentPromisePolicy;
}

/** The letter of a run's last step on the standard schedule: the invoice is passed to collections. */
export const COLLECTIONS_HANDOVER = 'collections-handover';

/** The loyal schedule's first reminder: "it looks like the invoice slipped through". */
export const FIRST_FRIENDLY_REMINDER = 'reminder-friendly';
/** What a loyal payer's next course of reminders opens with instead: the invoice was chased (reminded, called about) before. */
export const FOLLOW_ON_REMINDER = 'reminder-follow-on';

/**
 * The template a reminder goes out with: the first friendly one of a course that follows an earlier one (an earlier run
 * of the invoice sent reminders or had a person call: a course started again after the call, or by a promise made on it
 * that lapsed) acknowledges that contact instead of saying the invoice slipped through. Decided where the reminder is
 * written, so the run's schedule, and its history, stay as they are.
 */
export function reminderTemplateFor(template: string, chasedBefore: boolean): string {
  return chasedBefore && template === FIRST_FRIENDLY_REMINDER ? FOLLOW_ON_REMINDER : template;
}

export const fairReminderPolicy: FairReminderPolicy = {
  version: 3,
  loyalSchedule: [
    { waitMs: 0, action: 'reminder', template: 'reminder-friendly' },
    { waitMs: days(7), action: 'reminder', template: 'reminder-gentle' },
    { waitMs: days(7), action: 'call', template: 'call-personal' },
    // Time to pay after the call (or to keep a promise made on it), then a person decides.
    { waitMs: days(14), action: 'follow-up', template: 'call-follow-up' },
  ],
  standardSchedule: [
    { waitMs: 0, action: 'reminder', template: 'reminder-standard-1' },
    { waitMs: days(10), action: 'reminder', template: 'reminder-standard-2' },
    { waitMs: days(10), action: 'reminder', template: 'reminder-standard-3' },
    { waitMs: days(14), action: 'handover', template: COLLECTIONS_HANDOVER },
  ],
  fees: reminderFeePolicy,
  promise: paymentPromisePolicy,
};

export const FAIR_REMINDER_STEPS = ['starting', 'waiting', 'promised', 'disputed', 'reminding', 'calling', 'following-up', 'handing-over', 'thanking', 'done'] as const;
export type FairReminderStep = (typeof FAIR_REMINDER_STEPS)[number];
export type FairReminderOutcome = 'paid' | 'already-paid' | 'call-scheduled' | 'follow-up-requested' | 'handed-over';

export interface FairReminderState extends PlaybookStateSummary {
  customerId: string;
  invoiceId: string;
  step: FairReminderStep;
  loyaltyBand: LoyaltyBand | null;
  remindersSent: number;
  feesChargedMinor: number;
  feesWaivedMinor: number;
  paid: boolean;
  /**
   * `paid` is a payment signalled by hand the run has not checked against the invoice yet (the customer says they
   * paid): a claim, which leaves a promise standing. Absent in runs started before it was kept.
   */
  paidUnchecked?: boolean;
  outcome: FairReminderOutcome | null;
  policyVersion: number;
  /** When the current wait ends (ISO time). */
  deadline: string | null;
  /** The day the customer promised to pay by, while that promise holds the reminders. */
  promisedUntil: string | null;
  /** Promises that lapsed unpaid. */
  brokenPromises: number;
  /**
   * The band the run started with, when it moved to a fee-free band on the way (the payer's record turned loyal, a late
   * payment corrected): `loyaltyBand` is the one it follows since. Absent in runs that kept their band, and in older runs.
   */
  loyaltyBandRaisedFrom?: LoyaltyBand | null;
  /** When the customer disputed the invoice (ISO time), while that dispute holds the run (step `disputed`). Absent in older runs. */
  disputedSince?: string | null;
  /**
   * The day of the last promise to pay that gave way to a dispute of the invoice (the promise stood as the dispute came):
   * ended by the dispute, not lapsed, so not among `brokenPromises`. Absent in runs where none did, and in older runs.
   */
  promiseSupersededUntil?: string | null;
}

/** A customer's promise to pay by a day (YYYY-MM-DD), as a person recorded it. */
export interface PaymentPromise {
  until: string;
  /** The caller who recorded it (an ID, not personal data). */
  recordedBy: string;
}

/** The invoice's first reminder run; a later one, started by a person once that run ended short, adds its occurrence (occurrence.ts). */
export function fairReminderWorkflowId(customerId: string, invoiceId: string): string {
  return runId(FAIR_REMINDER, customerId, invoiceId);
}

/** The invoice a reminder run (its first or a later one) chases, read back from its workflow ID; null for another playbook's run. */
export function fairReminderInvoiceId(workflowId: string): string | null {
  const [, customerId, invoiceId] = workflowId.split(RUN_ID_SEPARATOR);
  if (!customerId || !invoiceId) return null;
  return occurrenceOf(fairReminderWorkflowId(customerId, invoiceId), workflowId) === null ? null : invoiceId;
}

/** A run that ended without completing: cancelled by an operator, or ended in the engine (terminated, failed, timed out). */
export const ENDED_WITHOUT_COMPLETING: readonly RunStatus[] = [RunStatus.Cancelled, ...ENDED_IN_ENGINE];
/** How a reminder run ends when its invoice was paid. */
export const ENDED_PAID: readonly FairReminderOutcome[] = ['paid', 'already-paid'];

/**
 * Whether an open invoice's last reminder run left it unchased: it ended without completing, or
 * ended as paid and the billing system opened the invoice again since (an amount raised, a payment
 * undone). Such an invoice is left to a person, who may start its reminders again; the sweep does not.
 * A run that completed its schedule has put it in a person's hands: a call or a decision after one
 * (`reminderRunEndedWithPerson`), or collections.
 */
export function reminderRunEndedShort(run: { status: RunStatus; outcome?: string | null }): boolean {
  return ENDED_WITHOUT_COMPLETING.includes(run.status) || (run.status === RunStatus.Completed && (ENDED_PAID as readonly string[]).includes(run.outcome ?? ''));
}

/** How a reminder run ends when its schedule ran out with a person asked to call the customer (a loyal payer's), not with collections. */
export const ENDED_WITH_A_PERSON: readonly FairReminderOutcome[] = ['call-scheduled', 'follow-up-requested'];

/**
 * Whether an open invoice's last reminder run completed by handing it to a person (a call task, or the
 * decision how to go on after the call): nothing chases it until that person acts, who may start its
 * next run by hand or record a promise made on the call (which starts it holding the promise); the
 * sweep does not. A run that handed it over to collections is not this: collections chases it.
 */
export function reminderRunEndedWithPerson(run: { status: RunStatus; outcome?: string | null }): boolean {
  return run.status === RunStatus.Completed && (ENDED_WITH_A_PERSON as readonly string[]).includes(run.outcome ?? '');
}

/**
 * Whether an open invoice's last reminder run left it to a person, nothing chasing it: it ended short
 * (`reminderRunEndedShort`: cancelled by an operator, terminated, failed, ended as paid before the invoice opened
 * again) or handed it to a person (`reminderRunEndedWithPerson`). Such an invoice is on a person's list
 * (`overdueInvoices(leftToPeople)`) alike, and a promise to pay that person records starts its next run holding
 * the promise alike: a customer who promises to pay an invoice whose reminders an operator stopped gets no reminder
 * seconds after the promise, as one who promised on the call does not.
 */
export function reminderRunLeftInvoiceToPerson(run: { status: RunStatus; outcome?: string | null }): boolean {
  return reminderRunEndedShort(run) || reminderRunEndedWithPerson(run);
}

/**
 * The policy with loyal payers fee-free: "no reminder fee for a loyal payer" is a rule of the product, not a setting a
 * policy may leave out (one typed by hand for a run started in the Temporal UI charged a loyal payer).
 */
export function withLoyalFeeFree(policy: FairReminderPolicy): FairReminderPolicy {
  return policy.fees.feeFreeBands.includes('loyal') ? policy : { ...policy, fees: { ...policy.fees, feeFreeBands: [...policy.fees.feeFreeBands, 'loyal'] } };
}

/** The schedule for a payer of this band: the friendly one wherever no fee may be charged. */
export function reminderSchedule(policy: FairReminderPolicy, band: LoyaltyBand): ReminderStep[] {
  return policy.fees.feeFreeBands.includes(band) ? policy.loyalSchedule : policy.standardSchedule;
}

/** Where the n-th reminder is in a schedule (its step's index); null when the schedule has fewer. */
export function reminderStepAt(schedule: readonly ReminderStep[], reminderNumber: number): number | null {
  let seen = 0;
  for (const [at, step] of schedule.entries()) if (step.action === 'reminder' && ++seen === reminderNumber) return at;
  return null;
}

/**
 * Whether a step costs the customer something, for a payer of `band`: a reminder with a fee (the `reminderNumber`-th), or
 * the hand-over to collections. Before such a step a reminder run looks at the payer's band again.
 */
export function costsThePayer(policy: FairReminderPolicy, band: LoyaltyBand, step: ReminderStep, reminderNumber: number): boolean {
  return step.action === 'handover' || (step.action === 'reminder' && feeFor(policy, band, reminderNumber).chargedMinor > 0);
}

/**
 * Where a run that has sent `remindersSent` reminders goes on in `schedule`, one it moved to on the way (a fee-free band's):
 * the step after that schedule's reminder of that number, or after its last reminder when it has fewer (a loyal payer's
 * call, where the standard schedule would hand over).
 */
export function stepAfterReminders(schedule: readonly ReminderStep[], remindersSent: number): number {
  let next = 0;
  let seen = 0;
  for (const [at, step] of schedule.entries()) if (step.action === 'reminder' && seen++ < remindersSent) next = at + 1;
  return next;
}

/** The fee decision for the n-th reminder of this run (charged for some, waived and recorded for loyal payers). */
export function feeFor(policy: FairReminderPolicy, band: LoyaltyBand, reminderNumber: number): FeeDecision {
  return reminderFee(policy.fees, band, reminderNumber);
}

/**
 * A reminder's fee is booked on its invoice when the reminder goes out, not when the run writes it:
 * a reminder held back (paid or cancelled meanwhile, a promise, its run stopped, the contact guard)
 * costs the customer no fee and counts as neither sent nor spared. The message carries what to book.
 */
export interface ReminderBooking extends FeeDecision {
  reminderNumber: number;
}

/** The booking a reminder's message carries (`booking` in its payload). */
export function reminderBooking(reminderNumber: number, fee: FeeDecision): ReminderBooking {
  return { reminderNumber, band: fee.band, chargedMinor: fee.chargedMinor, waivedMinor: fee.waivedMinor, reason: fee.reason };
}

/**
 * What a message sent just now books on its invoice; null for any other message, and for a
 * reminder written before fees were booked on sending (its fee was booked as it was written).
 */
export function bookingOnSending(payload: Record<string, unknown>): ReminderBooking | null {
  const b = payload.booking as Partial<ReminderBooking> | undefined;
  if (!b || typeof b !== 'object') return null;
  const amount = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (!Number.isSafeInteger(b.reminderNumber) || b.reminderNumber! < 1 || !amount(b.chargedMinor) || !amount(b.waivedMinor)) return null;
  if (!(LOYALTY_BANDS as readonly unknown[]).includes(b.band) || typeof b.reason !== 'string') return null;
  return { reminderNumber: b.reminderNumber!, band: b.band!, chargedMinor: b.chargedMinor!, waivedMinor: b.waivedMinor!, reason: b.reason };
}

/** What the first `count` reminders of a run charge and waive, together: what the run counts once it has sent them. */
export function feesOfReminders(policy: FairReminderPolicy, band: LoyaltyBand, count: number): { chargedMinor: number; waivedMinor: number } {
  let chargedMinor = 0;
  let waivedMinor = 0;
  for (let n = 1; n <= count; n++) {
    const fee = feeFor(policy, band, n);
    chargedMinor += fee.chargedMinor;
    waivedMinor += fee.waivedMinor;
  }
  return { chargedMinor, waivedMinor };
}

/** How the run ends when the schedule runs out without a payment. */
export function outcomeAfterSchedule(schedule: ReminderStep[]): FairReminderOutcome {
  const last = schedule[schedule.length - 1]?.action;
  return last === 'handover' ? 'handed-over' : last === 'follow-up' ? 'follow-up-requested' : 'call-scheduled';
}

const DAY_MS = 86_400_000;

/** A promised day outside the days a promise may name on `today`: before it (`past`) or beyond the policy's days ahead (`too-far`). */
export interface PromiseDayOutOfRange {
  bound: 'past' | 'too-far';
  /** The window a promise may name: today up to the last day the policy reaches. */
  earliestDay: string;
  latestDay: string;
  message: string;
}

/** Where a promised day (a calendar day) falls outside the window on `today` (UTC, as the run judges it); null inside it. */
export function promiseDayOutOfRange(until: string, today: string, policy: PaymentPromisePolicy): PromiseDayOutOfRange | null {
  const latestDay = new Date(Date.parse(`${today}T00:00:00Z`) + policy.maxDaysAhead * DAY_MS).toISOString().slice(0, 10);
  if (until < today) return { bound: 'past', earliestDay: today, latestDay, message: `${until} has passed` };
  if (until > latestDay) return { bound: 'too-far', earliestDay: today, latestDay, message: `a promise reaches at most ${policy.maxDaysAhead} days ahead` };
  return null;
}

/** A promise to pay as the `promiseToPay` update takes it, as a refusal names it to whoever typed one by hand. */
export const PROMISE_INPUT = '{ "until": "YYYY-MM-DD", "recordedBy": "who took the promise" }';

/**
 * How a run refuses a promise that came once it has ended or while it records its end (its handler's
 * refusal, by type): the API then treats it as a run that has ended, which one that handed the invoice
 * to a person answers by starting the invoice's next run holding the promise.
 */
export const PROMISE_AFTER_END = { message: 'the reminder run has ended', type: 'RunEnded' } as const;
/** A promise typed in the Temporal UI while the run holds for the customer's dispute of the invoice: refused, as the API refuses it (INVOICE_DISPUTED). */
export const promiseWhileDisputed = (disputedSince: string) =>
  ({ message: `the customer disputes the invoice (since ${disputedSince}): resolve the dispute first (resolveDispute), then record the promise if the invoice stands`, type: 'InvoiceDisputed' }) as const;

/** Why the run cannot take this promise on `today` (null when it can); `until` as sent, typed by hand in the Temporal UI or CLI too. */
export function promiseProblem(state: Pick<FairReminderState, 'paid' | 'outcome'>, until: unknown, today: string, policy: PaymentPromisePolicy): string | null {
  if (state.outcome !== null) return PROMISE_AFTER_END.message;
  if (state.paid) return 'the invoice is paid';
  // Sent by hand with no input, null, or without `until`: the refusal says what a promise is.
  if (until === undefined || until === null) return `a promise to pay needs its day: ${PROMISE_INPUT}`;
  // A value typed by hand is quoted back cut short (`echoed`): a paste of megabytes must be refused, not stop the run.
  if (typeof until !== 'string') return `${echoedValue(until)} is not a day (a string YYYY-MM-DD)`;
  if (!isCalendarDay(until)) return `"${echoed(until)}" is not a day (YYYY-MM-DD)`;
  return promiseDayOutOfRange(until, today, policy)?.message ?? null;
}

/**
 * Whether the run shows the promise to pay by `until` to whoever made it: holding (step `promised`, its deadline the
 * promise's end), or nothing left to show (paid, ended, or a later promise took its place).
 */
export function promiseShown(state: Pick<FairReminderState, 'paid' | 'outcome' | 'promisedUntil' | 'step' | 'deadline'>, until: string, policy: PaymentPromisePolicy): boolean {
  if (state.paid || state.outcome !== null || state.promisedUntil !== until) return true;
  return state.step === 'promised' && state.deadline === new Date(promiseEndsAt(until, policy)).toISOString();
}

/**
 * The day a promise to pay holds the run's reminders until, while it does: none once the invoice is paid or the run ended.
 * A payment signalled by hand that the run has not checked yet is a claim: the promise holds until the invoice says paid.
 */
export function promiseHolding(state: Pick<FairReminderState, 'paid' | 'paidUnchecked' | 'outcome' | 'promisedUntil'>): string | null {
  // Runs started before promises were taken have no promisedUntil; those before a claim was told apart, no paidUnchecked.
  return (state.paid && !state.paidUnchecked) || state.outcome !== null ? null : (state.promisedUntil ?? null);
}

/** How promises to pay hold a run of `policy`: its own rule, or the one of the time for runs started before promises were taken. */
export function promisePolicyOf(policy: FairReminderPolicy): PaymentPromisePolicy {
  return policy.promise ?? paymentPromisePolicy;
}

/** When a promise stops holding the reminders (epoch ms): the end of the promised day, plus the grace days (UTC). */
export function promiseEndsAt(until: string, policy: PaymentPromisePolicy): number {
  return Date.parse(`${until}T00:00:00Z`) + (1 + policy.graceDays) * DAY_MS;
}

/** The n-th reminder's fee for a payer the fee policy does not spare (as `reminderFee` charges it). */
function standardFee(feesMinor: readonly number[], n: number): number {
  return feesMinor[Math.min(n, feesMinor.length) - 1] ?? 0;
}

/**
 * What makes a reminder policy typed by hand (a run started in the Temporal UI or CLI, not by the platform) harsher on
 * the payer than the deployment's: a wait shorter than the deployment's shortest wait of that schedule (its first step
 * no earlier than the deployment's first), a hand-over sooner after the start than the deployment's, a step the
 * deployment's schedule does not take (a hand-over to collections on the loyal schedule), a fee above the deployment's
 * for that reminder or more fees in all than the deployment's schedule charges, a band the deployment spares the fee
 * left paying, or promises held for less (grace days, how far ahead). Empty: the policy is no harsher (it may still
 * differ). The policy's shape is not trusted: a field missing or of the wrong type is a problem, not a TypeError.
 */
export function fairReminderPolicyProblems(given: unknown, deployment: FairReminderPolicy): string[] {
  const policy = given as Partial<FairReminderPolicy> | null | undefined;
  if (!policy || typeof policy !== 'object') return ['the policy is missing'];
  const problems: string[] = [];
  const isNumber = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);
  const schedules = [
    ['loyalSchedule', policy.loyalSchedule, deployment.loyalSchedule],
    ['standardSchedule', policy.standardSchedule, deployment.standardSchedule],
  ] as const;
  for (const [name, steps, ours] of schedules) {
    if (!Array.isArray(steps) || steps.length === 0) {
      problems.push(`${name} is not a list of steps`);
      continue;
    }
    const shortest = ours.length > 1 ? Math.min(...ours.slice(1).map((s) => s.waitMs)) : 0;
    const actions = new Set(ours.map((s) => s.action));
    steps.forEach((step: Partial<ReminderStep> | null, i) => {
      const wait = step?.waitMs;
      const least = i === 0 ? (ours[0]?.waitMs ?? 0) : shortest;
      if (!isNumber(wait)) problems.push(`${name} step ${i + 1} has no wait`);
      else if (wait < least) problems.push(`${name} step ${i + 1} waits ${readableWait(wait)}, less than the deployment's ${readableWait(least)}`);
      if (!step || !actions.has(step.action as ReminderAction)) problems.push(`${name} step ${i + 1} (${String(step?.action)}) is not a step of the deployment's ${name}`);
      else {
        // What the customer reads: one of this schedule's own messages for that action, never sooner than the deployment
        // sends it (a collections letter as a loyal payer's first, friendly reminder; the last warning as the first).
        const ourAt = ours.findIndex((s) => s.action === step.action && s.template === step.template);
        if (ourAt < 0) problems.push(`${name} step ${i + 1} sends ${String(step.template)}, not one of the deployment's ${name} messages for a ${step.action}`);
        else if (ourAt > i) problems.push(`${name} step ${i + 1} sends ${String(step.template)}, which the deployment sends at step ${ourAt + 1}`);
      }
    });
    const untilHandover = (s: ReadonlyArray<Partial<ReminderStep> | null>) => {
      const at = s.findIndex((step) => step?.action === 'handover');
      return at < 0 ? null : s.slice(0, at + 1).reduce((sum, step) => sum + (isNumber(step?.waitMs) ? step.waitMs : 0), 0);
    };
    const handover = untilHandover(steps);
    const ourHandover = untilHandover(ours);
    if (handover !== null && ourHandover !== null && handover < ourHandover) problems.push(`${name} hands over to collections ${readableWait(handover)} after the start, sooner than the deployment's ${readableWait(ourHandover)}`);
  }
  const fees = policy.fees;
  if (!fees || !Array.isArray(fees.feesMinor) || !fees.feesMinor.every(isNumber) || !Array.isArray(fees.feeFreeBands)) problems.push('the fees are not a fee policy');
  else {
    const missing = deployment.fees.feeFreeBands.filter((band) => !fees.feeFreeBands.includes(band));
    if (missing.length > 0) problems.push(`the ${missing.join(', ')} band${missing.length > 1 ? 's pay' : ' pays'} a fee the deployment spares`);
    // Fees are charged on the standard schedule's reminders (the loyal one is for the fee-free bands).
    const reminders = (s: ReadonlyArray<Partial<ReminderStep> | null>) => s.filter((step) => step?.action === 'reminder').length;
    const count = Array.isArray(policy.standardSchedule) ? reminders(policy.standardSchedule) : 0;
    let total = 0;
    for (let n = 1; n <= Math.max(count, fees.feesMinor.length); n++) {
      const fee = standardFee(fees.feesMinor, n);
      const ours = standardFee(deployment.fees.feesMinor, n);
      if (fee > ours) problems.push(`reminder ${n}'s fee ${fee} is above the deployment's ${ours}`);
      if (n <= count) total += fee;
    }
    let ourTotal = 0;
    for (let n = 1; n <= reminders(deployment.standardSchedule); n++) ourTotal += standardFee(deployment.fees.feesMinor, n);
    if (total > ourTotal) problems.push(`the fees come to ${total} in all, above the deployment's ${ourTotal}`);
  }
  const promise = policy.promise ?? paymentPromisePolicy;
  const ourPromise = promisePolicyOf(deployment);
  if (!isNumber(promise.graceDays) || promise.graceDays < ourPromise.graceDays) problems.push(`a promise to pay is given ${String(promise.graceDays)} grace days, fewer than the deployment's ${ourPromise.graceDays}`);
  if (!isNumber(promise.maxDaysAhead) || promise.maxDaysAhead < ourPromise.maxDaysAhead) problems.push(`a promise to pay may reach ${String(promise.maxDaysAhead)} days ahead, fewer than the deployment's ${ourPromise.maxDaysAhead}`);
  return problems;
}
