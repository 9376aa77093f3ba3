import { sql, type RawBuilder } from 'kysely';
import { Role } from '../src/domain/auth/roles.js';
import { CreateCampaignDocument, DiscardCampaignDocument, UpdateCampaignDocument, type CreateCampaignInput } from './__generated__/graphql.js';
import { startTestStack, type TestStack } from './support/stack.js';

/**
 * A campaign's name is how marketers tell campaigns apart (the list, the audit log, exports, Temporal's UI): stored as
 * people read it and unique among all campaigns whatever its case, as a segment's. No worker needed.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ worker: false });
}, 90_000);
afterAll(() => stack?.stop());

const rows = async <T>(q: RawBuilder<T>) => (await q.execute(stack.orm.em.fork().getKysely())).rows;
const create = (name: string, extra: Partial<CreateCampaignInput> = {}) =>
  stack.gql(CreateCampaignDocument, { input: { name, playbook: 'Appreciation', filter: { search: 'nobody by that name' }, ...extra } }, Role.Marketer);
const created = async (name: string) => {
  const answer = await create(name);
  expect(answer.errors).toBeUndefined();
  return answer.data!.createCampaign;
};
const taken = (name: string) => ({ code: 'CONFLICT', reason: 'CAMPAIGN_NAME_TAKEN', field: 'input.name', name });

it('stores the name as people read it and refuses, in any case, one another campaign has, on creation and on a change', async () => {
  const first = await created(' Ｔhanks  Q4 ');
  expect(first.name).toBe('Thanks Q4');
  const clash = await create('thanks  q4');
  expect(clash.data).toBeNull();
  expect(clash.errors![0].message).toMatch(/A campaign named "Thanks Q4" exists/);
  expect(clash.errors![0].extensions).toMatchObject(taken('Thanks Q4'));
  // Nothing written of the refused one.
  expect(await rows(sql`select name from campaign where lower(name) = 'thanks q4'`)).toEqual([{ name: 'Thanks Q4' }]);

  const other = await created('Thanks Q4 again');
  const renamed = await stack.gql(UpdateCampaignDocument, { id: other.id, input: { name: 'THANKS  Q4' } }, Role.Marketer);
  expect(renamed.errors![0].extensions).toMatchObject(taken('Thanks Q4'));
  expect(await rows(sql`select name from campaign where id = ${other.id}::uuid`)).toEqual([{ name: 'Thanks Q4 again' }]);
  expect(await rows(sql`select count(*)::int as n from audit_entry where entity_id = ${other.id} and action = 'campaign.update'`)).toEqual([{ n: 0 }]);
  // A campaign may change its own name's case, or keep it while other fields change.
  const ownCase = await stack.gql(UpdateCampaignDocument, { id: first.id, input: { name: 'thanks Q4', holdoutPercent: 20 } }, Role.Marketer);
  expect(ownCase.errors).toBeUndefined();
  expect(ownCase.data!.updateCampaign).toMatchObject({ name: 'thanks Q4', holdoutPercent: 20 });
});

it('keeps the name of an ended campaign taken, and frees that of a discarded draft', async () => {
  const ended = await created('Welcome autumn');
  await rows(sql`update campaign set status = 'cancelled', finished_at = now() where id = ${ended.id}::uuid`);
  expect((await create('welcome AUTUMN')).errors![0].extensions).toMatchObject(taken('Welcome autumn'));

  const draft = await created('Short-lived');
  expect((await stack.gql(DiscardCampaignDocument, { id: draft.id }, Role.Marketer)).errors).toBeUndefined();
  expect((await created('short-lived')).name).toBe('short-lived');
});

it('lets one of two campaigns made with one name at the same moment have it', async () => {
  const answers = await Promise.all(['Same moment', 'same  moment', 'SAME MOMENT'].map((name) => create(name)));
  expect(answers.filter((a) => !a.errors)).toHaveLength(1);
  const stored = answers.find((a) => !a.errors)!.data!.createCampaign.name;
  for (const refused of answers.filter((a) => a.errors)) expect(refused.errors![0].extensions).toMatchObject(taken(stored));
  expect(await rows(sql`select count(*)::int as n from campaign where lower(name) = 'same moment'`)).toEqual([{ n: 1 }]);
});
