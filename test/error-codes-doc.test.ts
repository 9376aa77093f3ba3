import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { DomainException } from '../src/domain/errors/domain-exception.js';

/** Every source file under `dir` that declares a domain exception type. */
async function exceptionModules(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.test.ts')) continue;
    const file = path.join(entry.parentPath, entry.name);
    if ((await readFile(file, 'utf8')).includes('extends DomainException')) found.push(file);
  }
  return found;
}

type ExceptionClass = new (code: string, message: string) => DomainException<string>;

/** reason -> code of every domain exception the API can answer with, read from the exception types themselves. */
async function reasonsInCode(): Promise<Map<string, string>> {
  const reasons = new Map<string, string>();
  for (const file of await exceptionModules('src')) {
    const exported = Object.values((await import(path.resolve('dist', file.replace(/\.ts$/, '.js')))) as Record<string, unknown>);
    const type = exported.find((e): e is ExceptionClass => typeof e === 'function' && e.prototype instanceof DomainException)!;
    const codes = exported.filter((e): e is Record<string, string> => typeof e === 'object' && e !== null && Object.values(e).every((v) => typeof v === 'string' && /^[A-Z][A-Z_]+$/.test(v)));
    for (const code of codes.flatMap((e) => Object.values(e))) reasons.set(code, new type(code, '').kind);
  }
  return reasons;
}

/** The first table of docs/error-codes.md, as reason -> code. */
async function reasonsDocumented(): Promise<Map<string, string>> {
  const doc = await readFile('docs/error-codes.md', 'utf8');
  const table = doc.slice(doc.indexOf('| reason | code | when |')).split('\n\n')[0].split('\n').slice(2);
  return new Map(table.map((row) => row.split('|').map((cell) => cell.trim().replace(/`/g, ''))).map(([, reason, code]) => [reason, code]));
}

it('documents every reason a domain exception can carry, with its code, and no other', async () => {
  const inCode = await reasonsInCode();
  // The scores fit command's own, printed on the command line (docs/scores-fit.md), never an API answer.
  for (const reason of inCode.keys()) if (reason.startsWith('ORDERS_FILE_')) inCode.delete(reason);
  expect(inCode.size).toBeGreaterThan(50);
  expect(Object.fromEntries([...(await reasonsDocumented())].sort())).toEqual(Object.fromEntries([...inCode].sort()));
});

/** The first table of docs/error-codes.md, as reason -> its `when` text. */
async function whenDocumented(): Promise<Map<string, string>> {
  const doc = await readFile('docs/error-codes.md', 'utf8');
  const table = doc.slice(doc.indexOf('| reason | code | when |')).split('\n\n')[0].split('\n').slice(2);
  return new Map(table.map((row) => row.split('|').map((cell) => cell.trim())).map(([, reason, , when]) => [reason.replace(/`/g, ''), when]));
}

it('names the details a client branches on: timedOut of every engine unavailable, the outcome of a run already finished (QA 81 F6, F8)', async () => {
  const when = await whenDocumented();
  // Every engine's UNAVAILABLE carries `timedOut: true` when the call got no answer in time (src/temporal/deadline.ts, unansweredDetails).
  const engines = [...when.keys()].filter((reason) => reason.endsWith('_ENGINE_UNAVAILABLE'));
  expect(engines).toEqual(['PLAYBOOK_ENGINE_UNAVAILABLE', 'SCORING_ENGINE_UNAVAILABLE']);
  for (const reason of engines) expect(when.get(reason)).toContain('`timedOut: true`');
  expect(when.get('PLAYBOOK_RUN_ALREADY_FINISHED')).toMatch(/say how the run ended in `outcome`/);
});
