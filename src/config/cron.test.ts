import { cronProblem } from './cron.js';

describe('cronProblem', () => {
  it('takes the schedules the defaults and README use, ranges, lists, steps, names and shorthands', () => {
    for (const ok of ['0 2 * * *', '*/5 * * * *', '0 4 * * *', '30 6 1-15 * MON-FRI', '0 0,12 * JAN,jul 0', '0 0 * * 7', '0 2 * * Monday', '@daily', '@hourly']) expect(cronProblem(ok)).toBeNull();
  });

  it('takes what else Temporal takes: a year after the five fields or seconds before them too, @every with an offset, a time zone, a comment', () => {
    for (const other of ['0 0 2 * * *', '0 2 * * * 2027', '0 0 2 * * * 2027', '@every 24h', '@every 1d', '@every 1h30m', '@every 1.5h', '@every 1d/2h', '@every 90s', 'CRON_TZ=Europe/Berlin 0 2 * * *', 'TZ=UTC @daily', '0 2 * * * # nightly', '@every 6h # four times a day'])
      expect([other, cronProblem(other)]).toEqual([other, null]);
  });

  // Each of these passed the start check and then stopped the worker with Temporal's refusal, naming no variable (QA 58 F3).
  it('refuses what Temporal refuses: a bad @every duration or offset, a shorthand in capitals, a year or second out of range', () => {
    expect(cronProblem('@every 5x')).toMatch(/^"5x" is not a duration: "@every <duration>" takes a duration such as 30m/);
    expect(cronProblem('@every')).toMatch(/^"@every <duration>" takes a duration/);
    expect(cronProblem('@everyday')).toMatch(/takes a duration/);
    expect(cronProblem('@every 5 m')).toMatch(/takes a duration/);
    expect(cronProblem('@every 500ms')).toBe('the interval "500ms" is shorter than a second');
    expect(cronProblem('@every 1h/2h')).toBe('the offset "2h" is not shorter than the interval "1h"');
    expect(cronProblem('@every 1h/soon')).toMatch(/^the offset "soon" is not a duration/);
    expect(cronProblem('@EVERY 5m')).toMatch(/five fields/);
    expect(cronProblem('@Hourly')).toBe('Temporal reads the shorthand in lower case only: "@hourly"');
    expect(cronProblem('0 2 * * * 1999')).toBe('its year field "1999": "1999" is not within 2000-2100');
    expect(cronProblem('61 0 2 * * * *')).toBe('its second field "61": "61" is not within 0-59');
    expect(cronProblem('0 61 2 * * * *')).toBe('its minute field "61": "61" is not within 0-59');
    expect(cronProblem('CRON_TZ=Europe/Berlin')).toMatch(/^a time zone \(CRON_TZ=Europe\/Berlin\) is followed by a space and the schedule/);
    expect(cronProblem('CRON_TZ=Europe/Berlin 0 25 * * *')).toBe('its hour field "25": "25" is not within 0-23');
  });

  it('names what is wrong', () => {
    expect(cronProblem('bogus')).toMatch(/^a cron schedule has five fields/);
    expect(cronProblem('every night')).toMatch(/five fields/);
    expect(cronProblem('61 2 * * *')).toBe('its minute field "61": "61" is not within 0-59');
    expect(cronProblem('0 2 * * funday')).toMatch(/^its day of week field "funday": "funday" is not within 0-7 or a name such as SUN$/);
    expect(cronProblem('0 2 10-5 * *')).toBe('its day of month field "10-5": the range "10-5" runs backwards');
    expect(cronProblem('*/0 * * * *')).toMatch(/a step is a whole number/);
    expect(cronProblem('0 2 * * * * * *')).toMatch(/five fields/);
    expect(cronProblem('0 2 * * Mondays')).toMatch(/is not within 0-7/);
  });
});
