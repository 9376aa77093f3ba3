import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import path from 'node:path';
import { createOrm, migrateUp } from '../src/db/orm.js';
import { freePort } from '../src/dev/ports.js';
import { createTestDatabase } from './support/database.js';

/**
 * The production entry points (compose, log shippers) end a failed start as `npm start` does: one
 * line on stderr naming the problem, exit code 1, not a multi-line Node stack (QA 58 F5).
 */
const run = (bin: string, env: Record<string, string>) =>
  spawnSync(process.execPath, [path.resolve(`dist/src/bin/${bin}.js`)], { env: { ...process.env, LOG_LEVEL: 'silent', PORT: '0', WORKER_METRICS_PORT: '0', ...env }, encoding: 'utf8', timeout: 60_000 });

it('says a mistyped setting as one line naming it, and exits 1', () => {
  const cases: Array<[string, Record<string, string>, string]> = [
    ['api', { DATABASE_URL: 'postgres://unused', LOG_LEVEL: 'verbose' }, 'api: LOG_LEVEL must be fatal or error or warn or info or debug or trace or silent, got "verbose"'],
    ['worker', { DATABASE_URL: 'postgres://unused', RESCORE_SCHEDULE: '0 25 * * *' }, 'worker: RESCORE_SCHEDULE must be a cron schedule (UTC) or off, got "0 25 * * *": its hour field "25": "25" is not within 0-23'],
    ['migrate', { DATABASE_URL: 'localhost:5432' }, 'migrate: DATABASE_URL must be a postgres:// URL, such as postgres://user:password@host:5432/db, got "localhost:5432"'],
  ];
  for (const [bin, env, line] of cases) {
    const started = run(bin, env);
    expect({ bin, stderr: started.stderr, stdout: started.stdout, status: started.status }).toEqual({ bin, stderr: `${line}\n`, stdout: '', status: 1 });
  }
});

it('says a mistyped API_KEYS as one line too, not as a fatal log line with a stack, and exits 1', async () => {
  // A database the API could start on: the keys are the only thing wrong.
  const db = await createTestDatabase('apikeys');
  const orm = await createOrm(db.url);
  try {
    await migrateUp(orm);
    for (const [keys, line] of [
      ['admin:short', 'api: API_KEYS: the admin key is shorter than 16 characters'],
      ['owner:0123456789abcdef0123', 'api: API_KEYS: "owner" is not a role (viewer, marketer, operator, admin)'],
    ]) {
      const started = run('api', { DATABASE_URL: db.url, API_KEYS: keys, LOG_LEVEL: 'info' });
      expect({ stderr: started.stderr, stdout: started.stdout, status: started.status }).toEqual({ stderr: `${line}\n`, stdout: '', status: 1 });
    }
  } finally {
    await orm.close();
    await db.drop();
  }
}, 90_000);

it('names WORKER_METRICS_PORT and the port when another process holds it', async () => {
  const db = await createTestDatabase('startfail');
  const orm = await createOrm(db.url);
  const port = await freePort();
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
  try {
    await migrateUp(orm);
    const off = { RESCORE_SCHEDULE: 'off', SCORE_HISTORY_SCHEDULE: 'off', PLAYBOOK_TRIGGERS_SCHEDULE: 'off', DATA_RETENTION_SCHEDULE: 'off', RUN_RECONCILIATION_SCHEDULE: 'off', MESSAGE_CHANNEL: 'off' };
    const started = run('worker', { DATABASE_URL: db.url, TEMPORAL_TASK_QUEUE: `test-${randomBytes(4).toString('hex')}`, WORKER_METRICS_PORT: String(port), ...off });
    expect(started.stderr).toMatch(new RegExp(`^worker: WORKER_METRICS_PORT ${port}: the worker's metrics cannot listen on 127\\.0\\.0\\.1:${port} \\(.*Address already in use.*\\); another worker on this machine\\? Set another port, or 0 to turn them off\\n$`));
    expect(started.status).toBe(1);
  } finally {
    holder.close();
    await orm.close();
    await db.drop();
  }
}, 90_000);
