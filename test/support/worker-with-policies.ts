import '../../src/bin/require-node.js';
import 'reflect-metadata';
import { loadConfig } from '../../src/config/config.js';
import { policiesWith } from '../../src/domain/policies/index.js';
import { createLogger } from '../../src/logger.js';
import { startWorkerProcess } from '../../src/app/worker-process.js';
import { POLICY_OVERRIDES_ENV } from './policy-overrides.js';

/**
 * The worker of src/bin/worker.ts given a test's policies, as the test's API is given them
 * (startTestStack): the overrides come as JSON in the environment.
 */
const config = loadConfig();
const logger = createLogger(config.logLevel, 'worker');
const worker = await startWorkerProcess(config, logger, { policies: policiesWith(JSON.parse(process.env[POLICY_OVERRIDES_ENV] ?? '{}')) });
await worker.done;
logger.info('worker stopped');
