import './require-node.js';
import 'reflect-metadata';
import { loadConfig } from '../config/config.js';
import { createLogger, type Logger } from '../logger.js';
import { startApiProcess } from '../app/api-process.js';
import { onStopSignal } from '../app/stop-signals.js';
import { startFailed } from './cli-errors.js';

let logger: Logger | undefined;
try {
  const config = loadConfig();
  const log = (logger = createLogger(config.logLevel, 'api'));
  const api = await startApiProcess(config, log);
  log.info({ url: api.url }, 'GraphQL API listening');

  onStopSignal(async (signal) => {
    log.info({ signal }, 'shutting down');
    await api.stop();
    process.exit(0);
  });
} catch (error) {
  startFailed('api', error, logger);
}
