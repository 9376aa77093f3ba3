import { condition, log, patched } from '@temporalio/workflow';
import { promiseEndsAt, promiseShown, type FairReminderState, type FairReminderStep, type PaymentPromisePolicy } from '../src/domain/playbooks/fair-reminder.js';
import { signalIgnored, type ReceivedSignal } from './steering-audit.js';

/** Why a payment signalled by hand was ignored, as its audit entry says (`ignored`). */
export const INVOICE_NOT_PAID = 'the invoice is not paid';

/**
 * What a reminder run watches between its steps: the invoice being paid, and the customer's
 * promise to pay, which holds the next step until the promised day and its grace days have
 * passed (a later promise moves it). A payment signalled by hand (the customer says they paid)
 * ends the run only once the invoice says so; else the run goes on where it was.
 */
export class PaymentWatch {
  /** The payment was checked against the invoice (a signal by hand is a claim until then). */
  private checked = false;
  /** The run waits for its next step: a promise made now holds it at once. */
  private waiting = false;
  /** The `paymentReceived` signals not checked against the invoice yet. */
  private claims: ReceivedSignal[] = [];
  /** Ends a promise's hold early, before it can lapse: a dispute came, which the run reads (the dispute hold may take the promise's place). */
  private promiseInterrupted?: () => boolean;

  constructor(
    private readonly state: FairReminderState,
    private readonly promisePolicy: PaymentPromisePolicy,
    private readonly enter: (step: FairReminderStep, details: string) => void,
    private readonly invoiceIsPaid: () => Promise<boolean>,
    /** Asks for the steering audit once claims were found unpaid, for their entries to say they were ignored. */
    private readonly auditIgnored: () => Promise<void> = async () => {},
    /** Records a promise that lapsed unpaid (the day promised, and how many the run has seen broken with it). */
    private readonly recordLapsed: (until: string, brokenPromises: number) => Promise<void> = async () => {},
  ) {}

  /** From now on a promise's hold ends once `interrupted` says so (a dispute came), for the run to read what came first. */
  interruptPromiseWhen(interrupted: () => boolean): void {
    this.promiseInterrupted = interrupted;
  }

  /** The customer says they paid (the `paymentReceived` signal, `signal`). */
  claimPaid(signal?: ReceivedSignal): void {
    if (signal) this.claims.push(signal);
    this.state.paid = true;
    // Shown as a claim until checked (the view keeps showing a promise that stands meanwhile); state only, no command.
    this.state.paidUnchecked = !this.checked;
  }

  /** A step found the invoice paid. */
  invoicePaid(): void {
    this.state.paid = this.checked = true;
    this.state.paidUnchecked = false;
  }

  /** Only a payment the run has confirmed refuses a promise: one signalled by hand is a claim until the invoice is checked. */
  get confirmedPaid(): boolean {
    return this.state.paid && this.checked;
  }

  /** Takes a promise; true when the run holds it at once (it waits for its next step), to answer once it shows so. */
  takePromise(until: string): boolean {
    this.state.promisedUntil = until;
    return this.waiting;
  }

  /** The run shows the promise by `until`: holding it (step `promised`, deadline when it ends), or nothing left to show. */
  shows(until: string): boolean {
    return promiseShown(this.state, until, this.promisePolicy);
  }

  /** Whether the invoice is paid, checking a payment signalled by hand once (runs started before that check take the signal as it is). */
  async confirmed(): Promise<boolean> {
    if (!this.state.paid || this.checked) return this.state.paid;
    const paid = !patched('payment-signal-checked') || (await this.invoiceIsPaid());
    this.state.paidUnchecked = false;
    // The claims made until now (one during the check too) are taken with the payment, or ignored without it.
    const claims = this.claims;
    this.claims = [];
    if (paid) return (this.checked = true);
    log.warn(`paymentReceived ignored: ${INVOICE_NOT_PAID}`);
    this.state.paid = false;
    // Each claim was audited as it came, before the check: its entry now says it was ignored, and why (runs since the marker).
    for (const claim of claims) signalIgnored(claim, INVOICE_NOT_PAID);
    if (claims.length > 0 && patched('ignored-signals-audited')) await this.auditIgnored();
    return false;
  }

  /** Before a step: holds while a promise does; true when the invoice is paid and the run ends. */
  async paidBeforeStep(): Promise<boolean> {
    do await this.holdWhilePromised();
    while (this.state.paid && !(await this.confirmed()));
    return this.state.paid;
  }

  /**
   * Nothing is sent before `until`; a payment ends the wait, a promise holds the run (past `until` too if it ends later).
   * `interrupted`: the wait ends early once it says so (a dispute came: the run reads it and holds, or waits on).
   */
  async waitUntil(until: number, action: string, interrupted?: () => boolean): Promise<void> {
    const showWaiting = () => {
      this.state.deadline = new Date(until).toISOString();
      this.enter('waiting', `Waiting until ${this.state.deadline} before the next step (${action})`);
    };
    showWaiting();
    // Runs started before a promise held a wait take it when the wait ends, as they did.
    if (!patched('promise-holds-wait')) {
      do await condition(() => this.state.paid, until - Date.now());
      while (this.state.paid && !(await this.confirmed()) && Date.now() < until);
      return;
    }
    this.waiting = true;
    while (Date.now() < until) {
      await condition(() => this.state.paid || this.state.promisedUntil !== null || (interrupted?.() ?? false), until - Date.now());
      if (this.state.paid && (await this.confirmed())) break;
      if (interrupted?.()) break;
      if (this.state.promisedUntil === null) continue;
      await this.holdWhilePromised();
      // A dispute ended the promise's hold: the run reads it at once (no `waiting` shown meanwhile).
      if (this.promiseInterrupted?.()) break;
      if (!this.state.paid && Date.now() < until) showWaiting();
    }
    this.waiting = false;
  }

  /** Shows the run holding for the promise to pay by `promised` (step `promised`, its deadline when the promise ends). */
  showPromised(promised: string): void {
    this.state.deadline = new Date(promiseEndsAt(promised, this.promisePolicy)).toISOString();
    this.enter('promised', `Promised to pay by ${promised}: nothing is sent before ${this.state.deadline}`);
  }

  /**
   * Holds until the promised day and its grace days have passed; a promise that ends unpaid counts as broken. A dispute
   * coming meanwhile ends the hold with the promise still standing (when the run interrupts a promise for one): the run
   * reads the dispute before the promise can lapse, and an open one takes its place.
   */
  private async holdWhilePromised(): Promise<void> {
    const { state } = this;
    const interrupted = () => this.promiseInterrupted?.() ?? false;
    while (!state.paid && state.promisedUntil !== null && !interrupted() && Date.now() < promiseEndsAt(state.promisedUntil, this.promisePolicy)) {
      const promised = state.promisedUntil;
      const endsAt = promiseEndsAt(promised, this.promisePolicy);
      this.showPromised(promised);
      await condition(() => state.paid || state.promisedUntil !== promised || interrupted(), endsAt - Date.now());
    }
    if (interrupted()) return;
    if (state.promisedUntil !== null && !state.paid) {
      const lapsed = state.promisedUntil;
      state.brokenPromises += 1;
      state.promisedUntil = null;
      // The lapse is recorded where people look (the audit log, the customer's timeline), not only in the run's state,
      // which the next run of the invoice starts afresh; runs from before this marker kept it in their state only.
      if (patched('promise-lapse-recorded')) {
        await this.recordLapsed(lapsed, state.brokenPromises);
        // A promise made while the lapse was recorded holds the run as any other does.
        if (state.promisedUntil !== null) await this.holdWhilePromised();
      }
    }
  }
}
