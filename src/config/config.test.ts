import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { temporalConnectionOptions } from '../temporal/client.js';
import { ConfigError, configuredPolicies, loadConfig, localServerPorts } from './config.js';

const base = { DATABASE_URL: 'postgres://localhost/x' };

describe('TRUST_PROXY', () => {
  it('trusts no proxy unless told', () => {
    expect(loadConfig(base).api.trustProxy).toBe(false);
    expect(loadConfig({ ...base, TRUST_PROXY: 'false' }).api.trustProxy).toBe(false);
  });

  it('takes a number of proxies, or named ranges, addresses and subnets', () => {
    expect(loadConfig({ ...base, TRUST_PROXY: '2' }).api.trustProxy).toBe(2);
    expect(loadConfig({ ...base, TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::/8, 192.0.2.10' }).api.trustProxy).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8', '192.0.2.10']);
  });

  it.each(['true', 'everyone', '10.0.0.0/33', '10.0.0/8', '10.0.0.0/8/1', 'fd00::/129'])('refuses %p, saying what it takes', (value) => {
    expect(() => loadConfig({ ...base, TRUST_PROXY: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, TRUST_PROXY: value })).toThrow(/TRUST_PROXY must be a number of proxies or a list/);
  });
});

describe('AUTH_FAILURES_PER_MINUTE', () => {
  it('is 30 unless set; 0 turns the limit off', () => {
    expect(loadConfig(base).api.authFailuresPerMinute).toBe(30);
    expect(loadConfig({ ...base, AUTH_FAILURES_PER_MINUTE: '0' }).api.authFailuresPerMinute).toBe(0);
    expect(loadConfig(base).api.unsubscribePerMinute).toBe(60);
    expect(loadConfig({ ...base, UNSUBSCRIBE_REQUESTS_PER_MINUTE: '0' }).api.unsubscribePerMinute).toBe(0);
    expect(() => loadConfig({ ...base, AUTH_FAILURES_PER_MINUTE: '-1' })).toThrow(/AUTH_FAILURES_PER_MINUTE must be a non-negative integer/);
  });
});

describe('METRICS_TOKEN', () => {
  it('is none unless set, and at least 16 characters without spaces when set', () => {
    expect(loadConfig(base).api.metricsToken).toBeNull();
    expect(loadConfig({ ...base, METRICS_TOKEN: ' scrape-token-0123456789 ' }).api.metricsToken).toBe('scrape-token-0123456789');
    expect(() => loadConfig({ ...base, METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN must be 16 characters or more/);
    expect(() => loadConfig({ ...base, METRICS_TOKEN: 'has a space 0123456789' })).toThrow(/without spaces/);
  });
});

describe('PUBLIC_URL and UNSUBSCRIBE_SECRET (the unsubscribe links of marketing e-mail)', () => {
  const smtp = { SMTP_URL: 'smtps://u:p@smtp.example.com', MESSAGE_FROM: 'care@example.com', MESSAGE_TEAM_ADDRESS: 'team@example.com' };
  const secret = 'k'.repeat(32);

  it("outside production, points at the API's own address and signs with a development key unless told", () => {
    const links = loadConfig({ ...base, PORT: '4100' }).unsubscribe!;
    expect(links.publicUrl).toBe('http://127.0.0.1:4100');
    expect(links.secrets).toHaveLength(1);
    expect(links.secrets[0].length).toBeGreaterThanOrEqual(32);
    // Real e-mail never carries links signed with the development key, which is in the source.
    expect(() => loadConfig({ ...base, MESSAGE_CHANNEL: 'smtp', ...smtp })).toThrow(/UNSUBSCRIBE_SECRET must be set to send e-mail over SMTP/);
    expect(loadConfig({ ...base, MESSAGE_CHANNEL: 'smtp', ...smtp, UNSUBSCRIBE_SECRET: secret }).unsubscribe!.secrets).toEqual([secret]);
    // Any free port (PORT=0) is no address a link can name (QA 43 F8).
    expect(() => loadConfig({ ...base, PORT: '0', MESSAGE_CHANNEL: 'smtp', ...smtp, UNSUBSCRIBE_SECRET: secret })).toThrow(/PUBLIC_URL must be set to send e-mail over SMTP with PORT=0/);
    expect(loadConfig({ ...base, PORT: '0', MESSAGE_CHANNEL: 'smtp', ...smtp, UNSUBSCRIBE_SECRET: secret, PUBLIC_URL: 'http://mail-links.example.com' }).unsubscribe!.publicUrl).toBe('http://mail-links.example.com');
  });

  it('takes a public URL (a path too, no trailing slash kept) and several secrets while rotating, the first one signing', () => {
    const links = loadConfig({ ...base, NODE_ENV: 'production', ...smtp, PUBLIC_URL: 'https://example.com/retention/', UNSUBSCRIBE_SECRET: `${secret}, ${'o'.repeat(40)}` }).unsubscribe!;
    expect(links).toEqual({ publicUrl: 'https://example.com/retention', secrets: [secret, 'o'.repeat(40)] });
  });

  it('in production, needs both to send e-mail, over HTTPS; without SMTP it leaves the links out', () => {
    expect(() => loadConfig({ ...base, NODE_ENV: 'production', MESSAGE_CHANNEL: 'smtp', ...smtp })).toThrow(/PUBLIC_URL and UNSUBSCRIBE_SECRET must be set to send e-mail in production/);
    expect(() => loadConfig({ ...base, NODE_ENV: 'production', MESSAGE_CHANNEL: 'smtp', ...smtp, PUBLIC_URL: 'https://example.com' })).toThrow(/must be set/);
    expect(() => loadConfig({ ...base, NODE_ENV: 'production', MESSAGE_CHANNEL: 'smtp', ...smtp, PUBLIC_URL: 'http://example.com', UNSUBSCRIBE_SECRET: secret })).toThrow(/PUBLIC_URL must be https:\/\/ in production/);
    expect(loadConfig({ ...base, NODE_ENV: 'production', MESSAGE_CHANNEL: 'log' }).unsubscribe).toBeNull();
  });

  it.each([
    [{ PUBLIC_URL: 'example.com' }, /PUBLIC_URL must be an http\(s\) URL/],
    [{ PUBLIC_URL: 'ftp://example.com' }, /PUBLIC_URL must be an http\(s\) URL/],
    [{ PUBLIC_URL: 'https://example.com/?a=1' }, /PUBLIC_URL must be an http\(s\) URL/],
    [{ UNSUBSCRIBE_SECRET: 'short' }, /UNSUBSCRIBE_SECRET must be 32 characters or more/],
    [{ UNSUBSCRIBE_SECRET: `${secret},` }, /UNSUBSCRIBE_SECRET must be 32 characters or more/],
  ])('refuses %p', (env, message) => {
    expect(() => loadConfig({ ...base, ...env })).toThrow(message);
  });
});

describe('SMTP_URL, MESSAGE_FROM and MESSAGE_TEAM_ADDRESS (e-mail over SMTP)', () => {
  const smtp = { MESSAGE_CHANNEL: 'smtp', SMTP_URL: 'smtps://u:p@smtp.example.com:465', MESSAGE_FROM: 'care@example.com', MESSAGE_TEAM_ADDRESS: 'team@example.com', UNSUBSCRIBE_SECRET: 'k'.repeat(32) };
  const delivery = (settings: Record<string, string>) => loadConfig({ ...base, ...smtp, ...settings }).delivery;

  it('takes an smtp:// or smtps:// URL (a query too), and addresses alone or with a display name', () => {
    expect(delivery({ SMTP_URL: 'smtp://mail.internal:25?socketTimeout=120000' })).toMatchObject({ smtpUrl: 'smtp://mail.internal:25?socketTimeout=120000' });
    expect(delivery({ MESSAGE_FROM: 'Customer care <care@example.com>', MESSAGE_TEAM_ADDRESS: '"Care, team" <team@example.com>' })).toMatchObject({ from: 'Customer care <care@example.com>', teamAddress: '"Care, team" <team@example.com>' });
    expect(delivery({ MESSAGE_FROM: '"Müller & Co." <care@example.com>', MESSAGE_TEAM_ADDRESS: 'a@example.com, Team B <b@example.com>' })).toMatchObject({ teamAddress: 'a@example.com, Team B <b@example.com>' });
  });

  // Each was taken at start; nodemailer then sent to localhost, or to 0.0.2.75 for "smtp.example.com:587", and every message failed (QA 58 F4).
  it('refuses at start anything else, naming the variable (and no password)', () => {
    expect(() => delivery({ SMTP_URL: 'notaurl' })).toThrow('SMTP_URL must be an smtp:// or smtps:// URL with a host, such as smtps://user:password@smtp.example.com:465, got "notaurl"');
    expect(() => delivery({ SMTP_URL: 'smtp.example.com:587' })).toThrow(/^SMTP_URL must be an smtp:\/\/ or smtps:\/\/ URL with a host, .*got "smtp.example.com:587"$/);
    expect(() => delivery({ SMTP_URL: 'https://u:secret@smtp.example.com' })).toThrow(/got "https:\/\/u:\*\*\*@smtp.example.com"$/);
    expect(() => delivery({ SMTP_URL: 'smtp://' })).toThrow(/^SMTP_URL must be/);
    expect(() => delivery({ MESSAGE_FROM: 'notanemail' })).toThrow('MESSAGE_FROM must be an e-mail address, such as care@example.com or "Customer care <care@example.com>", got "notanemail"');
    expect(() => delivery({ MESSAGE_FROM: 'Care <notanemail>' })).toThrow(/^MESSAGE_FROM must be an e-mail address/);
    expect(() => delivery({ MESSAGE_FROM: 'a@example.com, b@example.com' })).toThrow(/^MESSAGE_FROM must be an e-mail address/);
    expect(() => delivery({ MESSAGE_FROM: 'care team@example.com' })).toThrow(/^MESSAGE_FROM must be an e-mail address/);
    expect(() => delivery({ MESSAGE_TEAM_ADDRESS: 'care@' })).toThrow('MESSAGE_TEAM_ADDRESS must be e-mail addresses (comma-separated), such as care@example.com or "Customer care <care@example.com>", got "care@"');
    expect(() => delivery({ MESSAGE_TEAM_ADDRESS: 'a@example.com,' })).toThrow(/^MESSAGE_TEAM_ADDRESS must be/);
  });
});

describe('CURRENCY', () => {
  it('is EUR unless set, and takes a currency with two decimals', () => {
    expect(loadConfig(base).currency).toBe('EUR');
    expect(loadConfig({ ...base, CURRENCY: 'USD' }).currency).toBe('USD');
  });

  it.each(['JPY', 'usd', 'Euro'])('refuses %p, saying why', (value) => {
    expect(() => loadConfig({ ...base, CURRENCY: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, CURRENCY: value })).toThrow(/^CURRENCY must be/);
  });
});

describe('LOG_LEVEL', () => {
  it('is info unless set, and takes only a level the logger knows', () => {
    expect(loadConfig(base).logLevel).toBe('info');
    expect(loadConfig({ ...base, LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
    expect(() => loadConfig({ ...base, LOG_LEVEL: 'verbose' })).toThrow('LOG_LEVEL must be fatal or error or warn or info or debug or trace or silent, got "verbose"');
  });
});

describe('ports and schedules', () => {
  it('takes a port from 1 to 65535 (0 where it means something) and names the variable otherwise', () => {
    expect(loadConfig({ ...base, PORT: '0' }).api.port).toBe(0);
    expect(loadConfig({ ...base, WORKER_METRICS_PORT: '0' }).workerMetricsPort).toBe(0);
    expect(() => loadConfig({ ...base, PORT: '70000' })).toThrow('PORT must be a port, 1 to 65535 (0: any free port), got "70000"');
    expect(() => loadConfig({ ...base, WORKER_METRICS_PORT: '70000' })).toThrow(/^WORKER_METRICS_PORT must be a port/);
    expect(localServerPorts({ PGPORT: '54400' })).toEqual({ postgres: 54400, temporal: 7233, temporalUi: 8233 });
    expect(() => localServerPorts({ PGPORT: 'abc' })).toThrow(/^PGPORT must be a non-negative integer \(decimal digits only\), got "abc"/);
    expect(() => localServerPorts({ TEMPORAL_PORT: '0' })).toThrow('TEMPORAL_PORT must be a port, 1 to 65535, got "0"');
  });

  it('takes PostgreSQL as a postgres:// URL, and names anything else without its password (QA 43 F3)', () => {
    expect(loadConfig({ DATABASE_URL: 'postgresql://u:p@db:5432/x' }).databaseUrl).toBe('postgresql://u:p@db:5432/x');
    expect(() => loadConfig({ DATABASE_URL: 'localhost:54343' })).toThrow('DATABASE_URL must be a postgres:// URL, such as postgres://user:password@host:5432/db, got "localhost:54343"');
    expect(() => loadConfig({ DATABASE_URL: 'mysql://u:secret@db/x' })).toThrow(/got "mysql:\/\/u:\*\*\*@db\/x"/);
    expect(() => loadConfig({})).toThrow('DATABASE_URL is not set');
  });

  it('runs as development, production or test, and refuses another NODE_ENV rather than guess (QA 43 F2)', () => {
    expect(loadConfig(base).env).toBe('development');
    expect(loadConfig({ ...base, NODE_ENV: 'production' }).env).toBe('production');
    expect(() => loadConfig({ ...base, NODE_ENV: 'prod' })).toThrow('NODE_ENV must be development or production or test, got "prod"');
  });

  it('looks for due messages every 100 ms at the most often; 0 is no way to stop delivery (QA 43 F4)', () => {
    expect(loadConfig({ ...base, DELIVERY_INTERVAL_MS: '100' }).delivery).toMatchObject({ intervalMs: 100 });
    expect(() => loadConfig({ ...base, DELIVERY_INTERVAL_MS: '0' })).toThrow('DELIVERY_INTERVAL_MS must be 100 to 3600000 (an hour; MESSAGE_CHANNEL=off stops delivery), got "0"');
  });

  it('takes Temporal as host:port, and names a URL or a port alone', () => {
    expect(loadConfig({ ...base, TEMPORAL_ADDRESS: 'temporal:7233' }).temporal.address).toBe('temporal:7233');
    expect(loadConfig({ ...base, TEMPORAL_ADDRESS: '[::1]:7233' }).temporal.address).toBe('[::1]:7233');
    expect(() => loadConfig({ ...base, TEMPORAL_ADDRESS: 'http://temporal:7233' })).toThrow('TEMPORAL_ADDRESS must be host:port, such as temporal:7233 or 127.0.0.1:7233 (no scheme), got "http://temporal:7233"');
    expect(() => loadConfig({ ...base, TEMPORAL_ADDRESS: '7233' })).toThrow(/^TEMPORAL_ADDRESS must be host:port/);
  });

  it('takes a cron schedule or off, and names the variable and what is wrong otherwise', () => {
    expect(loadConfig(base).rescoreSchedule).toBe('0 2 * * *');
    expect(loadConfig({ ...base, RESCORE_SCHEDULE: 'off', DATA_RETENTION_SCHEDULE: '30 3 * * SUN' })).toMatchObject({ rescoreSchedule: null, dataRetention: { schedule: '30 3 * * SUN' } });
    expect(() => loadConfig({ ...base, RESCORE_SCHEDULE: 'every night' })).toThrow(/^RESCORE_SCHEDULE must be a cron schedule \(UTC\) or off, got "every night": a cron schedule has five fields/);
    expect(() => loadConfig({ ...base, RUN_RECONCILIATION_SCHEDULE: '61 2 * * *' })).toThrow('RUN_RECONCILIATION_SCHEDULE must be a cron schedule (UTC) or off, got "61 2 * * *": its minute field "61": "61" is not within 0-59');
    // Forms Temporal reads in its own way are checked too: they stopped the worker after start, naming no variable (QA 58 F3).
    expect(() => loadConfig({ ...base, RUN_RECONCILIATION_SCHEDULE: '@every 5x' })).toThrow(/^RUN_RECONCILIATION_SCHEDULE must be a cron schedule \(UTC\) or off, got "@every 5x": "5x" is not a duration/);
    expect(() => loadConfig({ ...base, RESCORE_SCHEDULE: '0 0 2 * * * 1999' })).toThrow('RESCORE_SCHEDULE must be a cron schedule (UTC) or off, got "0 0 2 * * * 1999": its year field "1999": "1999" is not within 2000-2100');
  });
});

describe('Temporal TLS and API key (TEMPORAL_TLS, TEMPORAL_TLS_*_PATH, TEMPORAL_TLS_SERVER_NAME, TEMPORAL_API_KEY)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'config-tls-'));
  const pem = (name: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, `-----BEGIN ${name}-----\nAAAA\n-----END ${name}-----\n`);
    return file;
  };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is plain gRPC unless set', () => {
    expect(loadConfig(base).temporal).toMatchObject({ tls: null, apiKey: null });
    expect(temporalConnectionOptions(loadConfig(base).temporal)).toEqual({ address: '127.0.0.1:7233' });
  });

  it('TLS with the system CAs (TEMPORAL_TLS=true), or with an API key (TLS implied)', () => {
    expect(loadConfig({ ...base, TEMPORAL_TLS: 'true' }).temporal).toMatchObject({ tls: {}, apiKey: null });
    const cloud = loadConfig({ ...base, TEMPORAL_ADDRESS: 'eu-west-1.aws.api.temporal.io:7233', TEMPORAL_API_KEY: ' key-0123 ' }).temporal;
    expect(temporalConnectionOptions(cloud)).toEqual({ address: 'eu-west-1.aws.api.temporal.io:7233', tls: {}, apiKey: 'key-0123' });
  });

  it('mTLS: the certificate and key files read at start, with a private CA and a server name', () => {
    const env = { ...base, TEMPORAL_TLS_CA_PATH: pem('CA'), TEMPORAL_TLS_CERT_PATH: pem('CERT'), TEMPORAL_TLS_KEY_PATH: pem('KEY'), TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' };
    const { tls } = temporalConnectionOptions(loadConfig(env).temporal);
    expect(tls?.serverRootCACertificate?.toString()).toContain('BEGIN CA');
    expect(tls?.clientCertPair?.crt.toString()).toContain('BEGIN CERT');
    expect(tls?.clientCertPair?.key.toString()).toContain('BEGIN KEY');
    expect(tls?.serverNameOverride).toBe('temporal.internal');
  });

  it.each([
    [{ TEMPORAL_TLS_CERT_PATH: '/nonexistent/client.pem', TEMPORAL_TLS_KEY_PATH: '/nonexistent/client.key' }, /^TEMPORAL_TLS_CERT_PATH: cannot read "\/nonexistent\/client.pem" \(ENOENT\)/],
    [{ TEMPORAL_TLS_CA_PATH: '/nonexistent/ca.pem' }, /^TEMPORAL_TLS_CA_PATH: cannot read/],
    [{ TEMPORAL_TLS_CERT_PATH: 'CERT' }, /TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH go together/],
    [{ TEMPORAL_TLS_KEY_PATH: 'KEY' }, /TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH go together/],
    [{ TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: 'key-0123' }, /TEMPORAL_TLS is false, but TEMPORAL_API_KEY is set: it needs TLS/],
    [{ TEMPORAL_TLS: 'false', TEMPORAL_TLS_CA_PATH: 'CA' }, /TEMPORAL_TLS is false, but TEMPORAL_TLS_CA_PATH is set/],
    [{ TEMPORAL_TLS: 'maybe' }, /TEMPORAL_TLS must be true or false/],
    [{ TEMPORAL_API_KEY: 'two keys' }, /TEMPORAL_API_KEY must be one key/],
  ])('refuses %p, naming the setting', (env, message) => {
    const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, ['CA', 'CERT', 'KEY'].includes(v) ? pem(v) : v]));
    expect(() => loadConfig({ ...base, ...resolved })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, ...resolved })).toThrow(message);
  });

  it('refuses a file that is not PEM', () => {
    const file = path.join(dir, 'not.pem');
    writeFileSync(file, 'not a certificate');
    expect(() => loadConfig({ ...base, TEMPORAL_TLS_CA_PATH: file })).toThrow(`TEMPORAL_TLS_CA_PATH: "${file}" is not a PEM file`);
  });
});

describe('number settings', () => {
  it.each(['0x10', '1e3', ' 12 ', '5.0', '-1', '+5', '12abc', '9'.repeat(16)])('refuse %p: decimal digits only', (value) => {
    expect(() => loadConfig({ ...base, RATE_LIMIT_PER_MINUTE: value })).toThrow(`RATE_LIMIT_PER_MINUTE must be a non-negative integer (decimal digits only), got "${value}"`);
    expect(() => loadConfig({ ...base, PORT: value })).toThrow(ConfigError);
  });

  it('take plain decimal integers, and an empty value as unset', () => {
    expect(loadConfig({ ...base, RATE_LIMIT_PER_MINUTE: '0120', ERASE_OFFBOARDED_AFTER_DAYS: '30', PORT: '' })).toMatchObject({ api: { rateLimitPerMinute: 120, port: 4000 }, dataRetention: { eraseOffboardedAfterDays: 30 } });
  });

  it('IMPORT_CONCURRENCY: 1 to 20 imports at once (2 by default); IMPORT_WAIT_SECONDS: 0 to 300 (30 by default)', () => {
    expect(loadConfig(base).api).toMatchObject({ importsAtOnce: 2, importWaitMs: 30_000 });
    expect(loadConfig({ ...base, IMPORT_CONCURRENCY: '4', IMPORT_WAIT_SECONDS: '0' }).api).toMatchObject({ importsAtOnce: 4, importWaitMs: 0 });
    expect(loadConfig({ ...base, IMPORT_CONCURRENCY: '20', IMPORT_WAIT_SECONDS: '300' }).api).toMatchObject({ importsAtOnce: 20, importWaitMs: 300_000 });
    // 0 would refuse every import; more than 20 connections of imports would crowd PostgreSQL's 100 by default.
    expect(() => loadConfig({ ...base, IMPORT_CONCURRENCY: '0' })).toThrow('IMPORT_CONCURRENCY must be 1 to 20');
    expect(() => loadConfig({ ...base, IMPORT_CONCURRENCY: '21' })).toThrow('IMPORT_CONCURRENCY must be 1 to 20');
    expect(() => loadConfig({ ...base, IMPORT_CONCURRENCY: 'two' })).toThrow('IMPORT_CONCURRENCY must be a non-negative integer');
    expect(() => loadConfig({ ...base, IMPORT_WAIT_SECONDS: '301' })).toThrow('IMPORT_WAIT_SECONDS must be 0 to 300');
    expect(() => loadConfig({ ...base, IMPORT_WAIT_SECONDS: '1.5' })).toThrow(ConfigError);
  });

  it('ERASE_OFFBOARDED_AFTER_DAYS: at least 1, as 0 would erase every offboarded customer at the next sweep (QA 71 F5)', () => {
    expect(() => loadConfig({ ...base, ERASE_OFFBOARDED_AFTER_DAYS: '0' })).toThrow('ERASE_OFFBOARDED_AFTER_DAYS must be at least 1');
    expect(() => loadConfig({ ...base, ERASE_OFFBOARDED_AFTER_DAYS: '000' })).toThrow(ConfigError);
    expect(loadConfig({ ...base, ERASE_OFFBOARDED_AFTER_DAYS: '1' }).dataRetention.eraseOffboardedAfterDays).toBe(1);
    expect(loadConfig(base).dataRetention.eraseOffboardedAfterDays).toBe(1095);
  });

  it("ERASE_OFFBOARDED_AFTER_DAYS: at most 36500 (100 years), as a longer period is out of the database's range and fails every sweep", () => {
    expect(loadConfig({ ...base, ERASE_OFFBOARDED_AFTER_DAYS: '36500' }).dataRetention.eraseOffboardedAfterDays).toBe(36_500);
    for (const value of ['36501', '99999999', '3000000000'])
      expect(() => loadConfig({ ...base, ERASE_OFFBOARDED_AFTER_DAYS: value })).toThrow(`ERASE_OFFBOARDED_AFTER_DAYS must be at most 36500 (100 years), got ${Number(value)}`);
  });

  it('ERASE_OFFBOARDED_AFTER_DAYS is the retention policy a process decides by: the sweep, and the operations status counting who is past it', () => {
    expect(configuredPolicies(loadConfig({ ...base, ERASE_OFFBOARDED_AFTER_DAYS: '30' })).dataRetention).toMatchObject({ eraseOffboardedAfterDays: 30, pageSize: 100 });
  });

  it('DELIVERY_INTERVAL_MS: 100 ms to an hour (Node turns a timer past 2^31-1 ms into 1 ms: a look for due messages every millisecond)', () => {
    expect(loadConfig({ ...base, DELIVERY_INTERVAL_MS: '3600000' }).delivery).toMatchObject({ intervalMs: 3_600_000 });
    for (const value of ['99', '3600001', '3000000000'])
      expect(() => loadConfig({ ...base, DELIVERY_INTERVAL_MS: value })).toThrow(`DELIVERY_INTERVAL_MS must be 100 to 3600000 (an hour; MESSAGE_CHANNEL=off stops delivery), got "${value}"`);
  });

  it('an empty LOG_LEVEL, NODE_ENV or MESSAGE_CHANNEL is unset', () => {
    expect(loadConfig({ ...base, LOG_LEVEL: '', NODE_ENV: '', MESSAGE_CHANNEL: '' })).toMatchObject({ logLevel: 'info', env: 'development', delivery: { channel: 'log' } });
  });
});

describe('the placeholder secrets of .env.example', () => {
  const placeholders = { API_KEYS: 'admin:change-me-0123456789abcdef,viewer:change-me-fedcba9876543210', METRICS_TOKEN: 'change-me-metrics-token-0123456789' };

  it('are refused in production, each named', () => {
    expect(() => loadConfig({ ...base, NODE_ENV: 'production', ...placeholders })).toThrow(
      'API_KEYS, METRICS_TOKEN: hold the .env.example placeholder (change-me...), which is public: set real secrets (e.g. openssl rand -hex 24) before running with NODE_ENV=production',
    );
    expect(() => loadConfig({ ...base, NODE_ENV: 'production', DATABASE_URL: 'postgres://retention:change-me-retention-password@postgres:5432/retention' })).toThrow(/^DATABASE_URL: holds the \.env\.example placeholder/);
  });

  it('are taken outside production (a developer trying the file)', () => {
    expect(loadConfig({ ...base, ...placeholders }).apiKeys).toBe(placeholders.API_KEYS);
  });
});
