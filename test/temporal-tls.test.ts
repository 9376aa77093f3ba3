import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../src/config/config.js';
import { connectTemporal, temporalConnectionOptions } from '../src/temporal/client.js';
import { createTestDatabase } from './support/database.js';

/**
 * Temporal over TLS, with a client certificate (mTLS), as a Temporal cluster behind TLS or Temporal Cloud
 * asks for. The dev server (`temporal server start-dev`) has no TLS flags, so a TLS proxy stands in front
 * of it here: it terminates TLS (HTTP/2 by ALPN), asks for a client certificate signed by the test's CA,
 * and passes the bytes on to the dev server. What this cannot check: an API key (the proxy reads no
 * headers, the dev server checks none), and Temporal Cloud itself.
 */
const dir = mkdtempSync(path.join(os.tmpdir(), 'retention-temporal-tls-'));
const file = (name: string) => path.join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

let proxy: tls.Server;
let proxyAddress: string;
const handshakes: Array<{ authorized: boolean; alpn: string | false | null }> = [];

beforeAll(async () => {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=test CA');
  for (const [name, cn, ext] of [['server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], ['client', 'retention', 'extendedKeyUsage=clientAuth']]) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    writeFileSync(file(`${name}.ext`), `${ext}\n`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
  }
  writeFileSync(file('not-pem.txt'), 'not a certificate\n');
  const [host, port] = [process.env.TEMPORAL_ADDRESS!.replace(/:\d+$/, ''), Number(process.env.TEMPORAL_ADDRESS!.split(':').pop())];
  proxy = tls.createServer(
    { key: readFileSync(file('server.key')), cert: readFileSync(file('server.pem')), ca: readFileSync(file('ca.pem')), requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['h2'] },
    (socket) => {
      handshakes.push({ authorized: socket.authorized, alpn: socket.alpnProtocol });
      const upstream = net.connect(port, host);
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    },
  );
  proxy.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyAddress = `localhost:${(proxy.address() as net.AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => proxy?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const mtls = () => ({ TEMPORAL_TLS_CA_PATH: file('ca.pem'), TEMPORAL_TLS_CERT_PATH: file('client.pem'), TEMPORAL_TLS_KEY_PATH: file('client.key') });
const temporalOf = (env: NodeJS.ProcessEnv) => loadConfig({ DATABASE_URL: 'postgres://localhost/x', TEMPORAL_ADDRESS: proxyAddress, ...env }).temporal;

it("the client (API, migrate) reaches Temporal over TLS with a client certificate, from the settings alone", async () => {
  const temporal = await connectTemporal(temporalOf(mtls()), 'default');
  try {
    const { namespaceInfo } = await temporal.connection.workflowService.describeNamespace({ namespace: 'default' });
    expect(namespaceInfo?.name).toBe('default');
  } finally {
    await temporal.close();
  }
  expect(handshakes.at(-1)).toEqual({ authorized: true, alpn: 'h2' });
});

it("the worker's connection (NativeConnection) does too", async () => {
  const connection = await NativeConnection.connect(temporalConnectionOptions(temporalOf(mtls())));
  try {
    const info = await connection.workflowService.getSystemInfo({});
    expect(info.capabilities).toBeTruthy();
  } finally {
    await connection.close();
  }
});

it('is refused without the client certificate, and in clear', async () => {
  const withoutCert = temporalOf({ TEMPORAL_TLS_CA_PATH: file('ca.pem') });
  await expect(NativeConnection.connect({ ...temporalConnectionOptions(withoutCert), connectTimeout: '3s' } as Parameters<typeof NativeConnection.connect>[0])).rejects.toThrow();
  await expect(NativeConnection.connect({ address: proxyAddress, connectTimeout: '3s' } as Parameters<typeof NativeConnection.connect>[0])).rejects.toThrow();
});

it('migrate registers the search attributes through the TLS proxy, configured by the environment', async () => {
  const db = await createTestDatabase('tls');
  try {
    // Not spawnSync: the proxy runs in this process.
    const child = spawn(process.execPath, [path.resolve('dist/src/bin/migrate.js')], {
      env: { ...process.env, DATABASE_URL: db.url, TEMPORAL_ADDRESS: proxyAddress, ...mtls(), LOG_LEVEL: 'info', NODE_ENV: 'test' },
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    // Once its output is all read ('close'; at 'exit' its last lines may still be in the pipe).
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(output).toContain('search attributes registered');
    expect(status).toBe(0);
  } finally {
    await db.drop();
  }
}, 120_000);
