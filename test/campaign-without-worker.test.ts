import { Role } from '../src/domain/auth/roles.js';
import { Customer } from '../src/entities/index.js';
import { CampaignDocument, CreateCampaignDocument, LaunchCampaignDocument, PauseCampaignDocument } from './__generated__/graphql.js';
import { startTestStack, type TestStack } from './support/stack.js';

/** A campaign while no worker polls its task queue (a deploy, a crash): its record shows, what needs the run answers UNAVAILABLE. */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ worker: false });
}, 90_000);
afterAll(() => stack?.stop());

it('shows the campaign and answers UNAVAILABLE for its live progress and steering while no worker polls', async () => {
  const em = stack.orm.em.fork();
  em.create(Customer, { name: 'Nora Noworker', email: 'nora.noworker@example.com', acquiredAt: '2020-01-01', marketingConsent: true });
  await em.flush();
  const created = await stack.gql(CreateCampaignDocument, { input: { name: 'While the worker is away', playbook: 'Appreciation', filter: { search: 'noworker' }, holdoutPercent: 0 } }, Role.Marketer);
  expect(created.errors).toBeUndefined();
  const id = created.data!.createCampaign.id;
  // The launch is taken (its run waits for a worker); only its live progress cannot be read.
  const launched = await stack.gql(LaunchCampaignDocument, { id }, Role.Marketer);
  expect(launched.data!.launchCampaign).toMatchObject({ id, status: 'Running', progress: null });
  expect(launched.errors!.map((e) => [e.path, e.extensions!.code])).toEqual([[['launchCampaign', 'progress'], 'UNAVAILABLE']]);

  const read = await stack.gql(CampaignDocument, { id }, Role.Viewer);
  expect(read.data!.campaign).toMatchObject({ id, name: 'While the worker is away', status: 'Running', progress: null });
  expect(read.errors).toEqual([expect.objectContaining({ path: ['campaign', 'progress'], extensions: expect.objectContaining({ code: 'UNAVAILABLE', reason: 'PLAYBOOK_ENGINE_UNAVAILABLE' }) })]);

  const paused = await stack.gql(PauseCampaignDocument, { id }, Role.Marketer);
  expect(paused.errors![0].extensions).toMatchObject({ code: 'UNAVAILABLE', reason: 'PLAYBOOK_ENGINE_UNAVAILABLE' });
  expect(paused.errors![0].extensions).not.toHaveProperty('stacktrace');
}, 60_000);
