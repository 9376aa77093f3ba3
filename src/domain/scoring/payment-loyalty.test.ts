import { dayNumber } from '../dates.js';
import { defaultPaymentLoyaltyPolicy, paymentLoyalty, withoutInvoices, type InvoiceRecord } from './payment-loyalty.js';
import { ScoringException } from './scoring.exception.js';

/** Monthly invoices due on the 15th, paid `delays[i]` days after the due day (null: unpaid). */
function monthly(startYear: number, startMonth: number, delays: (number | null)[]): InvoiceRecord[] {
  return delays.map((delay, i) => {
    const due = new Date(Date.UTC(startYear, startMonth - 1 + i, 15));
    return { dueAt: due, paidAt: delay === null ? null : new Date(due.getTime() + delay * 86_400_000) };
  });
}

describe('payment loyalty', () => {
  it('finds a loyal payer: long tenure, all on time, long streak', () => {
    const s = paymentLoyalty({ customerSince: '2022-12-01', invoices: monthly(2023, 1, Array(24).fill(-2)), asOf: '2025-01-20' });
    expect(s).toMatchObject({ value: 1, band: 'loyal', countedInvoices: 24, onTimeInvoices: 24, streak: 24, lateLast12Months: 0, overdueNow: [] });
    expect(s.reasons).toEqual([
      'customer for 2 years 1 month (since 2022-12-01)',
      'paid 24 of 24 invoices on time (100%)',
      'on time for the last 24 invoices in a row',
      'no late payment in the last 12 months',
    ]);
    expect(s.modelVersion).toBe('payment-loyalty/3;policy=1');
  });

  it('scores invoices given as day numbers (as a rescore reads them) exactly as given as dates', () => {
    const invoices = [...monthly(2023, 1, [-2, 0, 5, -1, 12, 0, 0, -3]), ...monthly(2024, 12, [null])];
    const asDays = invoices.map((i) => ({ dueAt: dayNumber(i.dueAt), paidAt: i.paidAt === null ? null : dayNumber(i.paidAt) }));
    const input = { customerSince: '2022-12-01', asOf: '2025-01-20' };
    expect(paymentLoyalty({ ...input, invoices: asDays })).toEqual(paymentLoyalty({ ...input, invoices }));
  });

  it('keeps a loyal payer loyal while one invoice is freshly overdue (the fair reminder is about it), and names it', () => {
    const invoices = [...monthly(2023, 1, Array(24).fill(0)), ...monthly(2025, 1, [null])];
    const s = paymentLoyalty({ customerSince: '2022-12-01', invoices, asOf: '2025-01-25' });
    expect(s.band).toBe('loyal');
    expect(s.overdueNow).toEqual([{ dueAt: '2025-01-15', daysOverdue: 10 }]);
    expect(s.reasons).toContain('invoice due 2025-01-15 is unpaid, 10 days overdue');
    // once it has been overdue for more than 30 days it counts as late
    const later = paymentLoyalty({ customerSince: '2022-12-01', invoices, asOf: '2025-02-20' });
    expect(later.countedInvoices).toBe(25);
    expect(later.streak).toBe(0);
    expect(later.lateLast12Months).toBe(1);
    expect(later.band).toBe('regular');
    // ... and the reasons say it is unpaid, not that it was paid late
    expect(later.reasons).toEqual([
      'customer for 2 years 2 months (since 2022-12-01)',
      'paid 24 of 25 invoices on time (96%)',
      'the most recent invoice is still unpaid, long overdue',
      '1 invoice unpaid over 30 days in the last 12 months',
      'invoice due 2025-01-15 is unpaid, 36 days overdue',
      'not in the loyal band yet: 0 of the 6 on-time invoices in a row it needs; 1 late in the last 12 months, more than the 0 it allows',
    ]);
    const withLatePayment = paymentLoyalty({ customerSince: '2022-12-01', invoices: [...monthly(2024, 6, [0, 4, 0]), ...monthly(2025, 1, [null])], asOf: '2025-02-20' });
    expect(withLatePayment.reasons).toContain('1 late payment and 1 invoice unpaid over 30 days in the last 12 months');
  });

  it('says what keeps a payer who paid every invoice on time from the loyal band: a streak shorter than the policy asks (QA 48 F4)', () => {
    const s = paymentLoyalty({ customerSince: '2023-01-01', invoices: monthly(2024, 8, Array(5).fill(-1)), asOf: '2025-01-20' });
    expect(s).toMatchObject({ value: 1, band: 'regular', streak: 5 });
    expect(s.reasons.at(-1)).toBe('not in the loyal band yet: 5 of the 6 on-time invoices in a row it needs');
    // One more on time: loyal, and nothing more is said.
    const loyal = paymentLoyalty({ customerSince: '2023-01-01', invoices: monthly(2024, 8, Array(6).fill(-1)), asOf: '2025-02-20' });
    expect(loyal.band).toBe('loyal');
    expect(loyal.reasons.some((r) => r.startsWith('not in the loyal band'))).toBe(false);
    // 18 of 19 on time is 94.7%, not "95%, below the 95% it needs" (review 34 F4).
    const almost = paymentLoyalty({ customerSince: '2022-01-01', invoices: monthly(2023, 6, [10, ...Array(18).fill(-1)]), asOf: '2025-01-20' });
    expect(almost).toMatchObject({ band: 'regular', streak: 18, lateLast12Months: 0 });
    expect(almost.reasons.at(-1)).toBe('not in the loyal band yet: 94.7% on time, below the 95% it needs');
    // The same share the same way in both reasons that say it, not "(95%)" then "94.7%" (QA 80 F4).
    expect(almost.reasons).toContain('paid 18 of 19 invoices on time (94.7%)');
  });

  it('writes the share on time one way in all its reasons: 3 of 4 is "75%" in both, not "75%" then "75.0%" (QA 80 F4)', () => {
    // Four invoices, the third paid late; the fourth on time: streak 1, below the loyal band's 95%.
    const s = paymentLoyalty({ customerSince: '2022-01-01', invoices: monthly(2024, 6, [-1, -1, 5, -1]), asOf: '2025-01-20' });
    expect(s).toMatchObject({ value: 0.75, band: 'regular' });
    expect(s.reasons).toContain('paid 3 of 4 invoices on time (75%)');
    expect(s.reasons.at(-1)).toMatch(/^not in the loyal band yet: 75% on time, below the 95% it needs; /);
  });

  it('breaks the streak at the most recent late payment and counts late payments of the last 12 months', () => {
    // 12 invoices 2024-01..2024-12: late (5 days) in March and October
    const delays = [0, 0, 5, 0, 0, 0, 0, 0, 0, 5, 0, 0];
    const s = paymentLoyalty({ customerSince: '2020-01-01', invoices: monthly(2024, 1, delays), asOf: '2025-01-10' });
    expect(s.streak).toBe(2);
    expect(s.onTimeInvoices).toBe(10);
    expect(s.value).toBeCloseTo(10 / 12, 12);
    expect(s.lateLast12Months).toBe(2);
    expect(s.band).toBe('regular');
    expect(s.reasons).toContain('2 late payments in the last 12 months');
  });

  it('flags at-risk payers by share on time or late payments in the last 12 months', () => {
    const s = paymentLoyalty({ customerSince: '2020-01-01', invoices: monthly(2024, 1, [0, 9, 9, 0, 9, 0]), asOf: '2024-08-01' });
    expect(s.value).toBe(0.5);
    expect(s.band).toBe('at-risk');
    expect(s.reasons).toContain('on time for the last 1 invoice in a row');
  });

  it('honours the grace days of the policy', () => {
    const invoices = monthly(2024, 1, [2, 2, 2, 2, 2, 2, 2]);
    expect(paymentLoyalty({ customerSince: '2020-01-01', invoices, asOf: '2024-09-01' }).value).toBe(0);
    const graceful = paymentLoyalty({ customerSince: '2020-01-01', invoices, asOf: '2024-09-01' }, { ...defaultPaymentLoyaltyPolicy, version: 2, graceDays: 3 });
    expect(graceful.value).toBe(1);
    expect(graceful.band).toBe('loyal');
    expect(graceful.modelVersion).toBe('payment-loyalty/3;policy=2');
  });

  it('calls new customers and customers without a record "new"', () => {
    const fresh = paymentLoyalty({ customerSince: '2025-01-01', invoices: monthly(2025, 1, [0, 0, 0]), asOf: '2025-04-01' });
    expect(fresh.band).toBe('new');
    expect(fresh.reasons[fresh.reasons.length - 1]).toBe('new: customer for less than 180 days');
    const none = paymentLoyalty({ customerSince: '2020-01-01', invoices: [], asOf: '2025-01-01' });
    expect(none).toMatchObject({ value: null, band: 'new', countedInvoices: 0, streak: 0 });
    expect(none.reasons).toContain('no invoice settled yet');
    const today = paymentLoyalty({ customerSince: '2025-01-01', invoices: [], asOf: '2025-01-01' });
    expect(today.tenureDays).toBe(0);
    expect(today.reasons[0]).toBe('customer for 0 days (since 2025-01-01)');
  });

  it('treats a payment after asOf as unpaid at asOf, and ignores invoices not yet due', () => {
    const s = paymentLoyalty({ customerSince: '2020-01-01', invoices: [{ dueAt: '2025-01-10', paidAt: '2025-01-20' }, { dueAt: '2025-02-10', paidAt: null }], asOf: '2025-01-15' });
    expect(s.countedInvoices).toBe(0);
    expect(s.overdueNow).toEqual([{ dueAt: '2025-01-10', daysOverdue: 5 }]);
    expect(() => paymentLoyalty({ customerSince: '2026-01-01', invoices: [], asOf: '2025-01-01' })).toThrow(ScoringException);
  });

  it('leaves out one invoice per entry, matched by its days whether given as dates or day numbers', () => {
    const invoices = monthly(2024, 1, [0, 3, 3, null]);
    const asDays = (i: InvoiceRecord) => ({ dueAt: dayNumber(i.dueAt), paidAt: i.paidAt === null ? null : dayNumber(i.paidAt) });
    expect(withoutInvoices(invoices, [asDays(invoices[1])])).toEqual([invoices[0], invoices[2], invoices[3]]);
    expect(withoutInvoices(invoices, [invoices[3]])).toEqual(invoices.slice(0, 3));
    const twin = { dueAt: invoices[1].dueAt, paidAt: invoices[1].paidAt };
    expect(withoutInvoices([...invoices, twin], [twin])).toHaveLength(4);
    expect(withoutInvoices(invoices, [{ dueAt: 0, paidAt: null }])).toEqual(invoices);
  });

  it('counts a late payment of the last 12 months by when it was late, not when it was due', () => {
    // Due 365 days before asOf, paid 19 days late (346 days ago): late within the last 12 months.
    const asOf = '2025-12-01';
    const dueDay = new Date(Date.UTC(2024, 11, 1));
    const paidLate = { dueAt: dueDay, paidAt: new Date(dueDay.getTime() + 19 * 86_400_000) };
    const onTime = monthly(2025, 1, Array(10).fill(0));
    const s = paymentLoyalty({ customerSince: '2020-01-01', invoices: [paidLate, ...onTime], asOf });
    expect(s).toMatchObject({ lateLast12Months: 1, band: 'regular' });
    expect(s.reasons).toContain('1 late payment in the last 12 months');
    // Paid late 400 days ago: out of the last 12 months.
    const older = { dueAt: new Date(dueDay.getTime() - 60 * 86_400_000), paidAt: new Date(dueDay.getTime() - 35 * 86_400_000) };
    expect(paymentLoyalty({ customerSince: '2020-01-01', invoices: [older, ...onTime], asOf })).toMatchObject({ lateLast12Months: 0 });
  });
});
