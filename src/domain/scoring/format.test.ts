import { dayNumber, isCalendarDay, isoDay } from '../dates.js';
import { fmt, money, pct } from './format.js';

describe('formatting for reasons', () => {
  it('formats numbers without trailing zeros or negative zero', () => {
    expect(fmt(30)).toBe('30');
    expect(fmt(8.25, 1)).toBe('8.3');
    expect(fmt(-0.04)).toBe('0');
    expect(fmt(1.5, 2)).toBe('1.5');
    expect(pct(0.625)).toBe('63%');
  });

  it('formats minor units as money', () => {
    expect(money(123456)).toBe('1,234.56');
    expect(money(-5000)).toBe('-50.00');
    expect(money(-0.4)).toBe('0.00');
    expect(money(5, 'EUR')).toBe('EUR 0.05');
    expect(money(123456789012)).toBe('1,234,567,890.12');
  });
});

describe('calendar days', () => {
  it('counts UTC calendar days from strings and Dates', () => {
    expect(dayNumber('1997-09-30') - dayNumber('1997-01-01')).toBe(272);
    expect(dayNumber(new Date('1997-01-01T23:59:59Z'))).toBe(dayNumber('1997-01-01'));
    expect(isoDay(dayNumber('2024-02-29'))).toBe('2024-02-29');
    expect(dayNumber('2025-01-01T10:00:00Z')).toBe(dayNumber('2025-01-01'));
  });

  it('takes day numbers as they are (a rescore reads them in bulk)', () => {
    expect(dayNumber(0)).toBe(dayNumber('1970-01-01'));
    expect(dayNumber(20089)).toBe(dayNumber('2025-01-01'));
    expect(dayNumber('1997-09-30') - dayNumber(dayNumber('1997-01-01'))).toBe(272);
  });

  it('refuses invalid dates', () => {
    expect(() => dayNumber('2025-02-30')).toThrow(RangeError);
    expect(() => dayNumber('yesterday')).toThrow(RangeError);
    expect(() => dayNumber(new Date(NaN))).toThrow(RangeError);
    expect(() => dayNumber(1.5)).toThrow(RangeError);
    expect(() => dayNumber(NaN)).toThrow(RangeError);
  });

  it('tells an exact calendar day (what date inputs take) from anything else', () => {
    expect(isCalendarDay('2024-02-29')).toBe(true);
    for (const text of ['2025-02-29', '2026-02-30', '2026-13-01', '2026-11-30T10:00:00Z', ' 2026-11-30', 'yesterday', '']) expect(isCalendarDay(text)).toBe(false);
  });
});
