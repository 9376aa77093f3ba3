import { cronProblem } from './cron.js';

describe('cronProblem', () => {
  it('takes the schedules the defaults and README use, ranges, lists, steps, names and shorthands', () => {
    for (const ok of ['0 2 * * *', '*/5 * * * *', '0 4 * * *', '30 6 1-15 * MON-FRI', '0 0,12 * JAN,jul 0', '0 0 * * 7', '0 2 * * Monday', '@daily', '@Hourly']) expect(cronProblem(ok)).toBeNull();
  });

  it('leaves what else Temporal takes to Temporal: seconds and years, @every, a time zone, a comment', () => {
    for (const other of ['0 0 2 * * *', '0 0 2 * * * 2027', '@every 24h', 'CRON_TZ=Europe/Berlin 0 2 * * *', '0 2 * * * # nightly']) expect(cronProblem(other)).toBeNull();
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
