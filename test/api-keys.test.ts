import { print } from 'graphql';
import { sql } from 'kysely';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { Role } from '../src/domain/auth/roles.js';
import { ApiKey, AuditEntry } from '../src/entities/index.js';
import { createApi } from '../src/http/api-server.js';
import { createLogger } from '../src/logger.js';
import { ApiKeysDocument, CreateSegmentDocument, IssueApiKeyDocument, MeDocument, RevokeApiKeyDocument, SegmentsDocument, type IssueApiKeyInput } from './__generated__/graphql.js';
import { eventually } from './support/eventually.js';
import { startTestStack, type GraphQLResult, type TestStack } from './support/stack.js';

/** Admins issue keys to front ends and revoke them without a restart; the API takes them over HTTP. */
let stack: TestStack;
let url: string;
const em = () => stack.orm.em.fork();

beforeAll(async () => {
  stack = await startTestStack({ worker: false });
  ({ url } = await stack.api.listen());
});
afterAll(() => stack?.stop());

/** A typed document over HTTP with an issued key's secret. */
async function withSecret<TData, TVars>(secret: string, doc: TypedDocumentNode<TData, TVars>, variables: TVars, at = url): Promise<GraphQLResult<TData>> {
  const response = await fetch(at, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
    body: JSON.stringify({ query: print(doc), variables }),
  });
  return (await response.json()) as GraphQLResult<TData>;
}
const issue = (input: IssueApiKeyInput, role: Role | null = Role.Admin) => stack.gql(IssueApiKeyDocument, { input }, role);

it('is issued by an admin only: the secret once, its digest kept, audited', async () => {
  for (const role of [Role.Viewer, Role.Marketer, Role.Operator]) expect((await issue({ name: 'web', role: 'Viewer' }, role)).errors![0].extensions!.code).toBe('FORBIDDEN');
  expect(await em().count(ApiKey)).toBe(0);

  const issued = await issue({ name: ' web front end ', role: 'Marketer' });
  expect(issued.errors).toBeUndefined();
  const { apiKey, secret } = issued.data!.issueApiKey;
  expect(secret).toMatch(/^rk_[A-Za-z0-9_-]{43}$/);
  expect(apiKey).toMatchObject({ name: 'web front end', role: 'Marketer', fingerprint: expect.stringMatching(/^[0-9a-f]{8}$/), createdBy: expect.stringMatching(/^admin:/), expiresAt: null, revokedAt: null, lastUsedAt: null });
  const row = await em().findOneOrFail(ApiKey, apiKey.id);
  expect(JSON.stringify(row)).not.toContain(secret);
  const [audit] = await em().find(AuditEntry, { entityId: apiKey.id });
  expect(audit).toMatchObject({ action: 'api-key.issue', after: { name: 'web front end', role: 'marketer', fingerprint: apiKey.fingerprint } });
  expect(JSON.stringify(audit)).not.toContain(secret);
});

it('opens the API with its role, names its caller in the audit log by its fingerprint, and notes when it was used', async () => {
  const { apiKey, secret } = (await issue({ name: 'campaign tool', role: 'Marketer' })).data!.issueApiKey;
  // What a front end asks first, to show the user only what they may do.
  expect((await withSecret(secret, MeDocument, {})).data!.me).toEqual({ id: `marketer:${apiKey.fingerprint}`, role: 'Marketer', grants: ['Marketer', 'Viewer'] });
  const created = await withSecret(secret, CreateSegmentDocument, { input: { name: 'Made with an issued key', filter: {} } });
  expect(created.errors).toBeUndefined();
  expect(created.data!.createSegment.createdBy).toBe(`marketer:${apiKey.fingerprint}`);
  // A marketer's key does not issue keys.
  expect((await withSecret(secret, IssueApiKeyDocument, { input: { name: 'escalate', role: 'Admin' } })).errors![0].extensions).toMatchObject({ code: 'FORBIDDEN' });
  const used = await eventually(() => em().findOneOrFail(ApiKey, apiKey.id), (k) => k.lastUsedAt != null);
  expect(used.lastUsedAt!.getTime()).toBeGreaterThan(Date.now() - 60_000);
});

it('refuses bad input and a taken name, and writes nothing', async () => {
  const before = await em().count(ApiKey);
  const cases: [IssueApiKeyInput, string, string, string][] = [
    [{ name: '  ', role: 'Viewer' }, 'VALIDATION', 'AUTH_INVALID_INPUT', 'input.name'],
    [{ name: 'x'.repeat(101), role: 'Viewer' }, 'VALIDATION', 'AUTH_INVALID_INPUT', 'input.name'],
    // Control and invisible characters (QA 66 F8): an ESC sequence, a line break, a zero-width space beside a name in use, a direction mark.
    [{ name: '<b>x</b>\n\u001b[31mred', role: 'Viewer' }, 'VALIDATION', 'AUTH_INVALID_INPUT', 'input.name'],
    [{ name: 'web front end\u200b', role: 'Viewer' }, 'VALIDATION', 'AUTH_INVALID_INPUT', 'input.name'],
    [{ name: 'ops\u202e', role: 'Viewer' }, 'VALIDATION', 'AUTH_INVALID_INPUT', 'input.name'],
    [{ name: 'tab\there', role: 'Viewer' }, 'VALIDATION', 'AUTH_INVALID_INPUT', 'input.name'],
    [{ name: 'past', role: 'Viewer', expiresAt: '2020-01-01T00:00:00.000Z' }, 'VALIDATION', 'AUTH_INVALID_INPUT', 'input.expiresAt'],
    [{ name: 'web front end', role: 'Viewer' }, 'CONFLICT', 'AUTH_KEY_NAME_TAKEN', 'input.name'],
    [{ name: 'Web Front End', role: 'Viewer' }, 'CONFLICT', 'AUTH_KEY_NAME_TAKEN', 'input.name'],
    // Names that read as one in use: full-width letters, a ligature (NFKC); a Cyrillic "е" in a Latin word (mixed scripts).
    [{ name: 'ｗｅｂ front end', role: 'Viewer' }, 'CONFLICT', 'AUTH_KEY_NAME_TAKEN', 'input.name'],
    [{ name: 'web front end\u3000', role: 'Viewer' }, 'CONFLICT', 'AUTH_KEY_NAME_TAKEN', 'input.name'],
    // A run of spaces reads as one (the rule segment names follow too).
    [{ name: 'web  front\u00a0 end', role: 'Viewer' }, 'CONFLICT', 'AUTH_KEY_NAME_TAKEN', 'input.name'],
    [{ name: 'w\u0435b front end', role: 'Viewer' }, 'VALIDATION', 'AUTH_INVALID_INPUT', 'input.name'],
    [{ name: '\u0430dmin', role: 'Viewer' }, 'VALIDATION', 'AUTH_INVALID_INPUT', 'input.name'],
    [{ name: 'ops \u03bfps', role: 'Viewer' }, 'VALIDATION', 'AUTH_INVALID_INPUT', 'input.name'],
  ];
  for (const [input, code, reason, field] of cases) expect((await issue(input)).errors![0].extensions).toMatchObject({ code, reason, field });
  // The name is quoted as the key in use has it, not as the caller spelt it (QA 55 F2).
  expect((await issue({ name: 'Web Front End', role: 'Viewer' })).errors![0]).toMatchObject({ message: 'A key in use is named "web front end" (names are compared in any case)', extensions: { name: 'web front end' } });
  expect(await em().count(ApiKey)).toBe(before);
});

it('is refused once it expires', async () => {
  const expiresAt = new Date(Date.now() + 1_500).toISOString();
  const { secret } = (await issue({ name: 'short-lived', role: 'Viewer', expiresAt })).data!.issueApiKey;
  expect((await withSecret(secret, SegmentsDocument, {})).errors).toBeUndefined();
  await new Promise((r) => setTimeout(r, 1_600));
  expect((await withSecret(secret, SegmentsDocument, {})).errors![0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'AUTH_KEY_EXPIRED' });
  // Its successor takes the name: the expired key, which works nowhere, is revoked as it is issued (audited).
  const expired = await em().findOneOrFail(ApiKey, { name: 'short-lived' });
  const successor = await issue({ name: 'Short-Lived', role: 'Viewer', expiresAt: new Date(Date.now() + 1_500).toISOString() });
  expect(successor.errors).toBeUndefined();
  expect(await em().findOneOrFail(ApiKey, expired.id)).toMatchObject({ revokedAt: expect.any(Date), revokedBy: expect.stringMatching(/^admin:/) });
  expect(await em().find(AuditEntry, { entityId: expired.id, action: 'api-key.revoke' })).toEqual([expect.objectContaining({ after: expect.objectContaining({ reason: 'expired; its name was given to a new key' }) })]);
  // A key of that name still in use keeps it.
  expect((await issue({ name: 'short-lived', role: 'Viewer' })).errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'AUTH_KEY_NAME_TAKEN' });
  await new Promise((r) => setTimeout(r, 1_600));
});

it('is revoked by an admin without a restart, at once in every API process; idempotent; audited', async () => {
  const fresh = (await issue({ name: 'never used', role: 'Viewer' })).data!.issueApiKey;
  const busy = (await issue({ name: 'busy reporting job', role: 'Viewer' })).data!.issueApiKey;
  // A second API process on the same database, which has the busy key in its cache (10 s).
  const other = await createApi({ config: stack.config, orm: stack.orm, temporal: stack.temporal, logger: createLogger('silent', 'api') });
  try {
    const otherUrl = (await other.listen()).url;
    for (const at of [url, otherUrl]) expect((await withSecret(busy.secret, SegmentsDocument, {}, at)).errors).toBeUndefined();

    expect((await stack.gql(RevokeApiKeyDocument, { id: busy.apiKey.id }, Role.Operator)).errors![0].extensions!.code).toBe('FORBIDDEN');
    for (const { apiKey } of [fresh, busy]) {
      const revoked = await stack.gql(RevokeApiKeyDocument, { id: apiKey.id }, Role.Admin);
      expect(revoked.data!.revokeApiKey).toMatchObject({ revokedAt: expect.any(String), revokedBy: expect.stringMatching(/^admin:/) });
    }
    expect((await withSecret(fresh.secret, SegmentsDocument, {})).errors![0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'AUTH_KEY_REVOKED' });
    // Both processes heard of the revocation: refused well before the cache would have let go of it.
    const refused = (at: string) => eventually(() => withSecret(busy.secret, SegmentsDocument, {}, at), (r) => r.errors?.[0].extensions?.reason === 'AUTH_KEY_REVOKED', 2_000, 100);
    await Promise.all([refused(url), refused(otherUrl)]);

    // The listening connections are cut (a PostgreSQL restart, a failover): they come back, and revocations reach them again.
    const late = (await issue({ name: 'revoked after a reconnect', role: 'Viewer' })).data!.issueApiKey;
    const listeners = async () =>
      (await sql<{ pid: number }>`select pid from pg_stat_activity where datname = current_database() and application_name = 'listen:api_key_revoked'`.execute(em().getKysely())).rows.map((r) => r.pid);
    const cut = await listeners();
    expect(cut).toHaveLength(2);
    await sql`select pg_terminate_backend(pid) from pg_stat_activity where pid = any(${cut})`.execute(em().getKysely());
    await eventually(listeners, (pids) => pids.length === 2 && !pids.some((pid) => cut.includes(pid)), 10_000, 200);
    for (const at of [url, otherUrl]) expect((await withSecret(late.secret, SegmentsDocument, {}, at)).errors).toBeUndefined();
    await stack.gql(RevokeApiKeyDocument, { id: late.apiKey.id }, Role.Admin);
    await Promise.all([url, otherUrl].map((at) => eventually(() => withSecret(late.secret, SegmentsDocument, {}, at), (r) => r.errors?.[0].extensions?.reason === 'AUTH_KEY_REVOKED', 2_000, 100)));
  } finally {
    await other.stop();
  }

  // A revoked key's name is free for the key that replaces it.
  const successor = await issue({ name: 'Never Used', role: 'Viewer' });
  expect(successor.errors).toBeUndefined();
  expect((await issue({ name: 'never used', role: 'Viewer' })).errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'AUTH_KEY_NAME_TAKEN' });

  const again = await stack.gql(RevokeApiKeyDocument, { id: fresh.apiKey.id }, Role.Admin);
  expect(again.data!.revokeApiKey.revokedAt).toBe((await em().findOneOrFail(ApiKey, fresh.apiKey.id)).revokedAt!.toISOString());
  expect(await em().count(AuditEntry, { entityId: fresh.apiKey.id, action: 'api-key.revoke' })).toBe(1);
  expect((await stack.gql(RevokeApiKeyDocument, { id: '00000000-0000-4000-8000-000000000000' }, Role.Admin)).errors![0].extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'AUTH_KEY_NOT_FOUND' });
});

it('lists the issued keys newest first, the revoked ones when asked for', async () => {
  const names = async (includeRevoked: boolean) => (await stack.gql(ApiKeysDocument, { first: 50, includeRevoked }, Role.Admin)).data!.apiKeys.edges.map((e) => e.node.name);
  // The expired one is no longer in use.
  expect(await names(false)).toEqual(['Never Used', 'campaign tool', 'web front end']);
  expect(await names(true)).toEqual(['Never Used', 'revoked after a reconnect', 'busy reporting job', 'never used', 'Short-Lived', 'short-lived', 'campaign tool', 'web front end']);
  expect((await stack.gql(ApiKeysDocument, {}, Role.Operator)).errors![0].extensions!.code).toBe('FORBIDDEN');
});

it('keeps a name in NFKC, so a full-width or ligature spelling is the name itself, and takes a word in one script whichever it is', async () => {
  const issued = await issue({ name: 'ﬁnance ｒｅｐｏｒｔｓ²', role: 'Viewer' });
  expect(issued.errors).toBeUndefined();
  expect(issued.data!.issueApiKey.apiKey.name).toBe('finance reports2');
  expect(await em().findOneOrFail(ApiKey, issued.data!.issueApiKey.apiKey.id)).toMatchObject({ name: 'finance reports2' });
  expect((await issue({ name: 'Finance Reports2', role: 'Viewer' })).errors![0]).toMatchObject({ message: 'A key in use is named "finance reports2" (names are compared in any case)' });
  // Words each in one script: a Cyrillic word beside Latin ones, a Greek one, digits and punctuation in any.
  for (const name of ['\u0441\u0435\u0440\u0432\u0438\u0441 for ops', '\u03b1\u03bd\u03b1\u03c6\u03bf\u03c1\u03ad\u03c2 v2', 'café-bot 3']) {
    const other = await issue({ name, role: 'Viewer' });
    expect(other.errors).toBeUndefined();
    expect(other.data!.issueApiKey.apiKey.name).toBe(name);
  }
});
