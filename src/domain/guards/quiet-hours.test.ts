import { instantAtLocal, isQuietTime, nextSendTime } from './quiet-hours.js';

const quiet = { startHour: 21, endHour: 8 };

describe('quiet hours', () => {
  it('are judged on the customer’s wall clock, not the server’s', () => {
    const at = new Date('2026-06-01T20:30:00Z'); // 22:30 in Berlin (CEST), 16:30 in New York
    expect(isQuietTime(at, 'Europe/Berlin', quiet)).toBe(true);
    expect(isQuietTime(at, 'America/New_York', quiet)).toBe(false);
  });

  it('let a message go at once outside quiet time', () => {
    const at = new Date('2026-06-01T10:00:00Z');
    expect(nextSendTime(at, 'Europe/Berlin', quiet)).toBe(at);
  });

  it('postpone an evening message to 08:00 local the next morning', () => {
    expect(nextSendTime(new Date('2026-06-01T20:30:00Z'), 'Europe/Berlin', quiet).toISOString()).toBe('2026-06-02T06:00:00.000Z');
  });

  it('postpone an early-morning message to 08:00 local the same day', () => {
    expect(nextSendTime(new Date('2026-06-02T03:00:00Z'), 'Europe/Berlin', quiet).toISOString()).toBe('2026-06-02T06:00:00.000Z');
    expect(nextSendTime(new Date('2026-01-15T05:00:00Z'), 'Asia/Tokyo', quiet).toISOString()).toBe('2026-01-15T05:00:00.000Z');
  });

  it('find local times across daylight-saving changes and date lines', () => {
    expect(instantAtLocal('Europe/Berlin', 2026, 3, 29, 8).toISOString()).toBe('2026-03-29T06:00:00.000Z'); // CEST starts that night
    expect(instantAtLocal('Europe/Berlin', 2026, 3, 28, 8).toISOString()).toBe('2026-03-28T07:00:00.000Z');
    expect(instantAtLocal('America/New_York', 2026, 11, 1, 8).toISOString()).toBe('2026-11-01T13:00:00.000Z'); // EST again
    expect(instantAtLocal('Pacific/Auckland', 2026, 1, 1, 8).toISOString()).toBe('2025-12-31T19:00:00.000Z');
  });

  it('handle quiet windows inside one day', () => {
    const lunch = { startHour: 12, endHour: 14 };
    expect(isQuietTime(new Date('2026-06-01T12:30:00Z'), 'UTC', lunch)).toBe(true);
    expect(nextSendTime(new Date('2026-06-01T12:30:00Z'), 'UTC', lunch).toISOString()).toBe('2026-06-01T14:00:00.000Z');
  });
});
