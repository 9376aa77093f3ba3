import { demoDayRescore, type RecordedRun } from './demo-first-day.js';

/** npm start scores the demo's first day; a start stopped midway left its rescore running in Temporal (QA 58 F7). */
describe('demoDayRescore', () => {
  const engine = (running: string[]) => {
    const started: string[] = [];
    return { started, isRunning: async (id: string) => running.includes(id), start: async () => (started.push('rescore/new'), 'rescore/new') };
  };
  const run = (id: string, status: string, asOf = '2026-11-27'): RecordedRun => ({ id, asOf, status });

  it('waits for the rescore of the day an earlier start began, instead of scoring the day a second time', async () => {
    const fake = engine(['rescore/earlier']);
    expect(await demoDayRescore('2026-11-27', [run('rescore/earlier', 'running')], fake)).toEqual({ runId: 'rescore/earlier', how: 'resumed' });
    expect(fake.started).toEqual([]);
  });

  it('leaves a day already scored as it is', async () => {
    const fake = engine([]);
    expect(await demoDayRescore('2026-11-27', [run('rescore/earlier', 'completed')], fake)).toBeNull();
    expect(fake.started).toEqual([]);
  });

  it('scores the day anew when its rescore stopped halfway, or another day only was scored', async () => {
    for (const runs of [[run('rescore/gone', 'running')], [run('rescore/a', 'cancelled'), run('rescore/b', 'abandoned')], [run('rescore/other', 'completed', '2026-12-04')], []]) {
      const fake = engine([]);
      expect(await demoDayRescore('2026-11-27', runs, fake)).toEqual({ runId: 'rescore/new', how: 'started' });
      expect(fake.started).toEqual(['rescore/new']);
    }
  });
});
