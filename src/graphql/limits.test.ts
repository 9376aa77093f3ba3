import type { ResolverData } from 'type-graphql';
import { REPORTS_AT_ONCE, REPORTS_WAITING, ReportTurn } from './limits.js';

describe('ReportTurn', () => {
  it(`runs at most ${REPORTS_AT_ONCE} reports at once; the others wait their turn and all answer`, async () => {
    let running = 0;
    let most = 0;
    const report = (i: number) => async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 20));
      running--;
      return i;
    };
    // 25 reports, as many as one request may carry within the cost limit.
    const answers = await Promise.all(Array.from({ length: 25 }, (_, i) => ReportTurn({} as ResolverData, report(i))));
    expect(answers).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(most).toBe(REPORTS_AT_ONCE);
  });

  it(`refuses a report at once when ${REPORTS_WAITING} wait already, instead of queueing without end`, async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const slow = () => ReportTurn({} as ResolverData, () => held);
    const queued = Array.from({ length: REPORTS_AT_ONCE + REPORTS_WAITING }, slow);
    expect(() => ReportTurn({} as ResolverData, async () => 'late')).toThrow(expect.objectContaining({ extensions: { code: 'UNAVAILABLE', reason: 'REPORTS_BUSY' } }));
    release();
    await Promise.all(queued);
    await expect(ReportTurn({} as ResolverData, async () => 'answered')).resolves.toBe('answered');
  });

  it('frees its place when a report fails', async () => {
    const failing = Array.from({ length: REPORTS_AT_ONCE }, () => ReportTurn({} as ResolverData, async () => Promise.reject(new Error('no database'))));
    await Promise.allSettled(failing);
    await expect(ReportTurn({} as ResolverData, async () => 'answered')).resolves.toBe('answered');
  });
});
