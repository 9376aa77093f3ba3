import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DevServerStartError, ensureTemporalCli, startTemporalDevServerOnFreePorts } from '../src/dev/temporal-dev-server.js';
import { connectTemporal } from '../src/temporal/client.js';

/**
 * Tests and benchmarks start dev servers on ports the OS reported free a moment before;
 * one can be taken in between. The real server is started here, behind a script that
 * makes its first start fail as a taken port does.
 */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'temporal-dev-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function script(name: string, body: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

it('tries new ports when the server stops while starting, and then runs', async () => {
  const tried = path.join(dir, 'tried');
  const binary = await script(
    'flaky-temporal',
    `if [ ! -e "${tried}" ]; then touch "${tried}"; echo "listen tcp: bind: address already in use" >&2; exit 2; fi\nexec "${ensureTemporalCli(path.resolve('.cache'))}" "$@"`,
  );
  const logs: string[] = [];
  const server = await startTemporalDevServerOnFreePorts({ binary, ui: false, log: (m) => logs.push(m) });
  try {
    expect(logs).toEqual([expect.stringContaining('attempt 1 of 3')]);
    const temporal = await connectTemporal(server.address, 'default');
    expect((await temporal.connection.workflowService.getSystemInfo({})).serverVersion).toBeTruthy();
    await temporal.close();
  } finally {
    await server.stop();
  }
}, 120_000);

it('gives up after its attempts, saying what the server printed', async () => {
  const binary = await script('broken-temporal', `echo "listen tcp: bind: address already in use" >&2; exit 2`);
  const started = startTemporalDevServerOnFreePorts({ binary, ui: true, attempts: 2 });
  await expect(started).rejects.toBeInstanceOf(DevServerStartError);
  await expect(started).rejects.toThrow(/address already in use/);
});
