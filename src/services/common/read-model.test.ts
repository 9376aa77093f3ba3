import { isIsoWithOffset } from './read-model.js';

describe('isIsoWithOffset', () => {
  it('takes the timestamps JSON columns carry, with their offset, to the fast parser', () => {
    for (const text of ['2026-03-04T10:00:00.123456+00:00', '2026-03-04T10:00:00+05:30', '2026-03-04T10:00:00-03:00', '2026-03-04T10:00:00.5Z']) {
      expect(isIsoWithOffset(text)).toBe(true);
    }
    // The engine reads these exactly, to the millisecond, whatever the process's time zone.
    expect(new Date('2026-03-04T10:00:00.123456+02:00').toISOString()).toBe('2026-03-04T08:00:00.123Z');
  });

  it("leaves PostgreSQL's text form and times without an offset to the platform's parser", () => {
    for (const text of ['2026-03-04 10:00:00+00', '2026-03-04T10:00:00', '2026-03-04', '']) expect(isIsoWithOffset(text)).toBe(false);
  });
});
