import { ConfigError, type AppConfig } from '../config/config.js';
import { apiOrmOptions } from '../db/orm.js';
import { createApi } from '../http/api-server.js';
import type { Logger } from '../logger.js';
import { parseApiKeys } from '../services/auth/api-keys.js';
import { connectTemporal } from '../temporal/client.js';
import { openProcessDatabase } from './process-database.js';

/** The API with its own database pool and Temporal client; `stop` drains requests, then closes both. */
export async function startApiProcess(config: AppConfig, logger: Logger, ideHeaders?: Record<string, string>, opts: { drainMs?: number } = {}) {
  // A mistyped API_KEYS is a setting's mistake like any other: said as one line naming it, before the database is opened.
  try {
    parseApiKeys(config.apiKeys);
  } catch (error) {
    throw new ConfigError((error as Error).message, { cause: error });
  }
  const orm = await openProcessDatabase(config.databaseUrl, config.currency, logger, apiOrmOptions());
  const temporal = await connectTemporal(config.temporal, config.temporal.namespace, { lazy: true });
  const api = await createApi({ config, orm, temporal, logger, ideHeaders, drainMs: opts.drainMs });
  const { url } = await api.listen();
  return {
    url,
    async stop() {
      await api.stop();
      await temporal.close();
      await orm.close();
    },
  };
}
