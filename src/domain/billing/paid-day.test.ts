import { dayIn, outstandingOn, paidOn } from './paid-day.js';
import { latestDayNow } from '../latest-time.js';

describe('paidOn', () => {
  it('is the day the payments in date order first cover the amount', () => {
    expect(paidOn([{ paidAt: '2026-10-05', amountMinor: 4_000 }, { paidAt: '2026-10-20', amountMinor: 6_000 }], 10_000)).toBe('2026-10-20');
  });

  it('counts a payment recorded late on the day it was paid', () => {
    // Recorded last, paid first: 40 on the 5th and 50 on the 10th cover 80 on the 10th, before the 30 of the 20th.
    const payments = [
      { paidAt: '2026-10-10', amountMinor: 5_000 },
      { paidAt: '2026-10-20', amountMinor: 3_000 },
      { paidAt: '2026-10-05', amountMinor: 4_000 },
    ];
    expect(paidOn(payments, 8_000)).toBe('2026-10-10');
  });

  it('is null while the payments fall short, and for none', () => {
    expect(paidOn([{ paidAt: '2026-10-05', amountMinor: 9_999 }], 10_000)).toBeNull();
    expect(paidOn([], 10_000)).toBeNull();
  });

  it('takes an overpayment as covering', () => {
    expect(paidOn([{ paidAt: '2026-10-05', amountMinor: 12_000 }], 10_000)).toBe('2026-10-05');
  });
});

describe('outstandingOn', () => {
  it('is the amount less what was paid while the invoice is open', () => {
    expect(outstandingOn({ amountMinor: 12_335, paidAt: null }, 0)).toBe(12_335);
    expect(outstandingOn({ amountMinor: 12_335, paidAt: null }, 10_000)).toBe(2_335);
  });

  it('is 0 once the invoice counts as paid, also when no payment of it was recorded', () => {
    expect(outstandingOn({ amountMinor: 12_335, paidAt: '2026-10-20' }, 12_335)).toBe(0);
    expect(outstandingOn({ amountMinor: 12_335, paidAt: '2026-10-20' }, 0)).toBe(0);
  });

  it('is never below 0 after an overpayment', () => {
    expect(outstandingOn({ amountMinor: 10_000, paidAt: null }, 12_000)).toBe(0);
  });
});

describe('latestDayNow', () => {
  it('is the calendar day 14 hours ahead of UTC', () => {
    expect(latestDayNow(new Date('2026-12-02T09:59:00Z'))).toBe('2026-12-02');
    expect(latestDayNow(new Date('2026-12-02T10:00:00Z'))).toBe('2026-12-03');
  });
});

describe('dayIn', () => {
  it("is the calendar day in the customer's time zone", () => {
    const evening = new Date('2026-12-03T00:22:00Z'); // 19:22 on the 2nd in New York
    expect(dayIn('America/New_York', evening)).toBe('2026-12-02');
    expect(dayIn('UTC', evening)).toBe('2026-12-03');
    expect(dayIn('Pacific/Kiritimati', new Date('2026-12-02T10:30:00Z'))).toBe('2026-12-03');
  });
});
