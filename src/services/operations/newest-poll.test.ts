import { NewestPoll } from './newest-poll.js';

describe('NewestPoll', () => {
  it('knows of no poll before one is listed', () => {
    expect(new NewestPoll().secondsAgo(0, 1_000)).toBeNull();
  });

  it('keeps counting from the last poll seen once the engine no longer lists the worker', () => {
    const newest = new NewestPoll();
    expect(newest.secondsAgo(1_000, 1_010)).toBe(10);
    expect(newest.secondsAgo(1_000, 1_250)).toBe(250);
    // Five minutes on, Temporal lists no poller: the outage goes on growing, not gone.
    expect(newest.secondsAgo(0, 1_400)).toBe(400);
    expect(newest.secondsAgo(0, 2_000)).toBe(1_000);
    // A worker polls again.
    expect(newest.secondsAgo(1_995, 2_000)).toBe(5);
  });

  it('never goes back to an older poll, and a clock a little behind the engine gives 0, not a negative age', () => {
    const newest = new NewestPoll();
    newest.secondsAgo(1_000, 1_000);
    expect(newest.secondsAgo(900, 1_030)).toBe(30);
    expect(newest.secondsAgo(1_040, 1_030)).toBe(0);
  });
});
