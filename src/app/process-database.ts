import type { Options } from '@mikro-orm/postgresql';
import { ConfigError } from '../config/config.js';
import { createMigratedOrm, type Orm } from '../db/orm.js';
import type { Logger } from '../logger.js';
import { readableRunsNameCampaignSince, RUNS_NAME_CAMPAIGN_SINCE_SETTING } from '../services/campaigns/campaign.service.js';

/** The ORM of an API or worker process: migrated (`createMigratedOrm`) and held to the database's currency; closed again when refused. */
export async function openProcessDatabase(databaseUrl: string, currency: string, logger: Logger, overrides: Partial<Options> = {}): Promise<Orm> {
  const orm = await createMigratedOrm(databaseUrl, logger, overrides);
  try {
    await holdToDatabaseCurrency(orm, currency);
    await checkDeploymentSettings(orm);
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

/**
 * Refuses to start while the deployment setting `runs-name-campaign-since` (recorded by a migration, corrected by hand after a
 * rolling upgrade: README, campaigns) holds no time: a value mistyped in that correction would otherwise be read as `-infinity`
 * by every campaign's outcome, which would count runs differently without a word.
 */
export async function checkDeploymentSettings(orm: Orm): Promise<void> {
  const [unreadable] = await orm.em
    .getConnection()
    .execute<{ value: string }[]>(`select value from deployment_setting where name = ? and not ${readableRunsNameCampaignSince('value')}`, [RUNS_NAME_CAMPAIGN_SINCE_SETTING]);
  if (unreadable) {
    throw new ConfigError(
      `The deployment setting ${RUNS_NAME_CAMPAIGN_SINCE_SETTING} holds "${unreadable.value}", which is no time: set an ISO time or -infinity, ` +
        `e.g. update deployment_setting set value = '2026-12-05T05:30:00Z' where name = '${RUNS_NAME_CAMPAIGN_SINCE_SETTING}'`,
    );
  }
}
