import { disputedDays } from './dispute.js';

describe('disputedDays', () => {
  it('counts from the dispute to its rejection, the payment or the day asked, whichever comes first; an upheld dispute runs on', () => {
    expect(disputedDays({ paidAt: null }, '2026-12-01')).toBe(0);
    expect(disputedDays({ disputedFrom: '2026-11-01', paidAt: null }, '2026-12-01')).toBe(30);
    expect(disputedDays({ disputedFrom: '2026-11-01', disputeResolvedAt: '2026-11-11', paidAt: null }, '2026-12-01')).toBe(10);
    expect(disputedDays({ disputedFrom: '2026-11-01', disputeResolvedAt: '2026-11-11', disputeUpheld: true, paidAt: null }, '2026-12-01')).toBe(30);
    expect(disputedDays({ disputedFrom: '2026-11-01', paidAt: '2026-11-05' }, '2026-12-01')).toBe(4);
  });

  it("adds the days the invoice's earlier disputes left out: disputing it again does not make them late days", () => {
    // 35 days of a first dispute (rejected), disputed again on 11-29: 2 more by 12-01.
    expect(disputedDays({ disputedFrom: '2026-11-29', disputedDaysBefore: 35, paidAt: null }, '2026-12-01')).toBe(37);
    // Rejected again on 11-30, asked later: the second dispute's one day, and the first's 35.
    expect(disputedDays({ disputedFrom: '2026-11-29', disputeResolvedAt: '2026-11-30', disputedDaysBefore: 35, paidAt: null }, '2026-12-20')).toBe(36);
    // Work rows from before earlier disputes were kept have none.
    expect(disputedDays({ disputedFrom: '2026-11-29', disputedDaysBefore: null, paidAt: null }, '2026-12-01')).toBe(2);
  });
});
