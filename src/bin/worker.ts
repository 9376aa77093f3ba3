import './require-node.js';
import 'reflect-metadata';
import { loadConfig } from '../config/config.js';
import { createLogger } from '../logger.js';
import { startWorkerProcess } from '../app/worker-process.js';

const config = loadConfig();
const logger = createLogger(config.logLevel, 'worker');
const worker = await startWorkerProcess(config, logger);
await worker.done;
logger.info('worker stopped');
