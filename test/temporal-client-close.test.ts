import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * A call the platform gives up on at its deadline (Temporal not answering) is still tried again by Temporal's client
 * after a pause; closing the connection meanwhile (a process stopping) must not crash the process from that try.
 */
it('closes its Temporal connection while a call it gave up on waits to be tried again, without crashing', () => {
  const child = spawnSync(process.execPath, [path.resolve('dist/test/support/abandoned-call-child.js')], { encoding: 'utf8', timeout: 30_000 });
  expect(child.stderr).not.toMatch(/Channel has been shut down/);
  expect(child.stdout).toBe('lived on\n');
  expect(child.status).toBe(0);
}, 40_000);
