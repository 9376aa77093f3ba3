import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { claim, isRunning, stopProcess, takeOverLeftRunning, type Ownership } from './left-running.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'left-running-unit-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A long-lived process standing in for a server. */
const server = () => spawn('sleep', ['60'], { stdio: 'ignore' }).pid!;

it("takes over a server whose owner's process ID now belongs to another program", async () => {
  const pid = server();
  const file = path.join(dir, 'reused.owner.json');
  try {
    // This process is running, but it is not the one recorded: that one started at another moment.
    await writeFile(file, JSON.stringify({ owner: process.pid, ownerStartedAt: '1', pid } satisfies Ownership));
    expect(await takeOverLeftRunning(file, () => true)).toBe(pid);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ owner: process.pid, pid });
    // Now the record names this very process: its server stays its own.
    expect(await takeOverLeftRunning(file, () => true)).toBeNull();
  } finally {
    await stopProcess(pid, 'SIGTERM');
  }
  expect(isRunning(pid)).toBe(false);
});

it('leaves alone a server that is not the one recorded, or is gone', async () => {
  const pid = server();
  const file = path.join(dir, 'other.owner.json');
  try {
    await writeFile(file, JSON.stringify({ owner: 2 ** 22 + 1, ownerStartedAt: null, pid } satisfies Ownership));
    expect(await takeOverLeftRunning(file, () => false)).toBeNull();
  } finally {
    await stopProcess(pid, 'SIGTERM');
  }
  expect(await takeOverLeftRunning(file, () => true)).toBeNull();
  await claim(file, pid);
  expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ owner: process.pid, pid, ownerStartedAt: expect.any(String) });
});
