import './require-node.js';
import 'reflect-metadata';
import { loadConfig } from '../config/config.js';
import { createLogger, type Logger } from '../logger.js';
import { onStopSignal } from '../app/stop-signals.js';
import { startWorkerProcess } from '../app/worker-process.js';
import { startFailed } from './cli-errors.js';

let logger: Logger | undefined;
try {
  const config = loadConfig();
  const log = (logger = createLogger(config.logLevel, 'worker'));
  const worker = await startWorkerProcess(config, log);
  // The Temporal runtime drains the worker on the first SIGINT or SIGTERM and then stops listening: Ctrl-C on
  // `npm run start:worker` comes twice (the terminal's and npm's), and the second would end the process mid-drain.
  onStopSignal(
    () => undefined,
    () => log.info('already stopping: the worker drains'),
  );
  await worker.done;
  log.info('worker stopped');
} catch (error) {
  startFailed('worker', error, logger);
}
