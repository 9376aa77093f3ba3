import type { AppConfig } from '../config/config.js';
import { apiOrmOptions, createOrm, whenMigrated } from '../db/orm.js';
import { createApi } from '../http/api-server.js';
import type { Logger } from '../logger.js';
import { connectTemporal } from '../temporal/client.js';

/** The API with its own database pool and Temporal client; `stop` drains requests, then closes both. */
export async function startApiProcess(config: AppConfig, logger: Logger, ideHeaders?: Record<string, string>) {
  const orm = await createOrm(config.databaseUrl, apiOrmOptions());
  const waiting = (error: unknown, retryInMs: number) => logger.warn({ err: error }, `PostgreSQL cannot be reached yet; checking its migrations again in ${retryInMs / 1000} s`);
  await whenMigrated(orm, waiting).catch(async (error: unknown) => {
    await orm.close();
    throw error;
  });
  const temporal = await connectTemporal(config.temporal.address, config.temporal.namespace, { lazy: true });
  const api = await createApi({ config, orm, temporal, logger, ideHeaders });
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
