import { UpdateAnswerWaits } from '../src/services/audit/steering-audit.service.js';

/**
 * The steering audit's waits for a run's answer to an update typed in the Temporal UI outlive the activity that
 * audited it: the worker's shutdown cuts them short and waits for them before it closes the database, and a failure
 * is reported (the worker logs it), not swallowed.
 */
it('closing aborts the waits under way and waits for them to end, then starts none; a wait that fails is reported', async () => {
  const reported: unknown[] = [];
  const waits = new UpdateAnswerWaits((error) => reported.push(error));
  waits.start(() => Promise.reject(new Error('the UPDATE failed')));
  // A wait cut short by the shutdown still finishes what it was writing.
  let written = false;
  waits.start((signal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => setTimeout(() => ((written = true), resolve()), 200))));
  await new Promise((resolve) => setTimeout(resolve, 10));
  expect(reported).toEqual([new Error('the UPDATE failed')]);
  expect(waits.size).toBe(1);

  await waits.close();
  expect(written).toBe(true);
  expect(waits.size).toBe(0);
  let started = false;
  waits.start(async () => {
    started = true;
  });
  expect(started).toBe(false);
  // An abort's own failure is no failure to report.
  expect(reported).toHaveLength(1);
});

it('does not report a wait that fails because the shutdown aborted it', async () => {
  const reported: unknown[] = [];
  const waits = new UpdateAnswerWaits((error) => reported.push(error));
  waits.start((signal) => new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))));
  await waits.close();
  expect(reported).toEqual([]);
});
