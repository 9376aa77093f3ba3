import type { Options } from '@mikro-orm/postgresql';
import { ConfigError } from '../config/config.js';
import { createMigratedOrm, type Orm } from '../db/orm.js';
import type { Logger } from '../logger.js';

/** The ORM of an API or worker process: migrated (`createMigratedOrm`) and held to the database's currency; closed again when refused. */
export async function openProcessDatabase(databaseUrl: string, currency: string, logger: Logger, overrides: Partial<Options> = {}): Promise<Orm> {
  const orm = await createMigratedOrm(databaseUrl, logger, overrides);
  try {
    await holdToDatabaseCurrency(orm, currency);
  } catch (error) {
    await orm.close();
    throw error;
  }
  return orm;
}

/**
 * Holds a process to the currency the database's amounts are in: the first worker or API to use
 * the database records its `CURRENCY`; one started later with another is refused, before it
 * writes a message or answers a query. Amounts are stored as minor units without their currency,
 * so the other setting would relabel every one (an API showing francs for the euros a worker dunned).
 */
export async function holdToDatabaseCurrency(orm: Orm, currency: string): Promise<void> {
  const connection = orm.em.getConnection();
  await connection.execute(`insert into deployment_setting (name, value, recorded_at) values ('currency', ?, now()) on conflict (name) do nothing`, [currency]);
  const [recorded] = await connection.execute<{ value: string }[]>(`select value from deployment_setting where name = 'currency'`);
  if (recorded.value !== currency) {
    throw new ConfigError(
      `CURRENCY is ${currency}, but the amounts in this database are in ${recorded.value} (recorded when it was first used): set CURRENCY=${recorded.value}. ` +
        `To change the currency, convert the stored amounts first, then record it: update deployment_setting set value = '${currency}' where name = 'currency'`,
    );
  }
}
