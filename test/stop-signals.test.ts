import { spawn } from 'node:child_process';
import path from 'node:path';

/** Ctrl-C on `npm start` reaches the start twice (the terminal's and npm's own): the second must not cut its stopping short. */
it('stops once on the first signal, and lets a second one wait for the stop to end', async () => {
  const child = spawn(process.execPath, [path.resolve('dist/test/support/stop-signal-child.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise<void>((resolve) => child.stdout.on('data', () => out.includes('ready') && resolve()));
  // Once its output is all read ('close'; at 'exit' its last line may still be in the pipe).
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  child.kill('SIGINT');
  await new Promise((resolve) => setTimeout(resolve, 50));
  child.kill('SIGINT');
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  const lines = out.split('\n').filter(Boolean);
  // (Two signals sent at once may come in either order: a loaded machine delivered SIGTERM first.)
  expect([lines[0], [...lines.slice(1, -1)].sort(), lines.at(-1)]).toEqual(['ready', ['again: SIGINT', 'again: SIGTERM'], 'stopped']);
});
