import './require-node.js';
import 'reflect-metadata';
import { loadConfig } from '../config/config.js';
import { createLogger } from '../logger.js';
import { startApiProcess } from '../app/api-process.js';
import { onStopSignal } from '../app/stop-signals.js';

const config = loadConfig();
const logger = createLogger(config.logLevel, 'api');
const api = await startApiProcess(config, logger);
logger.info({ url: api.url }, 'GraphQL API listening');

onStopSignal(async (signal) => {
  logger.info({ signal }, 'shutting down');
  await api.stop();
  process.exit(0);
});
