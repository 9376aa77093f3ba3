import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { graphiqlRouter } from './graphiql.js';

/** The IDE page as a browser asking by `host` gets it. */
function pageFor(port: number, host: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ port, path: '/graphql', headers: { host, accept: 'text/html', ...headers } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });
}

it('fills in the development key only on a page asked for by a loopback name, not by a rebound domain', async () => {
  // Behind a proxy the API trusts, as with TRUST_PROXY: a rebound page's own X-Forwarded-Host must not count.
  const app = express().set('trust proxy', true).use(graphiqlRouter({ endpoint: '/graphql', headers: { Authorization: 'Bearer dev-admin-key' } }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) expect(await pageFor(port, host)).toContain('dev-admin-key');
    const rebound = await pageFor(port, `rebind.attacker.example:${port}`);
    expect(rebound).toContain('GraphiQL');
    expect(rebound).not.toContain('dev-admin-key');
    expect(await pageFor(port, `rebind.attacker.example:${port}`, { 'x-forwarded-host': 'localhost' })).not.toContain('dev-admin-key');
    expect(await pageFor(port, 'LOCALHOST')).toContain('dev-admin-key');
    // Nothing typed into the IDE is kept in the browser's storage for another page of the origin to read.
    expect(rebound).not.toContain('shouldPersistHeaders');
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
