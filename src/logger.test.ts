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

it("leaves an activity's task token out of its log lines: it completes or fails the activity for whoever holds it", () => {
  const { lines, destination } = capture();
  new PinoTemporalLogger(createLogger('info', 'worker', destination)).warn('Activity failed', { activityType: 'fitScoreModels', workflowId: 'rescore/x', taskToken: 'CiQwMWEyc2VjcmV0' });
  expect(lines[0]).toMatchObject({ msg: 'Activity failed', activityType: 'fitScoreModels', workflowId: 'rescore/x' });
  expect(JSON.stringify(lines[0])).not.toContain('CiQwMWEyc2VjcmV0');
});

it('writes our own errors (`err`) alike', () => {
  const { lines, destination } = capture();
  createLogger('info', 'api', destination).error({ err: new RangeError('out of range') }, 'failed');
  expect(lines[0]).toMatchObject({ err: { type: 'RangeError', message: 'out of range' } });
});

it("writes a cause's message once: after the error's own where that does not say it already (QA 71 F13)", () => {
  const { lines, destination } = capture();
  const refused = new Error('listen EADDRINUSE: address already in use 127.0.0.1:4171');
  const log = createLogger('info', 'api', destination);
  log.fatal({ err: new Error(`The API cannot listen on HOST=127.0.0.1 PORT=4171: ${refused.message}`, { cause: refused }) }, 'start failed');
  log.error({ err: new Error('reading the status failed', { cause: new Error('connection refused', { cause: new Error('ECONNREFUSED') }) }) }, 'failed');
  expect(lines[0].err).toMatchObject({ message: 'The API cannot listen on HOST=127.0.0.1 PORT=4171: listen EADDRINUSE: address already in use 127.0.0.1:4171' });
  expect(lines[1].err).toMatchObject({ message: 'reading the status failed: connection refused: ECONNREFUSED', stack: expect.stringContaining('caused by') });
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
