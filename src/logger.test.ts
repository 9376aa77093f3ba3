import { createLogger, requestLogContext } from './logger.js';
import { PinoTemporalLogger } from './temporal/temporal-logger.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, destination: { write: (line: string) => void lines.push(JSON.parse(line)) } };
}

it("writes a failed activity's error as the Temporal SDK hands it over (`error`), with its type, message and stack", () => {
  const { lines, destination } = capture();
  new PinoTemporalLogger(createLogger('info', 'worker', destination)).warn('Activity failed', { activityType: 'scoreCustomerPage', error: new TypeError('Map.groupBy is not a function') });
  expect(lines[0]).toMatchObject({ msg: 'Activity failed', activityType: 'scoreCustomerPage', error: { type: 'TypeError', message: 'Map.groupBy is not a function', stack: expect.stringContaining('logger.test') } });
});

it('writes our own errors (`err`) alike', () => {
  const { lines, destination } = capture();
  createLogger('info', 'api', destination).error({ err: new RangeError('out of range') }, 'failed');
  expect(lines[0]).toMatchObject({ err: { type: 'RangeError', message: 'out of range' } });
});

it("keeps one line's fields out of the request's later lines", () => {
  const { lines, destination } = capture();
  const log = createLogger('info', 'api', destination);
  requestLogContext.run({ requestId: 'r1' }, () => {
    log.warn({ err: new Error('boom'), check: 'PostgreSQL' }, 'first');
    log.info({ status: 200 }, 'request');
  });
  expect(lines[0]).toMatchObject({ requestId: 'r1', check: 'PostgreSQL', err: { message: 'boom' } });
  expect(lines[1]).toMatchObject({ requestId: 'r1', status: 200, msg: 'request' });
  expect(lines[1]).not.toHaveProperty('err');
  expect(lines[1]).not.toHaveProperty('check');
});
