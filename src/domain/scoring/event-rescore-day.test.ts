import { eventRescoreDay } from './event-rescore-day.js';

describe('eventRescoreDay', () => {
  const evening = new Date('2026-12-03T16:00:00Z'); // 01:00 on the 4th in Tokyo, 11:00 on the 3rd in New York

  it("is the customer's own day where it is ahead of UTC's", () => {
    expect(eventRescoreDay(evening, 'Asia/Tokyo', null)).toBe('2026-12-04');
  });

  it("is UTC's day where the customer's is behind it, as the nightly run's", () => {
    expect(eventRescoreDay(new Date('2026-12-04T02:00:00Z'), 'America/New_York', '2026-12-01')).toBe('2026-12-04');
    expect(eventRescoreDay(evening, 'UTC', null)).toBe('2026-12-03');
  });

  it('is not before the latest day a record of the customer is dated, so a payment dated ahead is seen', () => {
    expect(eventRescoreDay(evening, 'Europe/Berlin', '2026-12-04')).toBe('2026-12-04');
  });

  it('follows a record no further than the latest day on earth now', () => {
    expect(eventRescoreDay(evening, 'Europe/Berlin', '2027-01-10')).toBe('2026-12-04');
    expect(eventRescoreDay(new Date('2026-12-03T08:00:00Z'), 'Europe/Berlin', '2026-12-05')).toBe('2026-12-03');
  });
});
