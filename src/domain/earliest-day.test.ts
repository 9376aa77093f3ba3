import { pastDayProblem } from './earliest-day.js';

describe('pastDayProblem', () => {
  // 13:30 UTC on 5 December: already the 6th in Auckland (UTC+13) and Kiribati (UTC+14), not yet anywhere later.
  const now = new Date('2026-12-05T13:30:00Z');

  it("takes today anywhere on earth: a date picker east of UTC defaults to its own today, which is tomorrow in UTC", () => {
    expect(pastDayProblem('2026-12-05', 'since', now)).toBeNull();
    expect(pastDayProblem('2026-12-06', 'since', now)).toBeNull();
  });

  it('refuses a day no clock has reached yet, a day that is not one, and a day before the earliest kept', () => {
    expect(pastDayProblem('2026-12-07', 'until', now)).toBe('until must not be after today (got "2026-12-07")');
    expect(pastDayProblem('2026-12-06', 'until', new Date('2026-12-05T09:59:00Z'))).toBe('until must not be after today (got "2026-12-06")');
    expect(pastDayProblem('2026-02-30', 'asOf', now)).toBe('asOf "2026-02-30" is not a date (YYYY-MM-DD)');
    expect(pastDayProblem('0026-12-05', 'asOf', now)).toBe('asOf must not be before 1900-01-01');
  });
});
