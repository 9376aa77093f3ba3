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
    expect(s.modelVersion).toBe('payment-loyalty/12;policy=2');
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
    // 18 of 19 on time is 94.7%, not "95%, below the 95% it needs" (review 34 F4). (With the default policy the
    // one late payment is forgiven after 18 on time since; a policy forgiving none shows the share.)
    const noneForgiven = { ...defaultPaymentLoyaltyPolicy, loyal: { ...defaultPaymentLoyaltyPolicy.loyal, forgivableLapses: 0 } };
    const almost = paymentLoyalty({ customerSince: '2022-01-01', invoices: monthly(2023, 6, [10, ...Array(18).fill(-1)]), asOf: '2025-01-20' }, noneForgiven);
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
    // 3 of 6 on time, 3 late: both rules, each named.
    expect(s.reasons.at(-1)).toBe('at risk: 50% paid on time, under the 70% below which a payer is at risk; 3 late in the last 12 months, at risk from 3');
  });

  it('honours the grace days of the policy', () => {
    const invoices = monthly(2024, 1, [2, 2, 2, 2, 2, 2, 2]);
    expect(paymentLoyalty({ customerSince: '2020-01-01', invoices, asOf: '2024-09-01' }).value).toBe(0);
    const graceful = paymentLoyalty({ customerSince: '2020-01-01', invoices, asOf: '2024-09-01' }, { ...defaultPaymentLoyaltyPolicy, version: 3, graceDays: 3 });
    expect(graceful.value).toBe(1);
    expect(graceful.band).toBe('loyal');
    expect(graceful.modelVersion).toBe('payment-loyalty/12;policy=3');
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
    // Late within the last 12 months, but 10 on time in a row since: forgiven, loyal again.
    expect(s).toMatchObject({ lateLast12Months: 1, streak: 10, band: 'loyal' });
    expect(s.reasons).toContain('1 late payment in the last 12 months');
    expect(s.reasons.at(-1)).toBe('one late payment in the last 12 months, then 10 on time in a row: loyal again');
    // Paid late 400 days ago: out of the last 12 months.
    const older = { dueAt: new Date(dueDay.getTime() - 60 * 86_400_000), paidAt: new Date(dueDay.getTime() - 35 * 86_400_000) };
    expect(paymentLoyalty({ customerSince: '2020-01-01', invoices: [older, ...onTime], asOf })).toMatchObject({ lateLast12Months: 0 });
  });
});

/** Monthly invoices due on the 24th from 2012-01 to 2026-10, paid 2 days early except those of the `slips` months (YYYY-MM), 5 days late. */
function monthlyFrom2012(slips: string[]): InvoiceRecord[] {
  return Array.from({ length: 12 * 14 + 10 }, (_, i) => {
    const dueAt = new Date(Date.UTC(2012, i, 24));
    const delay = slips.includes(dueAt.toISOString().slice(0, 7)) ? 5 : -2;
    return { dueAt, paidAt: new Date(dueAt.getTime() + delay * 86_400_000) };
  });
}

describe('payment loyalty: the loyal band goes by the recent record and forgives one slip', () => {
  /** Invoices due on the given days, paid `delay` days after (negative: before). */
  const due = (days: [string, number][]): InvoiceRecord[] =>
    days.map(([d, delay]) => ({ dueAt: d, paidAt: new Date(Date.parse(d) + delay * 86_400_000) }));
  // Lena: invoiced every 70 days, ten invoices paid two days early, then the eleventh 11 days late.
  const lenasTen: [string, number][] = [
    ['2024-12-24', -2], ['2025-03-04', -2], ['2025-05-13', -2], ['2025-07-22', -2], ['2025-09-30', -2],
    ['2025-12-09', -2], ['2026-02-17', -2], ['2026-04-28', -2], ['2026-07-07', -2], ['2026-09-15', -2],
  ];

  it('keeps a payer loyal after one late payment that follows ten on time, and says why', () => {
    const s = paymentLoyalty({ customerSince: '2023-01-10', invoices: due([...lenasTen, ['2026-11-24', 11]]), asOf: '2026-12-05' });
    // The record itself still shows the slip: 10 of 11 (90.9%), no streak, 1 late in 12 months.
    expect(s).toMatchObject({ band: 'loyal', countedInvoices: 11, onTimeInvoices: 10, streak: 0, lateLast12Months: 1 });
    expect(s.reasons).toEqual([
      'customer for 3 years 10 months (since 2023-01-10)',
      'paid 10 of 11 invoices on time (90.9%)',
      'the most recent invoice was paid late',
      '1 late payment in the last 12 months',
      'one late payment in the last 12 months after 10 on time in a row: still loyal',
    ]);
    // A second slip ten weeks later is not forgiven: 9 of the 11 invoices of the last 24 months on time (81.8%).
    const twice = paymentLoyalty({ customerSince: '2023-01-10', invoices: due([...lenasTen, ['2026-11-24', 11], ['2027-02-02', 10]]), asOf: '2027-02-12' });
    expect(twice).toMatchObject({ band: 'regular', lateLast12Months: 2 });
    expect(twice.reasons.at(-1)).toBe(
      'not in the loyal band yet: 81.8% on time in the last 24 months, below the 95% it needs; 0 of the 6 on-time invoices in a row it needs; 2 late in the last 12 months, more than the 0 it allows',
    );
  });

  it('does not forgive a slip without a loyal streak before or since it, nor an invoice still unpaid', () => {
    // Monthly, 3 on time, 5 days late, 3 on time: 1 late in 12 months and 6 of 7 on time (85.7%).
    const s = paymentLoyalty({ customerSince: '2020-01-01', invoices: monthly(2024, 1, [0, 0, 0, 5, 0, 0, 0]), asOf: '2024-08-01' });
    expect(s.band).toBe('regular');
    expect(s.reasons.at(-1)).toBe('not in the loyal band yet: 85.7% on time, below the 95% it needs; 3 of the 6 on-time invoices in a row it needs; 1 late in the last 12 months, more than the 0 it allows');
    // 24 on time, then one unpaid for 36 days: a payment still missing is not a slip to forgive.
    expect(paymentLoyalty({ customerSince: '2022-12-01', invoices: [...monthly(2023, 1, Array(24).fill(0)), ...monthly(2025, 1, [null])], asOf: '2025-02-20' }).band).toBe('regular');
  });

  it('forgives no slip on a streak of years ago, nor a payment months late', () => {
    // Six on time in 2018, then nothing until one invoice paid 20 days late: the recent record is that invoice (and the last
    // two of 2018, to make three), with no loyal run before the slip within it.
    const back = due([['2018-01-15', 0], ['2018-03-15', 0], ['2018-05-15', 0], ['2018-07-15', 0], ['2018-09-15', 0], ['2018-11-15', 0], ['2026-06-01', 20]]);
    expect(paymentLoyalty({ customerSince: '2017-06-01', invoices: back, asOf: '2026-09-01' }).band).toBe('regular');
    // Lena's ten on time, then the eleventh paid 60 days late: not a slip, though paid now.
    const late = paymentLoyalty({ customerSince: '2023-01-10', invoices: due([...lenasTen, ['2026-09-30', 60]]), asOf: '2026-12-05' });
    expect(late.band).toBe('regular');
    // 30 days late is still a slip.
    expect(paymentLoyalty({ customerSince: '2023-01-10', invoices: due([...lenasTen, ['2026-10-30', 30]]), asOf: '2026-12-05' }).band).toBe('loyal');
  });

  it('forgives a slip after years on time whatever the billing rhythm: a quarterly and a yearly payer as a monthly one', () => {
    // Ten years on time (paid 2 days early), one invoice paid 5 days late on 2025-11-24, more than 12 months before asOf.
    const record = (dueDays: string[]) => due(dueDays.map((d) => [d, d === '2025-11-24' ? 5 : -2] as [string, number]));
    const every = (months: number, from: string, to: string) => {
      const days: string[] = [];
      for (let d = new Date(`${from}T00:00:00Z`); d <= new Date(`${to}T00:00:00Z`); d.setUTCMonth(d.getUTCMonth() + months)) days.push(d.toISOString().slice(0, 10));
      return days;
    };
    const asOf = '2026-12-06';
    const monthlyPayer = paymentLoyalty({ customerSince: '2016-12-01', invoices: record(every(1, '2016-12-24', '2026-10-24').map((d) => d.replace(/-\d\d$/, '-24'))), asOf });
    const quarterly = paymentLoyalty({ customerSince: '2016-12-01', invoices: record(every(3, '2017-02-24', '2026-08-24')), asOf });
    const yearly = paymentLoyalty({ customerSince: '2012-11-01', invoices: record(every(12, '2013-11-24', '2025-11-24')), asOf });
    expect(monthlyPayer.band).toBe('loyal');
    // 24 months hold 7 settled quarterly invoices (3 on time before the slip, 3 since) and 2 yearly ones: the run before it
    // is counted back over the record, 35 quarters and 12 years on time.
    expect(quarterly).toMatchObject({ band: 'loyal', lateLast12Months: 0 });
    expect(quarterly.reasons.at(-1)).toBe('one late payment in the last 24 months after 35 on time in a row: still loyal');
    expect(yearly).toMatchObject({ band: 'loyal', streak: 0 });
    expect(yearly.reasons.at(-1)).toBe('one late payment in the last 24 months after 12 on time in a row: still loyal');
    // Two slips within the 24 months are not forgiven, for the quarterly payer as for any.
    const twice = paymentLoyalty({ customerSince: '2016-12-01', invoices: due(every(3, '2017-02-24', '2026-08-24').map((d) => [d, d === '2025-11-24' || d === '2026-05-24' ? 5 : -2] as [string, number])), asOf });
    expect(twice.band).toBe('regular');
    // Nor is a slip after a run broken by years without an invoice (away from 2018 to 2025).
    const away = paymentLoyalty({ customerSince: '2016-12-01', invoices: record([...every(3, '2017-02-24', '2018-11-24'), '2025-11-24', '2026-02-24']), asOf });
    expect(away.band).toBe('regular');
  });

  it('counts a rarely invoiced payer\'s run by its years too: three on time over 24 months or more are a loyal record', () => {
    const asOf = '2026-12-06';
    const yearly = (slips: string[]) => due(['2012', '2013', '2014', '2015', '2016', '2017', '2018', '2019', '2020', '2021', '2022', '2023', '2024', '2025'].map((y) => [`${y}-11-24`, slips.includes(y) ? 5 : -2] as [string, number]));
    const monthly = (slips: string[]) => monthlyFrom2012(slips);
    // Two slips four years apart, 2021 and 2025: the monthly payer has 47 on time before the recent one, the yearly payer 3,
    // whose due days lie two years apart: both loyal, the recent slip forgiven, the older one out of the 24 months.
    expect(paymentLoyalty({ customerSince: '2011-12-01', invoices: monthly(['2021-11', '2025-11']), asOf }).band).toBe('loyal');
    const twoSlips = paymentLoyalty({ customerSince: '2011-12-01', invoices: yearly(['2021', '2025']), asOf });
    expect(twoSlips.band).toBe('loyal');
    expect(twoSlips.reasons).toContain('one late payment in the last 24 months after 3 on time in a row over 2 years: still loyal');
    // Two on time between the slips (2023, 2024: 12 months) are too short a record, as five of a monthly payer's are.
    expect(paymentLoyalty({ customerSince: '2011-12-01', invoices: yearly(['2022', '2025']), asOf }).band).toBe('regular');
    // Three years on time with nothing late: loyal, where six invoices in a row would take a yearly payer six years.
    const clean = paymentLoyalty({ customerSince: '2022-11-01', invoices: due([['2023-11-24', -2], ['2024-11-24', -2], ['2025-11-24', -2]]), asOf });
    expect(clean).toMatchObject({ band: 'loyal', streak: 3 });
    // The run's own invoices must lie 24 months apart, not its first and today: three small invoices paid in one week two
    // years ago are no loyal record, with nothing since, with an invoice now overdue, or before a slip.
    const week = due([['2024-10-20', -1], ['2024-10-25', -1], ['2024-10-30', -1]]);
    expect(paymentLoyalty({ customerSince: '2024-10-01', invoices: week, asOf }).band).toBe('regular');
    expect(paymentLoyalty({ customerSince: '2024-10-01', invoices: [...week, { dueAt: '2026-11-16', paidAt: null }], asOf }).band).toBe('regular');
    expect(paymentLoyalty({ customerSince: '2024-10-01', invoices: [...week, ...due([['2026-10-01', 10]])], asOf }).band).toBe('regular');
  });

  it('lets a slip more than 24 months ago go, and a slip within them once six on time since restore the band', () => {
    // David: invoiced every ~100 days; 1 on time, the 2024-06-10 one paid 18 days late, 7 on time since.
    const david = due([
      ['2024-03-01', -1], ['2024-06-10', 18], ['2024-09-18', -1], ['2024-12-27', -1], ['2025-04-06', -1],
      ['2025-07-15', -1], ['2025-10-23', -1], ['2026-01-31', -1], ['2026-05-11', -1],
    ]);
    const s = paymentLoyalty({ customerSince: '2023-11-01', invoices: david, asOf: '2026-12-05' });
    // 8 of 9 (88.8%) lifetime, but the invoices of the last 24 months (from 2024-12-27) are all on time.
    expect(s).toMatchObject({ band: 'loyal', value: 8 / 9, streak: 7, lateLast12Months: 0 });
    expect(s.reasons).toEqual([
      'customer for 3 years 1 month (since 2023-11-01)',
      'paid 8 of 9 invoices on time (88.8%)',
      'on time for the last 7 invoices in a row',
      'no late payment in the last 12 months',
      '1 late payment from before the last 24 months: no longer counted for the loyal band',
    ]);
    // On 2026-04-01 the slip is within the last 24 months: the 6 on time since it (to 2026-01-31) restore the band.
    const earlier = paymentLoyalty({ customerSince: '2023-11-01', invoices: david, asOf: '2026-04-01' });
    expect(earlier).toMatchObject({ band: 'loyal', streak: 6, lateLast12Months: 0 });
    expect(earlier.reasons.at(-1)).toBe('one late payment in the last 24 months, then 6 on time in a row: loyal again');
    // ... and on 2025-11-01, with only 5 since, not yet (6 of all 7 on time, 85.7%).
    const tooSoon = paymentLoyalty({ customerSince: '2023-11-01', invoices: david.slice(0, 7), asOf: '2025-11-01' });
    expect(tooSoon.band).toBe('regular');
    expect(tooSoon.reasons.at(-1)).toBe('not in the loyal band yet: 85.7% on time, below the 95% it needs; 5 of the 6 on-time invoices in a row it needs');
  });

  it('counts two invoices missed together and paid late as one lapse: forgiven after a loyal streak, once paid as while open', () => {
    // Lars: twelve monthly invoices paid on their due day, then the two of one billing run (due 11-20 and 11-21) both
    // paid on 12-05 (15 and 14 days late): one payment settled both.
    const twelve = monthly(2025, 11, Array(12).fill(0));
    const lapse = due([['2026-11-20', 15], ['2026-11-21', 14]]);
    const s = paymentLoyalty({ customerSince: '2024-06-01', invoices: [...twelve, ...lapse], asOf: '2026-12-06' });
    // The record itself still shows both: 12 of 14 on time (85.7%), no streak, 2 late in the last 12 months.
    expect(s).toMatchObject({ band: 'loyal', countedInvoices: 14, onTimeInvoices: 12, streak: 0, lateLast12Months: 2 });
    expect(s.reasons).toEqual([
      'customer for 2 years 6 months (since 2024-06-01)',
      'paid 12 of 14 invoices on time (85.7%)',
      'the most recent invoice was paid late',
      '2 late payments in the last 12 months',
      "one lapse (2 invoices overdue together, all paid within 15 days of the first one's due day) in the last 12 months after 12 on time in a row: still loyal",
    ]);
    // While both were open (and overdue 15 and 14 days) neither counted yet: loyal then too.
    const open = due([['2026-11-20', 0], ['2026-11-21', 0]]).map((i) => ({ ...i, paidAt: null }));
    expect(paymentLoyalty({ customerSince: '2024-06-01', invoices: [...twelve, ...open], asOf: '2026-12-05' }).band).toBe('loyal');
    // Lena: ten on time every 70 days, then invoices due 11-20 and 11-25 paid on 12-05: one lapse, still loyal.
    const lena = paymentLoyalty({ customerSince: '2023-01-10', invoices: due([...lenasTen, ['2026-11-20', 15], ['2026-11-25', 10]]), asOf: '2026-12-05' });
    expect(lena.band).toBe('loyal');
    expect(lena.reasons.at(-1)).toBe("one lapse (2 invoices overdue together, all paid within 15 days of the first one's due day) in the last 12 months after 10 on time in a row: still loyal");
    // The same-lapse window is the policy's: with none, the two are two lapses, and one lapse is all it forgives.
    const noWindow = { ...defaultPaymentLoyaltyPolicy, loyal: { ...defaultPaymentLoyaltyPolicy.loyal, sameLapseWithinDays: 0 } };
    const two = paymentLoyalty({ customerSince: '2024-06-01', invoices: [...twelve, ...lapse], asOf: '2026-12-06' }, noWindow);
    expect(two.band).toBe('regular');
    expect(two.reasons.at(-1)).toBe('not in the loyal band yet: 85.7% on time, below the 95% it needs; 0 of the 6 on-time invoices in a row it needs; 2 late in the last 12 months, more than the 0 it allows');
  });

  it('counts the invoices of one missed billing period, overdue together and each paid on its own within 30 days, as one lapse: still loyal', () => {
    // Twelve monthly invoices paid on their due day (2025-10-15 .. 2026-09-15), then the three of one missed billing period,
    // due 11-10, 11-20 and 11-25, one reminder each, each answered with a transfer of its own: paid 12-05, 12-08 and 12-10
    // (25, 18 and 15 days late). Each later one was overdue before the earlier was paid, and the last payment came 30 days
    // after the first one's due day (the policy's 30): one lapse, forgiven after 12 on time in a row.
    const twelve = monthly(2025, 10, Array(12).fill(0));
    const missed = due([['2026-11-10', 25], ['2026-11-20', 18], ['2026-11-25', 15]]);
    const s = paymentLoyalty({ customerSince: '2024-06-01', invoices: [...twelve, ...missed], asOf: '2026-12-20' });
    // The record still shows each: 12 of 15 on time (80%), no streak, 3 late in the last 12 months.
    expect(s).toMatchObject({ band: 'loyal', countedInvoices: 15, onTimeInvoices: 12, streak: 0, lateLast12Months: 3 });
    expect(s.reasons).toEqual([
      'customer for 2 years 6 months (since 2024-06-01)',
      'paid 12 of 15 invoices on time (80%)',
      'the most recent invoice was paid late',
      '3 late payments in the last 12 months',
      "one lapse (3 invoices overdue together, all paid within 30 days of the first one's due day) in the last 12 months after 12 on time in a row: still loyal",
    ]);
    // Loyal after each payment too: after the second, the third is open 13 days (not counted yet), the two paid are one lapse.
    const afterTwo = paymentLoyalty({ customerSince: '2024-06-01', invoices: [...twelve, ...missed.slice(0, 2), { dueAt: '2026-11-25', paidAt: null }], asOf: '2026-12-08' });
    expect(afterTwo).toMatchObject({ band: 'loyal', lateLast12Months: 2 });
    expect(afterTwo.reasons.slice(-2)).toEqual([
      'invoice due 2026-11-25 is unpaid, 13 days overdue',
      "one lapse (2 invoices overdue together, all paid within 28 days of the first one's due day) in the last 12 months after 12 on time in a row: still loyal",
    ]);
    // The same three paid with one payment on 12-10: the same band, so the number of transfers does not matter.
    const together = paymentLoyalty({ customerSince: '2024-06-01', invoices: [...twelve, ...due([['2026-11-10', 30], ['2026-11-20', 20], ['2026-11-25', 15]])], asOf: '2026-12-20' });
    expect(together.band).toBe('loyal');
    // At risk all the same with two more late payments this year (March's and June's, 5 days late): the lapse counts once,
    // 3 late for the at-risk rule (of 5 late invoices), and the reasons say how. 22 of 27 on time (81.4%): the count alone.
    const more = monthly(2024, 10, [...Array(17).fill(0), 5, 0, 0, 5, 0, 0, 0]);
    const atRisk = paymentLoyalty({ customerSince: '2024-06-01', invoices: [...more, ...missed], asOf: '2026-12-20' });
    expect(atRisk).toMatchObject({ band: 'at-risk', lateLast12Months: 5 });
    expect(atRisk.reasons.at(-1)).toBe('at risk: 3 late in the last 12 months (a lapse of invoices overdue together, all paid within 30 days, counted once), at risk from 3');
  });

  it('keeps invoices not overdue together, or paid by a payer behind for longer than 30 days in all, as lapses of their own', () => {
    const twelve = monthly(2025, 10, Array(12).fill(0));
    const asOf = '2026-12-20';
    // Late again and again: due 11-10 paid 11-15, due 11-20 paid 11-24, due 11-30 paid 12-04; each paid before the next fell
    // overdue, all due within 30 days of the first and paid within days: three lapses, three late payments, at risk.
    const again = paymentLoyalty({ customerSince: '2024-06-01', invoices: [...twelve, ...due([['2026-11-10', 5], ['2026-11-20', 4], ['2026-11-30', 4]])], asOf });
    expect(again).toMatchObject({ band: 'at-risk', lateLast12Months: 3 });
    expect(again.reasons.at(-1)).toBe('at risk: 3 late in the last 12 months, at risk from 3');
    // The first two alone: two lapses, none forgiven (one is all it forgives): regular, 12 of 14 on time (85.7%).
    const twice = paymentLoyalty({ customerSince: '2024-06-01', invoices: [...twelve, ...due([['2026-11-10', 5], ['2026-11-20', 4]])], asOf });
    expect(twice.band).toBe('regular');
    expect(twice.reasons.at(-1)).toBe('not in the loyal band yet: 85.7% on time, below the 95% it needs; 0 of the 6 on-time invoices in a row it needs; 2 late in the last 12 months, more than the 0 it allows');
    // Overdue together but behind for two months: February's paid 03-17 (30 days late), March's 04-14 (30 days late), each
    // paid when the next was overdue, the last 58 days after the first one's due day: two lapses, as two paid 10 days late are.
    const record = [...monthly(2024, 6, Array(20).fill(0)), ...monthly(2026, 4, Array(8).fill(0))];
    const behind = paymentLoyalty({ customerSince: '2024-01-10', invoices: [...record, ...due([['2026-02-15', 30], ['2026-03-15', 30]])], asOf: '2026-12-06' });
    expect(behind).toMatchObject({ band: 'regular', lateLast12Months: 2 });
    expect(behind.reasons.at(-1)).toMatch(/; 2 late in the last 12 months, more than the 0 it allows$/);
  });

  it('does not join an invoice paid later than 30 days after the lapse\'s first fell due into that lapse', () => {
    const twelve = monthly(2025, 10, Array(12).fill(0));
    // The missed billing period again, but the third invoice (due 11-25) paid on 12-28, 33 days late: the first two are one
    // lapse (paid 28 days after 11-10), the third a lapse of its own and no slip. Two lapses, not forgiven: regular; for the
    // at-risk rule the slip lapse counts once and the other by its one invoice: 2 late, not 3.
    const late = paymentLoyalty({ customerSince: '2024-06-01', invoices: [...twelve, ...due([['2026-11-10', 25], ['2026-11-20', 18], ['2026-11-25', 33]])], asOf: '2026-12-30' });
    expect(late).toMatchObject({ band: 'regular', lateLast12Months: 3 });
    expect(late.reasons.at(-1)).toBe('not in the loyal band yet: 80% on time, below the 95% it needs; 0 of the 6 on-time invoices in a row it needs; 2 lapses (3 invoices) late in the last 12 months, more than the 0 it allows');
    // Each paid within 30 days of its own due day, but the last 31 days after the first's (12-11): the third is a lapse of
    // its own all the same, so the payer behind for longer than a slip keeps no band for it.
    const longer = paymentLoyalty({ customerSince: '2024-06-01', invoices: [...twelve, ...due([['2026-11-10', 25], ['2026-11-20', 18], ['2026-11-25', 16]])], asOf: '2026-12-30' });
    expect(longer.band).toBe('regular');
    expect(longer.reasons.at(-1)).toMatch(/; 2 lapses \(3 invoices\) late in the last 12 months, more than the 0 it allows$/);
    // The middle one paid 35 days late (12-20), the others on 12-05 and 12-08: the first and the third, overdue together and
    // paid 28 days after 11-10, are still one lapse, the middle one a lapse of its own: 2 late for the at-risk rule, regular.
    const middle = paymentLoyalty({ customerSince: '2024-06-01', invoices: [...twelve, ...due([['2026-11-10', 25], ['2026-11-15', 35], ['2026-11-20', 18]])], asOf: '2026-12-30' });
    expect(middle).toMatchObject({ band: 'regular', lateLast12Months: 3 });
    expect(middle.reasons.at(-1)).toMatch(/; 2 lapses \(3 invoices\) late in the last 12 months, more than the 0 it allows$/);
  });

  it('counts late payments months apart, or each paid before the next fell due, as separate lapses', () => {
    const twelve = monthly(2025, 11, Array(12).fill(0));
    // Late in March and in November 2026, on time between: two lapses, none forgiven.
    const months = paymentLoyalty({ customerSince: '2024-06-01', invoices: [...monthly(2025, 5, [...Array(10).fill(0), 5, ...Array(7).fill(0), 5])], asOf: '2026-12-06' });
    expect(months).toMatchObject({ band: 'regular', lateLast12Months: 2 });
    expect(months.reasons.at(-1)).toBe('not in the loyal band yet: 89.4% on time, below the 95% it needs; 0 of the 6 on-time invoices in a row it needs; 2 late in the last 12 months, more than the 0 it allows');
    // Due 10-15 paid 10-20, due 11-15 paid 11-20: 31 days apart and the first paid before the second fell due: two slips.
    const eachPaid = paymentLoyalty({ customerSince: '2024-06-01', invoices: [...monthly(2025, 10, Array(12).fill(0)), ...due([['2026-10-15', 5], ['2026-11-15', 5]])], asOf: '2026-12-06' });
    expect(eachPaid).toMatchObject({ band: 'regular', lateLast12Months: 2 });
    // Invoices due a week apart, the first paid 3 days late before the second fell due: two lapses though due within 30 days.
    const weekly = paymentLoyalty({ customerSince: '2024-06-01', invoices: [...twelve, ...due([['2026-11-02', 3], ['2026-11-09', 3]])], asOf: '2026-12-06' });
    expect(weekly).toMatchObject({ band: 'regular', lateLast12Months: 2 });
    expect(weekly.reasons.at(-1)).toMatch(/; 2 late in the last 12 months, more than the 0 it allows$/);
  });

  it('never joins two billing runs each paid on a day of its own into one lapse, however late: paying later is not rewarded', () => {
    // Monthly invoices paid on their due day, then February's and March's each paid late on a day of its own: 29 days
    // late each, or 10 days late each, two lapses either way (joined when they overlapped, the later payer kept the band).
    const record = [...monthly(2024, 6, Array(20).fill(0)), ...monthly(2026, 4, Array(8).fill(0))];
    for (const late of [29, 10]) {
      const s = paymentLoyalty({ customerSince: '2024-01-10', invoices: [...record, ...due([['2026-02-15', late], ['2026-03-15', late]])], asOf: '2026-12-06' });
      expect(s).toMatchObject({ band: 'regular', lateLast12Months: 2 });
      expect(s.reasons.at(-1)).toMatch(/; 2 late in the last 12 months, more than the 0 it allows$/);
    }
    // Both paid together when March's came (February's 29 days late, March's 1 day): one catch-up payment, one lapse.
    const together = paymentLoyalty({ customerSince: '2024-01-10', invoices: [...record, ...due([['2026-02-15', 29], ['2026-03-15', 1]])], asOf: '2026-12-06' });
    expect(together.band).toBe('loyal');
  });

  it('counts one billing run of several contracts paid a few days late once for the at-risk rule, but every invoice of a payer who stopped paying', () => {
    // Three contracts, each invoiced monthly and paid on its due day for two and a half years, but October's three, paid
    // together five days late (a card replaced): one slip, forgiven, not three late payments that make them at risk.
    const contract = monthly(2024, 6, Array(28).fill(0)).filter((i) => new Date(i.dueAt).toISOString().slice(0, 10) !== '2026-10-15');
    const record = [...contract, ...contract, ...contract];
    const october = (delay: number) => Array(3).fill({ dueAt: new Date('2026-10-15T00:00:00Z'), paidAt: new Date(Date.parse('2026-10-15T00:00:00Z') + delay * 86_400_000) });
    const slipped = paymentLoyalty({ customerSince: '2024-01-10', invoices: [...record, ...october(5)], asOf: '2026-12-06' });
    expect(slipped).toMatchObject({ band: 'loyal', lateLast12Months: 3 });
    expect(slipped.reasons.at(-1)).toMatch(/^one lapse \(3 invoices overdue together, all paid within 5 days of the first one's due day\) in the last 12 months after \d+ on time in a row: still loyal$/);
    // Paid together 40 days late (no slip): each invoice counts, and three make the payer at risk.
    const late = paymentLoyalty({ customerSince: '2024-01-10', invoices: [...record, ...october(40)], asOf: '2026-12-06' });
    expect(late).toMatchObject({ band: 'at-risk', lateLast12Months: 3 });
    expect(late.reasons.at(-1)).toBe('at risk: 3 late in the last 12 months, at risk from 3');
  });

  it('says how many lapses and invoices keep a payer from the loyal band when a lapse of several is not forgiven', () => {
    // 3 on time, two invoices due 07-15 and 07-16 paid 08-01, 2 on time since: no loyal run before or since, not forgiven.
    // 5 of 7 on time (71.4%) and 2 late in 12 months: not at risk (under 70%, or 3 late).
    const s = paymentLoyalty({ customerSince: '2020-01-01', invoices: [...monthly(2026, 4, [0, 0, 0]), ...due([['2026-07-15', 17], ['2026-07-16', 16]]), ...monthly(2026, 8, [0, 0])], asOf: '2026-10-01' });
    expect(s).toMatchObject({ band: 'regular', lateLast12Months: 2, streak: 2 });
    expect(s.reasons.at(-1)).toBe('not in the loyal band yet: 71.4% on time, below the 95% it needs; 2 of the 6 on-time invoices in a row it needs; 1 lapse (2 invoices) late in the last 12 months, more than the 0 it allows');
  });

  it('judges at-risk as before: three late in 12 months, or under 70% on time over the whole record, whatever came before', () => {
    // 12 on time, then three of the next six late: at risk (the slips are not forgiven either: three, not one).
    const three = paymentLoyalty({ customerSince: '2020-01-01', invoices: monthly(2023, 1, [...Array(12).fill(0), 5, 0, 5, 0, 5, 0]), asOf: '2024-07-20' });
    expect(three).toMatchObject({ band: 'at-risk', lateLast12Months: 3 });
    // 15 of 18 on time (83.3%): the late payments alone.
    expect(three.reasons.at(-1)).toBe('at risk: 3 late in the last 12 months, at risk from 3');
    // Over 70% lifetime share counts even when the late ones are older than 24 months: 3 of 10 on time.
    const old = paymentLoyalty({ customerSince: '2015-01-01', invoices: [...monthly(2018, 1, Array(7).fill(20)), ...monthly(2024, 1, [0, 0, 0])], asOf: '2024-04-20' });
    expect(old).toMatchObject({ band: 'at-risk', value: 0.3 });
    // No late payment in the last 12 months: the share alone.
    expect(old.reasons).toContain('no late payment in the last 12 months');
    expect(old.reasons.at(-1)).toBe('at risk: 30% paid on time, under the 70% below which a payer is at risk');
  });

  it('leaves the days an invoice was disputed out: a loyal payer stays loyal through a dispute longer than 30 days, and once they pay after it', () => {
    // 24 monthly invoices paid on time, and one due 2026-10-20 disputed on 2026-10-22 (goods not received).
    const history: InvoiceRecord[] = Array.from({ length: 24 }, (_, i) => {
      const due = `${2024 + Math.floor((i + 9) / 12)}-${String(((i + 9) % 12) + 1).padStart(2, '0')}-20`;
      return { dueAt: due, paidAt: due };
    });
    const disputed: InvoiceRecord = { dueAt: '2026-10-20', paidAt: null, disputedFrom: '2026-10-22' };
    const score = (invoices: InvoiceRecord[], asOf: string) => paymentLoyalty({ customerSince: '2024-01-01', invoices, asOf });
    // Without the dispute it counts late after 30 days unpaid.
    expect(score([...history, { dueAt: '2026-10-20', paidAt: null }], '2026-11-25').band).toBe('regular');
    // Disputed: never more than the 2 days it was overdue when disputed.
    const open = score([...history, disputed], '2026-11-25');
    expect(open.band).toBe('loyal');
    expect(open.overdueNow).toEqual([{ dueAt: '2026-10-20', daysOverdue: 2 }]);
    expect(open.reasons).toContain('invoice due 2026-10-20 is disputed: its 34 disputed days left out (judged as due 2026-11-23)');
    // Rejected on 2026-11-26, paid on 2026-11-28: 2 days after the due day the 35 disputed days moved it to, a slip forgiven.
    const paid = score([...history, { ...disputed, disputeResolvedAt: '2026-11-26', paidAt: '2026-11-28' }], '2026-12-10');
    expect(paid.band).toBe('loyal');
    expect(paid.reasons).toContain('invoice due 2026-10-20 was disputed: its 35 disputed days left out (judged as due 2026-11-24)');
    // Paid while disputed, disputed before it fell due: on time.
    expect(score([...history, { dueAt: '2026-10-20', paidAt: '2026-11-28', disputedFrom: '2026-10-15' }], '2026-12-10').onTimeInvoices).toBe(25);
  });

  it('keeps leaving an upheld dispute out until the invoice is paid or cancelled: the customer who was right is not late while billing corrects it', () => {
    const history: InvoiceRecord[] = Array.from({ length: 24 }, (_, i) => {
      const due = `${2024 + Math.floor((i + 9) / 12)}-${String(((i + 9) % 12) + 1).padStart(2, '0')}-20`;
      return { dueAt: due, paidAt: due };
    });
    const score = (invoices: InvoiceRecord[], asOf: string) => paymentLoyalty({ customerSince: '2024-01-01', invoices, asOf });
    // Due 2026-10-20, disputed on 10-22 (charged twice), the dispute resolved on 11-01; no credit note yet on 2027-01-10.
    const resolved: InvoiceRecord = { dueAt: '2026-10-20', paidAt: null, disputedFrom: '2026-10-22', disputeResolvedAt: '2026-11-01' };
    // Rejected: the invoice stands, and 70 days unpaid after the rejection count late.
    expect(score([...history, resolved], '2027-01-10').band).toBe('regular');
    const upheld = score([...history, { ...resolved, disputeUpheld: true }], '2027-01-10');
    expect(upheld.band).toBe('loyal');
    expect(upheld.overdueNow).toEqual([{ dueAt: '2026-10-20', daysOverdue: 2 }]);
    expect(upheld.reasons).toContain('invoice due 2026-10-20 was disputed and the dispute upheld, billing to correct it: its 80 disputed days left out (judged as due 2027-01-08)');
    // Billing corrected it and the customer paid the corrected amount on 2027-01-12: the disputed days end there, and the
    // invoice counts as the 2 days late it was when disputed (a slip forgiven), not as 84 days.
    const paid = score([...history, { ...resolved, disputeUpheld: true, paidAt: '2027-01-12' }], '2027-01-20');
    expect(paid.band).toBe('loyal');
    expect(paid.reasons).toContain('invoice due 2026-10-20 was disputed: its 82 disputed days left out (judged as due 2027-01-10)');
  });

  it("keeps leaving out an earlier dispute's days when the invoice is disputed again: the customer is not judged late for the first dispute", () => {
    const history: InvoiceRecord[] = Array.from({ length: 24 }, (_, i) => {
      const due = `${2024 + Math.floor((i + 9) / 12)}-${String(((i + 9) % 12) + 1).padStart(2, '0')}-20`;
      return { dueAt: due, paidAt: due };
    });
    const score = (invoices: InvoiceRecord[], asOf: string) => paymentLoyalty({ customerSince: '2024-01-01', invoices, asOf });
    // Due 2026-10-20, disputed on 10-22, rejected on 11-26 (35 days); disputed again on 11-29, still open on 12-01.
    const again: InvoiceRecord = { dueAt: '2026-10-20', paidAt: null, disputedFrom: '2026-11-29', disputedDaysBefore: 35 };
    // Without the first dispute's days it was 40 days overdue when disputed again: late, regular.
    expect(score([...history, { ...again, disputedDaysBefore: 0 }], '2026-12-01').band).toBe('regular');
    const open = score([...history, again], '2026-12-01');
    expect(open.band).toBe('loyal');
    expect(open.overdueNow).toEqual([{ dueAt: '2026-10-20', daysOverdue: 5 }]);
    expect(open.reasons).toContain('invoice due 2026-10-20 is disputed: its 37 disputed days left out (judged as due 2026-11-26)');
  });
});
