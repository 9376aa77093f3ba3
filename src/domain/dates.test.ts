import { dayNumber, isCalendarDay, isoDay } from './dates.js';

describe('calendar days', () => {
  it('takes days that exist, also in the first century, and refuses others', () => {
    for (const day of ['2026-12-03', '2024-02-29', '0001-01-01', '0099-12-31', '9999-12-31']) expect(isCalendarDay(day)).toBe(true);
    for (const day of ['2026-02-30', '2025-02-29', '0000-01-01', '2026-13-01', '26-12-03', '2026-12-03T00:00:00Z', '']) expect(isCalendarDay(day)).toBe(false);
    // Only a string: a pattern test would read ["2026-12-03"] as its text.
    for (const value of [['2026-12-03'], { toString: () => '2026-12-03' }, 20261203, null, undefined]) expect(isCalendarDay(value)).toBe(false);
  });

  it('numbers days since 1970-01-01 and gives them back, year 1 included', () => {
    expect(dayNumber('1970-01-02')).toBe(1);
    expect(isoDay(dayNumber('0001-01-01'))).toBe('0001-01-01');
    expect(dayNumber('0050-06-01')).toBeLessThan(dayNumber('1950-06-01'));
  });
});
