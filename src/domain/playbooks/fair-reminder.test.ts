import { bookingOnSending, costsThePayer, stepAfterReminders, reminderStepAt, fairReminderPolicy, fairReminderInvoiceId, fairReminderWorkflowId, feeFor, feesOfReminders, reminderBooking, outcomeAfterSchedule, paymentPromisePolicy, promiseDayOutOfRange, promiseEndsAt, promiseHolding, promisePolicyOf, promiseProblem, promiseShown, reminderRunEndedShort, reminderRunEndedWithPerson, reminderSchedule } from './fair-reminder.js';
import { RunStatus } from './run-status.js';

describe('fair reminder policy', () => {
  it('gives loyal payers the friendly schedule (a person calls, and decides if it stays unpaid), and others the standard one', () => {
    expect(reminderSchedule(fairReminderPolicy, 'loyal').map((s) => s.action)).toEqual(['reminder', 'reminder', 'call', 'follow-up']);
    for (const band of ['regular', 'at-risk', 'new'] as const) {
      expect(reminderSchedule(fairReminderPolicy, band).map((s) => s.action)).toEqual(['reminder', 'reminder', 'reminder', 'handover']);
    }
    expect(outcomeAfterSchedule(reminderSchedule(fairReminderPolicy, 'loyal'))).toBe('follow-up-requested');
    // Runs started before the follow-up step existed end with the call.
    expect(outcomeAfterSchedule(reminderSchedule(fairReminderPolicy, 'loyal').slice(0, 3))).toBe('call-scheduled');
    expect(outcomeAfterSchedule(reminderSchedule(fairReminderPolicy, 'regular'))).toBe('handed-over');
  });

  it('never charges a loyal payer, and records what the standard schedule would have charged as waived', () => {
    expect([1, 2, 3].map((n) => feeFor(fairReminderPolicy, 'loyal', n))).toEqual([
      expect.objectContaining({ chargedMinor: 0, waivedMinor: 0 }),
      expect.objectContaining({ chargedMinor: 0, waivedMinor: 500 }),
      expect.objectContaining({ chargedMinor: 0, waivedMinor: 1000 }),
    ]);
    expect([1, 2, 3].map((n) => feeFor(fairReminderPolicy, 'at-risk', n).chargedMinor)).toEqual([0, 500, 1000]);
  });

  it('names a run by customer and invoice: one run per overdue invoice', () => {
    expect(fairReminderWorkflowId('c-1', 'i-9')).toBe('fair-reminder/c-1/i-9');
  });

  it('reads the invoice back from a run\'s workflow ID, its first run\'s or a later one\'s, and none from another playbook\'s (QA 62 F1)', () => {
    expect(fairReminderInvoiceId(fairReminderWorkflowId('c-1', 'i-9'))).toBe('i-9');
    expect(fairReminderInvoiceId('fair-reminder/c-1/i-9/2')).toBe('i-9');
    expect(fairReminderInvoiceId('fix-issue/c-1/app-login')).toBeNull();
    expect(fairReminderInvoiceId('account-review/c-1/2')).toBeNull();
    expect(fairReminderInvoiceId('fair-reminder/c-1')).toBeNull();
    expect(fairReminderInvoiceId('fair-reminder/c-1/i-9/x')).toBeNull();
  });
});

describe('promises to pay', () => {
  const running = { paid: false, outcome: null };
  const policy = { maxDaysAhead: 30, graceDays: 2 };

  it('are taken for today up to the policy\'s days ahead, while the run waits for its money', () => {
    expect(promiseProblem(running, '2026-12-02', '2026-12-02', policy)).toBeNull();
    expect(promiseProblem(running, '2027-01-01', '2026-12-02', policy)).toBeNull();
    expect(promiseProblem(running, '2027-01-02', '2026-12-02', policy)).toBe('a promise reaches at most 30 days ahead');
    expect(promiseProblem(running, '2026-12-01', '2026-12-02', policy)).toBe('2026-12-01 has passed');
    expect(promiseProblem(running, '2026-02-30', '2026-02-01', policy)).toBe('"2026-02-30" is not a day (YYYY-MM-DD)');
    expect(promiseProblem(running, 'soon', '2026-12-02', policy)).toBe('"soon" is not a day (YYYY-MM-DD)');
    // Typed by hand in the Temporal UI: only a string is a day, not a list or number that reads as one.
    expect(promiseProblem(running, ['2026-12-10'], '2026-12-02', policy)).toBe('["2026-12-10"] is not a day (a string YYYY-MM-DD)');
    expect(promiseProblem(running, 20261210, '2026-12-02', policy)).toBe('20261210 is not a day (a string YYYY-MM-DD)');
    expect(promiseProblem(running, undefined, '2026-12-02', policy)).toBe('a promise to pay needs its day: { "until": "YYYY-MM-DD", "recordedBy": "who took the promise" }');
    expect(promiseProblem(running, null, '2026-12-02', policy)).toBe('a promise to pay needs its day: { "until": "YYYY-MM-DD", "recordedBy": "who took the promise" }');
    // A paste of megabytes is quoted back cut short (QA 72 F3), refused as it was.
    expect(promiseProblem(running, `2026-12-1${'0'.repeat(1_500_000)}`, '2026-12-02', policy)).toBe(`"2026-12-1${'0'.repeat(51)}… (1500009 characters)" is not a day (YYYY-MM-DD)`);
    expect(promiseProblem(running, { day: 'x'.repeat(1_000) }, '2026-12-02', policy)?.length).toBeLessThan(120);
    expect(promiseProblem({ paid: true, outcome: null }, '2026-12-10', '2026-12-02', policy)).toBe('the invoice is paid');
    expect(promiseProblem({ paid: false, outcome: 'call-scheduled' }, '2026-12-10', '2026-12-02', policy)).toBe('the reminder run has ended');
  });

  it("say which bound a day outside the window passes, and the window's days", () => {
    expect(promiseDayOutOfRange('2026-12-02', '2026-12-02', policy)).toBeNull();
    expect(promiseDayOutOfRange('2027-01-01', '2026-12-02', policy)).toBeNull();
    expect(promiseDayOutOfRange('2026-12-01', '2026-12-02', policy)).toEqual({ bound: 'past', earliestDay: '2026-12-02', latestDay: '2027-01-01', message: '2026-12-01 has passed' });
    expect(promiseDayOutOfRange('2027-01-02', '2026-12-02', policy)).toEqual({ bound: 'too-far', earliestDay: '2026-12-02', latestDay: '2027-01-01', message: 'a promise reaches at most 30 days ahead' });
  });

  it('hold the reminders until the promised day and its grace days have passed', () => {
    expect(new Date(promiseEndsAt('2026-12-10', policy)).toISOString()).toBe('2026-12-13T00:00:00.000Z');
    expect(fairReminderPolicy.promise).toEqual(paymentPromisePolicy);
  });

  it('are shown once the run holds them, or once nothing is left to show', () => {
    const waiting = { paid: false, outcome: null, promisedUntil: '2026-12-10', step: 'waiting' as const, deadline: '2026-12-20T00:00:00.000Z' };
    const holding = { ...waiting, step: 'promised' as const, deadline: '2026-12-13T00:00:00.000Z' };
    expect(promiseShown(waiting, '2026-12-10', policy)).toBe(false);
    expect(promiseShown(holding, '2026-12-10', policy)).toBe(true);
    // Still holding an earlier promise's deadline: not yet this one's.
    expect(promiseShown({ ...holding, deadline: '2026-12-11T00:00:00.000Z' }, '2026-12-10', policy)).toBe(false);
    expect(promiseShown({ ...waiting, promisedUntil: '2026-12-12' }, '2026-12-10', policy)).toBe(true);
    expect(promiseShown({ ...waiting, paid: true }, '2026-12-10', policy)).toBe(true);
    expect(promiseShown({ ...waiting, outcome: 'paid' as const }, '2026-12-10', policy)).toBe(true);
  });

  it('hold the run only while its invoice is unpaid and the run goes on (QA 49 F4)', () => {
    const held = { paid: false, outcome: null, promisedUntil: '2026-12-10' };
    expect(promiseHolding(held)).toBe('2026-12-10');
    expect(promiseHolding({ ...held, paid: true })).toBeNull();
    expect(promiseHolding({ ...held, outcome: 'handed-over' as const })).toBeNull();
    // A payment signalled by hand the run has not checked yet is a claim: the promise still holds (QA 72 F5); checked, it does not.
    expect(promiseHolding({ ...held, paid: true, paidUnchecked: true })).toBe('2026-12-10');
    expect(promiseHolding({ ...held, paid: true, paidUnchecked: false })).toBeNull();
    // A run started before promises were taken has no such field.
    expect(promiseHolding({ paid: false, outcome: null } as typeof held)).toBeNull();
  });
});

describe('a reminder booked as it goes out', () => {
  it('carries its fee decision in the message, and only a well-formed one is booked', () => {
    const booking = reminderBooking(2, feeFor(fairReminderPolicy, 'at-risk', 2));
    expect(booking).toEqual({ reminderNumber: 2, band: 'at-risk', chargedMinor: 500, waivedMinor: 0, reason: 'standard fee for reminder 2' });
    expect(bookingOnSending({ invoiceId: 'x', feeMinor: 500, booking })).toEqual(booking);
    expect(bookingOnSending({ booking: reminderBooking(1, feeFor(fairReminderPolicy, 'loyal', 2)) })).toMatchObject({ chargedMinor: 0, waivedMinor: 500, band: 'loyal' });
    // A reminder written before fees were booked on sending (its fee booked then), and any other message: nothing to book.
    expect(bookingOnSending({ invoiceId: 'x', reminderNumber: 2, feeMinor: 500 })).toBeNull();
    expect(bookingOnSending({ booking: { ...booking, chargedMinor: -500 } })).toBeNull();
    expect(bookingOnSending({ booking: { ...booking, chargedMinor: '500' } })).toBeNull();
    expect(bookingOnSending({ booking: { ...booking, reminderNumber: 0 } })).toBeNull();
    expect(bookingOnSending({ booking: { ...booking, band: 'gold' } })).toBeNull();
    expect(bookingOnSending({ booking: null })).toBeNull();
  });
});

describe('the fees of a run', () => {
  it('are those of its first reminders, charged or waived by its band', () => {
    expect(feesOfReminders(fairReminderPolicy, 'at-risk', 0)).toEqual({ chargedMinor: 0, waivedMinor: 0 });
    expect(feesOfReminders(fairReminderPolicy, 'at-risk', 1)).toEqual({ chargedMinor: 0, waivedMinor: 0 });
    expect(feesOfReminders(fairReminderPolicy, 'at-risk', 3)).toEqual({ chargedMinor: 1_500, waivedMinor: 0 });
    expect(feesOfReminders(fairReminderPolicy, 'loyal', 2)).toEqual({ chargedMinor: 0, waivedMinor: 500 });
  });
});

describe('a run whose payer turns loyal on the way', () => {
  const { standardSchedule, loyalSchedule } = fairReminderPolicy;
  it('looks at the band again before a reminder with a fee and before the hand-over, for a payer who pays fees', () => {
    expect(costsThePayer(fairReminderPolicy, 'regular', standardSchedule[0], 1)).toBe(false);
    expect(costsThePayer(fairReminderPolicy, 'regular', standardSchedule[1], 2)).toBe(true);
    expect(costsThePayer(fairReminderPolicy, 'at-risk', standardSchedule[3], 4)).toBe(true);
    // A loyal payer's steps cost nothing: nothing to look at again (and a band is never lowered).
    expect(loyalSchedule.map((step, at) => costsThePayer(fairReminderPolicy, 'loyal', step, at + 1))).toEqual([false, false, false, false]);
  });
  it('goes on in the loyal schedule after the reminders already sent: the gentle reminder, or the call after more reminders than it has', () => {
    expect(loyalSchedule[stepAfterReminders(loyalSchedule, 1)]).toMatchObject({ action: 'reminder', template: 'reminder-gentle' });
    expect(loyalSchedule[stepAfterReminders(loyalSchedule, 2)]).toMatchObject({ action: 'call' });
    expect(loyalSchedule[stepAfterReminders(loyalSchedule, 3)]).toMatchObject({ action: 'call' });
    expect(stepAfterReminders(loyalSchedule, 0)).toBe(0);
  });
});

describe('where a reminder is in a schedule', () => {
  it('is the index of its step among the schedule\'s steps, null past its reminders', () => {
    const loyal = reminderSchedule(fairReminderPolicy, 'loyal');
    expect([1, 2, 3].map((n) => reminderStepAt(loyal, n))).toEqual([0, 1, null]);
    const standard = reminderSchedule(fairReminderPolicy, 'at-risk');
    expect([1, 2, 3, 4].map((n) => reminderStepAt(standard, n))).toEqual([0, 1, 2, null]);
    expect(reminderStepAt([{ waitMs: 0, action: 'call', template: 'call-personal' }, { waitMs: 0, action: 'reminder', template: 'reminder-friendly' }], 1)).toBe(1);
  });

  it("holds a promise by the run's own rule, and by the first one for runs started before promises were taken", () => {
    const longer = { maxDaysAhead: 60, graceDays: 5 };
    expect(promisePolicyOf({ ...fairReminderPolicy, promise: longer })).toBe(longer);
    const { promise: _, ...beforePromises } = fairReminderPolicy;
    expect(promisePolicyOf(beforePromises)).toBe(paymentPromisePolicy);
  });
});

describe('a reminder run that left its invoice unchased', () => {
  it('is one that ended without completing, or as paid (the invoice open again since); not one under way or one that completed its schedule', () => {
    for (const status of [RunStatus.Cancelled, RunStatus.Terminated, RunStatus.Failed, RunStatus.TimedOut]) expect(reminderRunEndedShort({ status })).toBe(true);
    expect(reminderRunEndedShort({ status: RunStatus.Completed, outcome: 'paid' })).toBe(true);
    expect(reminderRunEndedShort({ status: RunStatus.Completed, outcome: 'already-paid' })).toBe(true);
    for (const outcome of ['handed-over', 'call-scheduled', 'follow-up-requested', null]) expect(reminderRunEndedShort({ status: RunStatus.Completed, outcome })).toBe(false);
    expect(reminderRunEndedShort({ status: RunStatus.Running, outcome: null })).toBe(false);
  });
});

describe('a reminder run that handed its invoice to a person', () => {
  it('is one that completed with a call or the decision after it; not one handed over to collections, ended short, paid, or under way', () => {
    for (const outcome of ['call-scheduled', 'follow-up-requested']) expect(reminderRunEndedWithPerson({ status: RunStatus.Completed, outcome })).toBe(true);
    for (const outcome of ['handed-over', 'paid', 'already-paid', null]) expect(reminderRunEndedWithPerson({ status: RunStatus.Completed, outcome })).toBe(false);
    expect(reminderRunEndedWithPerson({ status: RunStatus.Running, outcome: null })).toBe(false);
    expect(reminderRunEndedWithPerson({ status: RunStatus.Cancelled, outcome: 'follow-up-requested' })).toBe(false);
  });
});
