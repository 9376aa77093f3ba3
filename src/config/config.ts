import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { cronProblem } from './cron.js';
import { dataRetentionPolicy } from '../domain/customers/data-retention.js';
import type { UnsubscribeLinks } from '../domain/messages/unsubscribe-link.js';
import { currencyProblem, moneyPolicy } from '../domain/money.js';
import { defaultPolicies, type Policies } from '../domain/policies/index.js';

/** Runtime configuration, read once from the environment. */
export interface AppConfig {
  env: 'development' | 'production' | 'test';
  databaseUrl: string;
  temporal: TemporalEndpoint & {
    namespace: string;
    taskQueue: string;
  };
  api: {
    host: string;
    port: number;
    /** Serve the offline GraphiQL IDE at GET /graphql. */
    ide: boolean;
    introspection: boolean;
    /** Browser origins whose pages may call the API (CORS): a list, or any origin (`*`); none by default in production. */
    corsOrigins: string[] | '*';
    /** Requests per minute one API key (or, without one, one client address) may make to /graphql; 0: no limit. */
    rateLimitPerMinute: number;
    /** Where the limits count: in PostgreSQL, shared by every API process (default), or in each process's memory. */
    rateLimitStore: 'postgres' | 'memory';
    /** Requests with a wrong API key one client address may make per minute before it is refused for the rest of the minute; 0: no limit. */
    authFailuresPerMinute: number;
    /** Requests a minute one client address may make to the unsubscribe page (0: no limit). */
    unsubscribePerMinute: number;
    /** A bearer token Prometheus sends to read GET /metrics; null: /metrics is open (keep the port internal). */
    metricsToken: string | null;
    /** Express's `trust proxy`: which proxies in front of the API may name the client's address (X-Forwarded-For); false: none. */
    trustProxy: boolean | number | string[];
    /** How many imports (importCsv, importCustomers, ...) the process runs at once, each on a connection of its own; more wait their turn without one. */
    importsAtOnce: number;
    /** How long an import waits for its turn before it is refused (UNAVAILABLE, IMPORT_BUSY: try again); 0: refused at once while every place is taken. */
    importWaitMs: number;
  };
  workerMetricsPort: number;
  /** How the worker delivers outbox messages: to a JSON-lines file (development), over SMTP, or not at all. */
  delivery:
    | { channel: 'off' }
    | { channel: 'log'; file: string; intervalMs: number }
    | { channel: 'smtp'; smtpUrl: string; from: string; teamAddress: string; intervalMs: number };
  /** The one-click unsubscribe links of marketing messages (the worker signs them, the API reads them); null: none (no marketing e-mail goes out). */
  unsubscribe: UnsubscribeLinks | null;
  /** Cron expression (UTC) of the nightly rescore schedule the worker keeps; null: no schedule. */
  rescoreSchedule: string | null;
  /** Cron expression (UTC) of the score history's thinning; null: none. */
  scoreHistorySchedule: string | null;
  /** Cron expression (UTC) of the playbook trigger sweep; null: none. */
  triggersSchedule: string | null;
  /** Cron expression (UTC) of recording the end of runs terminated in the Temporal UI, failed or timed out; null: none. */
  runReconciliationSchedule: string | null;
  /** The retention sweep: its cron expression (UTC; null: none), and the days after offboarding until a customer's personal data is erased. */
  dataRetention: { schedule: string | null; eraseOffboardedAfterDays: number };
  /** The currency of every amount (ISO 4217, two decimals): `CURRENCY`, EUR by default. */
  currency: string;
  logLevel: string;
  /** Raw `role:key` pairs; parsed and checked by the auth module. */
  apiKeys: string;
}

export class ConfigError extends Error {}

/**
 * Where Temporal's frontend is and how to reach it: plain gRPC (a local dev server, a cluster on a
 * private network), or TLS (`tls`), with a client certificate (mTLS) or an API key (Temporal Cloud).
 */
export interface TemporalEndpoint {
  address: string;
  /** null: no TLS. */
  tls?: TemporalTls | null;
  /** Sent as `Authorization: Bearer <key>` with every call; only over TLS. */
  apiKey?: string | null;
}

/** The TLS of a Temporal connection, as the SDK takes it (`Connection.connect({ tls })`, `NativeConnection.connect({ tls })`). */
export interface TemporalTls {
  /** The CA that signed the server's certificate (a private one); none: the system's CAs. */
  serverRootCACertificate?: Buffer;
  /** mTLS: this client's certificate and key. */
  clientCertPair?: { crt: Buffer; key: Buffer };
  /** The name the server's certificate is checked against, when not the address's host. */
  serverNameOverride?: string;
}

/**
 * The policies a process decides by: those given (the defaults unless a test or a deployment tunes them), with the amounts'
 * currency from `CURRENCY` and the retention period from `ERASE_OFFBOARDED_AFTER_DAYS` (the sweep erases by it, the
 * operations status counts who is past it).
 */
export function configuredPolicies(config: AppConfig, given: Policies = defaultPolicies): Policies {
  return { ...given, money: { currency: config.currency }, dataRetention: { ...given.dataRetention, eraseOffboardedAfterDays: config.dataRetention.eraseOffboardedAfterDays } };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new ConfigError(`${name} is not set`);
  return value;
}

/** A whole number in decimal digits: not JavaScript's number syntax (`0x10`, `1e3`, ` 12 `, `5.0`), where a typo such as `1e3` would be taken as 1000. */
function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d{1,15}$/.test(raw)) throw new ConfigError(`${name} must be a non-negative integer (decimal digits only), got "${raw}"`);
  return Number(raw);
}

/**
 * Days after offboarding until the retention sweep erases a customer's personal data: at least 1. 0 would erase, at the next
 * nightly sweep, every customer offboarded so far (one an import marked offboarded by mistake too), for good: a typo's
 * price is too high for a value no retention rule asks for. DATA_RETENTION_SCHEDULE=off stops the sweep.
 */
function eraseOffboardedAfterDays(env: NodeJS.ProcessEnv): number {
  const days = int(env, 'ERASE_OFFBOARDED_AFTER_DAYS', dataRetentionPolicy.eraseOffboardedAfterDays);
  if (days < 1) {
    throw new ConfigError(
      'ERASE_OFFBOARDED_AFTER_DAYS must be at least 1 (days after offboarding; 0 would erase the personal data of every offboarded customer at the next nightly sweep, for good); DATA_RETENTION_SCHEDULE=off stops the sweep',
    );
  }
  if (days > MAX_ERASE_OFFBOARDED_AFTER_DAYS) {
    throw new ConfigError(
      `ERASE_OFFBOARDED_AFTER_DAYS must be at most ${MAX_ERASE_OFFBOARDED_AFTER_DAYS} (100 years), got ${days}: a longer period puts the sweep's cut-off before the earliest time the database keeps, and every nightly sweep fails; DATA_RETENTION_SCHEDULE=off stops the sweep`,
    );
  }
  return days;
}

/**
 * The longest retention period taken (100 years): no retention rule asks for more, and "now minus" a much longer one is
 * out of PostgreSQL's range (or of its day count), which would fail every sweep while its schedule looks healthy.
 * Keeping data for good is `DATA_RETENTION_SCHEDULE=off`.
 */
export const MAX_ERASE_OFFBOARDED_AFTER_DAYS = 36_500;

/**
 * The most imports an API process runs at once: each holds a connection of its own beside the API's pool of 10 (and
 * the worker's), and PostgreSQL's max_connections is 100 by default; more in parallel are mostly waiting for one
 * another anyway (imports of one kind take turns).
 */
export const MAX_IMPORT_CONCURRENCY = 20;
/** The longest an import may wait for its turn: a request held longer has long been given up by its client or a proxy (nginx waits 60 s). */
export const MAX_IMPORT_WAIT_SECONDS = 300;

/** IMPORT_CONCURRENCY and IMPORT_WAIT_SECONDS: how many imports an API process runs at once, and how long others wait for a place. */
function imports(env: NodeJS.ProcessEnv): { importsAtOnce: number; importWaitMs: number } {
  const atOnce = int(env, 'IMPORT_CONCURRENCY', 2);
  if (atOnce < 1 || atOnce > MAX_IMPORT_CONCURRENCY)
    throw new ConfigError(`IMPORT_CONCURRENCY must be 1 to ${MAX_IMPORT_CONCURRENCY} (imports an API process runs at once, each on a database connection of its own), got "${env.IMPORT_CONCURRENCY}"`);
  const waitSeconds = int(env, 'IMPORT_WAIT_SECONDS', 30);
  if (waitSeconds > MAX_IMPORT_WAIT_SECONDS)
    throw new ConfigError(`IMPORT_WAIT_SECONDS must be 0 to ${MAX_IMPORT_WAIT_SECONDS} (how long an import waits for its turn before it is refused as busy), got "${env.IMPORT_WAIT_SECONDS}"`);
  return { importsAtOnce: atOnce, importWaitMs: waitSeconds * 1000 };
}

/** PostgreSQL's address as a postgres:// URL: anything else (`localhost:5432`) pg would read as its defaults, and wait there. */
function databaseUrl(env: NodeJS.ProcessEnv): string {
  const raw = required(env, 'DATABASE_URL');
  const url = URL.parse(raw);
  if (!url || !['postgres:', 'postgresql:'].includes(url.protocol)) throw new ConfigError(`DATABASE_URL must be a postgres:// URL, such as postgres://user:password@host:5432/db, got "${withoutPassword(raw)}"`);
  return raw;
}

/** A URL as said in an error: its password masked. */
const withoutPassword = (raw: string) => raw.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');

/** The SMTP server as an smtp:// or smtps:// URL with a host: nodemailer reads anything else as localhost, or `host:587` as the address 0.0.2.75. */
function smtpUrl(env: NodeJS.ProcessEnv): string {
  const raw = required(env, 'SMTP_URL').trim();
  const url = URL.parse(raw);
  if (!url || !['smtp:', 'smtps:'].includes(url.protocol) || !url.hostname)
    throw new ConfigError(`SMTP_URL must be an smtp:// or smtps:// URL with a host, such as smtps://user:password@smtp.example.com:465, got "${withoutPassword(raw)}"`);
  return raw;
}

const ADDRESS = String.raw`[^\s@<>",;]+@[^\s@<>",;]+`;
/** An e-mail address, alone or after a display name (`care@example.com`, `Customer care <care@example.com>`, `"Care, team" <care@example.com>`). */
const MAILBOX = new RegExp(String.raw`^(?:${ADDRESS}|(?:"[^"]*"|[^<>"@,;]*)\s*<${ADDRESS}>)$`);

/** An e-mail setting: one address (MESSAGE_FROM), or one or more, comma-separated (MESSAGE_TEAM_ADDRESS). */
function mailboxes(env: NodeJS.ProcessEnv, name: string, several: boolean): string {
  const raw = required(env, name).trim();
  // Split at the commas outside quotes ("Care, team" <team@example.com> is one).
  const parts = raw.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/);
  if ((!several && parts.length > 1) || parts.some((part) => !MAILBOX.test(part.trim())))
    throw new ConfigError(`${name} must be ${several ? 'e-mail addresses (comma-separated)' : 'an e-mail address'}, such as care@example.com or "Customer care <care@example.com>", got "${raw}"`);
  return raw;
}

/** A port to listen on or reach: 1 to 65535 (0 where `zeroMeans` says what 0 is, e.g. any free port, or off). */
function port(env: NodeJS.ProcessEnv, name: string, fallback: number, zeroMeans?: string): number {
  const value = int(env, name, fallback);
  if (value > 65_535 || (value === 0 && !zeroMeans)) throw new ConfigError(`${name} must be a port, 1 to 65535${zeroMeans ? ` (0: ${zeroMeans})` : ''}, got "${env[name]}"`);
  return value;
}

/** Temporal's frontend as `host:port` (a name, an IPv4 address, or an IPv6 one in brackets): a URL or a port alone is said at start. */
function temporalAddress(env: NodeJS.ProcessEnv): string {
  const raw = env.TEMPORAL_ADDRESS?.trim();
  if (!raw) return '127.0.0.1:7233';
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(raw);
  if (!match || Number(match[2]) < 1 || Number(match[2]) > 65_535) throw new ConfigError(`TEMPORAL_ADDRESS must be host:port, such as temporal:7233 or 127.0.0.1:7233 (no scheme), got "${raw}"`);
  return raw;
}

/** A PEM file a setting names (a certificate or a key), read at start: a path that is wrong fails there, naming the setting. */
function pemFile(env: NodeJS.ProcessEnv, name: string): Buffer | undefined {
  const file = env[name]?.trim();
  if (!file) return undefined;
  let content: Buffer;
  try {
    content = readFileSync(file);
  } catch (error) {
    throw new ConfigError(`${name}: cannot read "${file}" (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (!content.includes('-----BEGIN ')) throw new ConfigError(`${name}: "${file}" is not a PEM file (-----BEGIN ...)`);
  return content;
}

/**
 * TLS and authentication of the Temporal connections (the API's client, the worker's, migrate's): TEMPORAL_TLS
 * (on by itself when any of the others is set), TEMPORAL_TLS_CA_PATH (a private CA), TEMPORAL_TLS_CERT_PATH and
 * TEMPORAL_TLS_KEY_PATH (mTLS: both), TEMPORAL_TLS_SERVER_NAME, TEMPORAL_API_KEY (Temporal Cloud; never in clear).
 */
function temporalSecurity(env: NodeJS.ProcessEnv): Pick<TemporalEndpoint, 'tls' | 'apiKey'> {
  const apiKey = env.TEMPORAL_API_KEY?.trim() || null;
  if (apiKey && /\s/.test(apiKey)) throw new ConfigError('TEMPORAL_API_KEY must be one key, without spaces');
  const ca = pemFile(env, 'TEMPORAL_TLS_CA_PATH');
  const crt = pemFile(env, 'TEMPORAL_TLS_CERT_PATH');
  const key = pemFile(env, 'TEMPORAL_TLS_KEY_PATH');
  if (!crt !== !key) throw new ConfigError('TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH go together (mTLS: the client certificate and its private key): set both or neither');
  const serverName = env.TEMPORAL_TLS_SERVER_NAME?.trim() || undefined;
  const implied = [['TEMPORAL_TLS_CA_PATH', ca], ['TEMPORAL_TLS_CERT_PATH', crt], ['TEMPORAL_TLS_SERVER_NAME', serverName], ['TEMPORAL_API_KEY', apiKey]].filter(([, value]) => value).map(([name]) => name as string);
  const tls = bool(env, 'TEMPORAL_TLS', implied.length > 0);
  // An API key over plain gRPC travels in clear; certificates without TLS would be silently unused.
  if (!tls && implied.length) throw new ConfigError(`TEMPORAL_TLS is false, but ${implied.join(', ')} ${implied.length > 1 ? 'are' : 'is'} set: ${implied.length > 1 ? 'they need' : 'it needs'} TLS (leave TEMPORAL_TLS unset or true)`);
  if (!tls) return { tls: null, apiKey: null };
  return {
    tls: { ...(ca ? { serverRootCACertificate: ca } : {}), ...(crt && key ? { clientCertPair: { crt, key } } : {}), ...(serverName ? { serverNameOverride: serverName } : {}) },
    apiKey,
  };
}

/** A cron schedule (UTC), or null for `off`. */
function schedule(env: NodeJS.ProcessEnv, name: string, fallback: string): string | null {
  const raw = env[name]?.trim();
  if (raw === 'off') return null;
  if (!raw) return fallback;
  const problem = cronProblem(raw);
  if (problem) throw new ConfigError(`${name} must be a cron schedule (UTC) or off, got "${raw}": ${problem}`);
  return raw;
}

function bool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, choices: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if ((choices as readonly string[]).includes(raw)) return raw as T;
  throw new ConfigError(`${name} must be ${choices.join(' or ')}, got "${raw}"`);
}

function currency(env: NodeJS.ProcessEnv): string {
  const code = env.CURRENCY || moneyPolicy.currency;
  const problem = currencyProblem(code);
  if (problem) throw new ConfigError(`CURRENCY ${problem}`);
  return code;
}

/** The shortest pause between two looks for due messages. */
const MIN_DELIVERY_INTERVAL_MS = 100;
/** The longest: an hour. Node's timers take at most 2^31-1 ms and turn anything longer into 1 ms, a look every millisecond. */
const MAX_DELIVERY_INTERVAL_MS = 3_600_000;

function delivery(env: NodeJS.ProcessEnv): AppConfig['delivery'] {
  const channel = env.MESSAGE_CHANNEL || 'log';
  const intervalMs = int(env, 'DELIVERY_INTERVAL_MS', 2_000);
  // 0 would look for due messages without a pause, hundreds of transactions a second; delivery is stopped with MESSAGE_CHANNEL=off.
  if (intervalMs < MIN_DELIVERY_INTERVAL_MS || intervalMs > MAX_DELIVERY_INTERVAL_MS)
    throw new ConfigError(`DELIVERY_INTERVAL_MS must be ${MIN_DELIVERY_INTERVAL_MS} to ${MAX_DELIVERY_INTERVAL_MS} (an hour; MESSAGE_CHANNEL=off stops delivery), got "${env.DELIVERY_INTERVAL_MS}"`);
  if (channel === 'off') return { channel };
  if (channel === 'log') return { channel, file: env.MESSAGE_LOG_FILE || '.data/messages.log', intervalMs };
  if (channel === 'smtp') {
    return { channel, smtpUrl: smtpUrl(env), from: mailboxes(env, 'MESSAGE_FROM', false), teamAddress: mailboxes(env, 'MESSAGE_TEAM_ADDRESS', true), intervalMs };
  }
  throw new ConfigError(`MESSAGE_CHANNEL must be log, smtp or off, got "${channel}"`);
}

/** CORS_ORIGINS: comma-separated origins (`https://app.example.com`), or `*`; unset: any origin in development, none in production. */
function corsOrigins(env: NodeJS.ProcessEnv, production: boolean): string[] | '*' {
  const raw = env.CORS_ORIGINS?.trim();
  if (!raw) return production ? [] : '*';
  if (raw === '*') return '*';
  const origins = raw.split(',').map((o) => o.trim()).filter(Boolean);
  for (const origin of origins) {
    const url = URL.parse(origin);
    if (!url || url.origin !== origin) throw new ConfigError(`CORS_ORIGINS must list origins such as https://app.example.com (scheme, host, port; no path), got "${origin}"`);
  }
  return origins;
}

/**
 * TRUST_PROXY: how many proxies stand in front of the API (`1`), or which ones (`loopback`,
 * `uniquelocal`, addresses or subnets such as `10.0.0.0/8`, comma-separated); unset: none, so
 * a client cannot name its own address (the per-address limits count the connection's).
 * Trusting every proxy (`true`) would let any client pick the address it is counted under.
 */
function trustProxy(raw: string | undefined): boolean | number | string[] {
  const value = raw?.trim();
  if (!value || value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  const named = ['loopback', 'linklocal', 'uniquelocal'];
  const entries = value.split(',').map((e) => e.trim()).filter(Boolean);
  for (const entry of entries) {
    const [address, bits, ...rest] = entry.split('/');
    const validBits = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (isIP(address) === 6 ? 128 : 32));
    if (!named.includes(entry) && (!isIP(address) || !validBits || rest.length > 0))
      throw new ConfigError(`TRUST_PROXY must be a number of proxies or a list of loopback, linklocal, uniquelocal, addresses or subnets, got "${entry}"`);
  }
  return entries;
}

/** METRICS_TOKEN: the bearer token GET /metrics asks for (16 characters or more); unset: none asked for. */
function metricsToken(raw: string | undefined): string | null {
  const token = raw?.trim();
  if (!token) return null;
  if (token.length < 16 || /\s/.test(token)) throw new ConfigError('METRICS_TOKEN must be 16 characters or more, without spaces');
  return token;
}

/** The address a client on this machine reaches a server bound to `host` at (all interfaces: loopback). */
export const localAddress = (host: string) => (host === '0.0.0.0' ? '127.0.0.1' : host);

/** Signs unsubscribe links outside production when UNSUBSCRIBE_SECRET is not set and no e-mail goes out over SMTP: the demo's links work, and nothing real depends on it. */
const DEVELOPMENT_UNSUBSCRIBE_SECRET = 'development-only-unsubscribe-secret-never-in-production';

/**
 * PUBLIC_URL: where customers reach the API (the unsubscribe links point there); UNSUBSCRIBE_SECRET:
 * the key that signs the links, 32 characters or more, a comma-separated list while rotating
 * (the first signs, all are accepted). Outside production both have defaults (the API's own
 * address, a development key, though not for e-mail over SMTP). In production, e-mail over SMTP needs both, over HTTPS (mail
 * clients offer one-click unsubscribe only for an https link); without SMTP they may be left out.
 */
function unsubscribe(env: NodeJS.ProcessEnv, production: boolean, channel: AppConfig['delivery']['channel'], apiAddress: string): UnsubscribeLinks | null {
  const rawUrl = env.PUBLIC_URL?.trim();
  const rawSecrets = env.UNSUBSCRIBE_SECRET?.trim();
  if (production && (!rawUrl || !rawSecrets)) {
    if (channel === 'smtp') throw new ConfigError('PUBLIC_URL and UNSUBSCRIBE_SECRET must be set to send e-mail in production: every marketing e-mail carries an unsubscribe link');
    return null;
  }
  const url = URL.parse(rawUrl || apiAddress);
  if (!url || !['http:', 'https:'].includes(url.protocol) || url.search || url.hash) throw new ConfigError(`PUBLIC_URL must be an http(s) URL without query, such as https://retention.example.com, got "${rawUrl}"`);
  if (production && url.protocol !== 'https:') throw new ConfigError(`PUBLIC_URL must be https:// in production (mail clients offer one-click unsubscribe only over HTTPS), got "${rawUrl}"`);
  // PORT=0 takes any free port, which the links cannot know: a link to port 0 in a real e-mail reaches nobody.
  if (!rawUrl && channel === 'smtp' && url.port === '0') throw new ConfigError('PUBLIC_URL must be set to send e-mail over SMTP with PORT=0 (any free port): the unsubscribe links cannot point at it');
  // The development key is in the source: links signed with it could be forged, so real e-mail never carries them.
  if (!rawSecrets && channel === 'smtp') throw new ConfigError('UNSUBSCRIBE_SECRET must be set to send e-mail over SMTP: the development key is public, so anyone could forge its unsubscribe links');
  const secrets = rawSecrets ? rawSecrets.split(',').map((s) => s.trim()) : [DEVELOPMENT_UNSUBSCRIBE_SECRET];
  if (secrets.some((s) => s.length < 32 || /\s/.test(s))) throw new ConfigError('UNSUBSCRIBE_SECRET must be 32 characters or more, without spaces (several: comma-separated)');
  return { publicUrl: url.href.replace(/\/+$/, ''), secrets };
}

/** The ports of the servers `npm start` runs on this machine (`PGPORT`, `TEMPORAL_PORT`, `TEMPORAL_UI_PORT`). */
export function localServerPorts(env: NodeJS.ProcessEnv = process.env): { postgres: number; temporal: number; temporalUi: number } {
  return { postgres: port(env, 'PGPORT', 54329), temporal: port(env, 'TEMPORAL_PORT', 7233), temporalUi: port(env, 'TEMPORAL_UI_PORT', 8233) };
}

/** The settings holding secrets, whose .env.example values are placeholders (`change-me-...`). */
const SECRET_SETTINGS = ['API_KEYS', 'METRICS_TOKEN', 'UNSUBSCRIBE_SECRET', 'DATABASE_URL', 'SMTP_URL', 'TEMPORAL_API_KEY'];

/**
 * In production, a secret still holding .env.example's placeholder (`change-me`) is refused: those keys are in the
 * public repository, and `cp .env.example .env && docker compose up` would publish the API with them.
 */
function placeholderSecrets(env: NodeJS.ProcessEnv): void {
  const placeholders = SECRET_SETTINGS.filter((name) => /change-me/i.test(env[name] ?? ''));
  if (placeholders.length)
    throw new ConfigError(`${placeholders.join(', ')}: ${placeholders.length > 1 ? 'hold' : 'holds'} the .env.example placeholder (change-me...), which is public: set real secrets (e.g. openssl rand -hex 24) before running with NODE_ENV=production`);
}

/**
 * The settings `npm run import` uses: the database, and the currency its amounts are in. Only those: an import run with
 * the worker's environment (`MESSAGE_CHANNEL=smtp` without `SMTP_URL` here) is not refused for a setting it does not read.
 */
export function loadImportConfig(env: NodeJS.ProcessEnv = process.env): Pick<AppConfig, 'databaseUrl' | 'currency'> {
  return { databaseUrl: databaseUrl(env), currency: currency(env) };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  // Not a guess: "prod" taken as development would show internal errors and the IDE, and accept the development keys.
  const nodeEnv = oneOf(env, 'NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  const production = nodeEnv === 'production';
  if (production) placeholderSecrets(env);
  const api = { host: env.HOST || (production ? '0.0.0.0' : '127.0.0.1'), port: port(env, 'PORT', 4000, 'any free port') };
  const messages = delivery(env);
  return {
    env: nodeEnv,
    databaseUrl: databaseUrl(env),
    temporal: {
      address: temporalAddress(env),
      ...temporalSecurity(env),
      namespace: env.TEMPORAL_NAMESPACE || 'default',
      taskQueue: env.TEMPORAL_TASK_QUEUE || 'retention',
    },
    api: {
      ...api,
      ide: bool(env, 'GRAPHQL_IDE', !production),
      introspection: bool(env, 'GRAPHQL_INTROSPECTION', !production),
      corsOrigins: corsOrigins(env, production),
      rateLimitPerMinute: int(env, 'RATE_LIMIT_PER_MINUTE', 1200),
      authFailuresPerMinute: int(env, 'AUTH_FAILURES_PER_MINUTE', 30),
      unsubscribePerMinute: int(env, 'UNSUBSCRIBE_REQUESTS_PER_MINUTE', 60),
      rateLimitStore: oneOf(env, 'RATE_LIMIT_STORE', ['postgres', 'memory'] as const, 'postgres'),
      trustProxy: trustProxy(env.TRUST_PROXY),
      metricsToken: metricsToken(env.METRICS_TOKEN),
      ...imports(env),
    },
    workerMetricsPort: port(env, 'WORKER_METRICS_PORT', 9464, 'off'),
    delivery: messages,
    unsubscribe: unsubscribe(env, production, messages.channel, `http://${localAddress(api.host)}:${api.port}`),
    rescoreSchedule: schedule(env, 'RESCORE_SCHEDULE', '0 2 * * *'),
    scoreHistorySchedule: schedule(env, 'SCORE_HISTORY_SCHEDULE', '0 4 * * *'),
    triggersSchedule: schedule(env, 'PLAYBOOK_TRIGGERS_SCHEDULE', '0 6 * * *'),
    runReconciliationSchedule: schedule(env, 'RUN_RECONCILIATION_SCHEDULE', '*/5 * * * *'),
    dataRetention: {
      schedule: schedule(env, 'DATA_RETENTION_SCHEDULE', '0 5 * * *'),
      eraseOffboardedAfterDays: eraseOffboardedAfterDays(env),
    },
    currency: currency(env),
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, nodeEnv === 'test' ? 'warn' : 'info'),
    apiKeys: env.API_KEYS || '',
  };
}
