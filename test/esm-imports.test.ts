import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * Every module loads under Node's own ESM loader, as `npm start` and the production
 * processes load them. Jest loads CommonJS packages its own way: a named import that Node
 * refuses (`import { temporal } from '@temporalio/proto'`) passed every other test and
 * crashed `npm start`. Entry points (src/bin) are left out: importing them starts them.
 */
function modules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'bin' ? [] : modules(file);
    return entry.name.endsWith('.js') && !entry.name.endsWith('.test.js') ? [file] : [];
  });
}

it('loads every module of the API, the worker and the workflows with Node itself', () => {
  const files = [...modules(path.resolve('dist/src')), ...modules(path.resolve('dist/workflows'))];
  expect(files.length).toBeGreaterThan(100);
  const script = `for (const f of ${JSON.stringify(files)}) await import(f);`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
}, 90_000);
