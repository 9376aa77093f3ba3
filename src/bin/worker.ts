import './require-node.js';
import 'reflect-metadata';
import { loadConfig } from '../config/config.js';
import { createLogger } from '../logger.js';
import { onStopSignal } from '../app/stop-signals.js';
import { startWorkerProcess } from '../app/worker-process.js';

const config = loadConfig();
const logger = createLogger(config.logLevel, 'worker');
const worker = await startWorkerProcess(config, logger);
// The Temporal runtime drains the worker on the first SIGINT or SIGTERM and then stops listening: Ctrl-C on
// `npm run start:worker` comes twice (the terminal's and npm's), and the second would end the process mid-drain.
onStopSignal(
  () => undefined,
  () => logger.info('already stopping: the worker drains'),
);
await worker.done;
logger.info('worker stopped');
