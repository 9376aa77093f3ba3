import net from 'node:net';
import { Connection } from '@temporalio/client';
import { pino } from 'pino';
import type { Orm } from '../db/orm.js';
import { checkReadiness } from './readiness.js';

/** A database that answers at once: only the Temporal check is under test. */
const orm = { em: { getConnection: () => ({ execute: async () => [{ '?column?': 1 }] }) } } as unknown as Orm;
const logger = pino({ level: 'silent' });

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

it('says Temporal is unreachable when its port refuses connections, not that it gave no answer in time (QA 71 F13)', async () => {
  const temporal = await Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
  try {
    expect(await checkReadiness(orm, temporal, logger, 800)).toEqual({ ready: false, checks: { database: { ok: true }, temporal: { ok: false, reason: 'unreachable' } } });
    // The client's retries of the check end at its deadline (a second past the check's), not ~20 s later: then the connection may close.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
  } finally {
    await temporal.close();
  }
});

it('says no answer in time when Temporal takes the connection but does not answer', async () => {
  const sockets: net.Socket[] = [];
  const silent = net.createServer((socket) => void sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const temporal = await Connection.lazy({ address: `127.0.0.1:${(silent.address() as net.AddressInfo).port}` });
  try {
    expect((await checkReadiness(orm, temporal, logger, 800)).checks.temporal).toEqual({ ok: false, reason: 'no answer in time' });
    // Past the call's deadline, it ended (DEADLINE_EXCEEDED is not retried).
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  } finally {
    await temporal.close();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  }
});
