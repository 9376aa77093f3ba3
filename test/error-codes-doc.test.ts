import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { ApolloServerErrorCode } from '@apollo/server/errors';
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

/** The second table of docs/error-codes.md (the transport and the limits), as its rows' reason and code; `(none)` where a row has no reason. */
async function transportRowsDocumented(): Promise<{ reason: string; code: string }[]> {
  const doc = await readFile('docs/error-codes.md', 'utf8');
  const section = doc.slice(doc.indexOf('## Reasons of the transport and the limits'));
  const table = section.slice(section.indexOf('| reason | code | when |')).split('\n\n')[0].trim().split('\n').slice(2);
  return table.map((row) => row.split('|').map((cell) => cell.trim().replace(/`/g, ''))).map(([, reason, code]) => ({ reason, code }));
}

/** Where the API answers errors of its own beyond the domain exceptions: the error formatter, the query limits, the HTTP layer. */
async function transportSources(): Promise<string[]> {
  const http = (await readdir('src/http')).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts')).map((name) => path.join('src/http', name));
  return ['src/graphql/errors.ts', 'src/graphql/limits.ts', ...http];
}

/**
 * Every reason the transport and the limits give, read from where they set one: an error's `reason: 'X'`,
 * a malformed body's `refuse(message, 'X')` (src/http/request-errors.ts), and what `badRequestReason`
 * returns for Apollo's own BAD_REQUEST answers (src/graphql/errors.ts).
 */
async function transportReasonsInCode(): Promise<Set<string>> {
  const reasons = new Set<string>();
  const add = (text: string, pattern: RegExp) => {
    for (const [, reason] of text.matchAll(pattern)) reasons.add(reason);
  };
  for (const file of await transportSources()) {
    const source = await readFile(file, 'utf8');
    add(source, /\breason: '([A-Z][A-Z_]+)'/g);
    add(source, /\brefuse\((?:'[^']*'|`[^`]*`), '([A-Z][A-Z_]+)'/g);
    const badRequest = source.indexOf('export function badRequestReason(');
    if (badRequest >= 0) add(source.slice(badRequest, source.indexOf('\n}\n', badRequest)), /\breturn '([A-Z][A-Z_]+)';/g);
  }
  return reasons;
}

it('documents every reason the transport and the limits give, and no other', async () => {
  const inCode = await transportReasonsInCode();
  // The sources found are the ones meant: a reason of each layer, Apollo's BAD_REQUESTs' and a malformed body's among them.
  for (const reason of ['SHUTTING_DOWN', 'QUERY_TOO_COSTLY', 'TOO_MANY_FAILED_AUTHENTICATIONS', 'INVALID_JSON', 'NOT_AN_OPERATION', 'CSRF_PREVENTED']) expect(inCode).toContain(reason);
  const documented = (await transportRowsDocumented()).map((row) => row.reason).filter((reason) => reason !== '(none)');
  expect([...new Set(documented)].sort()).toEqual([...inCode].sort());
});

it("documents each of Apollo's own codes the API answers without a reason", async () => {
  // INTERNAL_SERVER_ERROR is told in the page's opening; every BAD_REQUEST is given a reason (badRequestReason); with
  // persisted queries off (src/http/api-server.ts) Apollo answers PERSISTED_QUERY_NOT_SUPPORTED, never PERSISTED_QUERY_NOT_FOUND.
  const notAnswered: string[] = [ApolloServerErrorCode.INTERNAL_SERVER_ERROR, ApolloServerErrorCode.BAD_REQUEST, ApolloServerErrorCode.PERSISTED_QUERY_NOT_FOUND];
  const apollos = Object.values(ApolloServerErrorCode).filter((code) => !notAnswered.includes(code));
  const withoutReason = (await transportRowsDocumented()).filter((row) => row.reason === '(none)').map((row) => row.code);
  expect(apollos.filter((code) => !withoutReason.includes(code))).toEqual([]);
});
