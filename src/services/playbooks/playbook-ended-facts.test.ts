import { RunStatus, runStatus } from '../../domain/playbooks/run-status.js';
import type { AccountReviewState } from '../../domain/playbooks/account-review.js';
import type { PlaybookRun } from '../../entities/index.js';
import { PlaybookRunType, shownStep } from '../../graphql/playbooks/playbook-run.types.js';
import { PlaybookService } from './playbook.service.js';

/**
 * Review 40: a run that ended (an account review cancelled mid-step keeps that step in its kept state) is shown
 * without its open issues, and its step is `done`: those are not looked up for it, while the answer stays the same.
 */
const calls = { openIssues: 0, heldBack: 0, reason: 0, runState: 0 };
const runs = {
  heldBackStepMessage: async () => (calls.heldBack++, 'the customer opted out'),
  decisionReason: async () => (calls.reason++, 'Costs more than it brings'),
  findByWorkflowId: async () => null,
};
const reviews = { openIssues: async () => (calls.openIssues++, { fixCases: ['delivery-delay'], complaints: [] }) };
const engine = { runState: async () => (calls.runState++, null) };
const service = new PlaybookService(undefined as never, undefined as never, runs as never, undefined as never, engine as never, undefined as never, undefined as never, reviews as never);

const customerId = '0190a0b0-0000-7000-8000-000000000001';
const kept: AccountReviewState = {
  customerId,
  step: 'awaiting-approval' as AccountReviewState['step'],
  proposal: { kind: 'tier-change', tier: 'standard', reason: 'cheaper to serve' } as AccountReviewState['proposal'],
  answer: 'declined',
  profitabilityMinor: -12_000,
  decision: { approve: false, decidedBy: 'admin:abc', reasonEntry: 'entry-1' },
  outcome: 'cancelled' as AccountReviewState['outcome'],
  policyVersion: 3,
  deadline: '2026-12-20T00:00:00.000Z',
};
const record = (status: RunStatus) =>
  ({ workflowId: `account-review/${customerId}`, playbook: 'account-review', customer: { id: customerId }, status, outcome: 'cancelled', finalState: kept, startedAt: new Date('2026-12-01T00:00:00Z'), finishedAt: status === RunStatus.Running ? null : new Date('2026-12-10T00:00:00Z') }) as unknown as PlaybookRun;
const reset = () => Object.assign(calls, { openIssues: 0, heldBack: 0, reason: 0, runState: 0 });

it("shows an ended review as before, without looking up its open issues, which the answer hides (review 40)", async () => {
  reset();
  const shown = PlaybookRunType.from(await service.withLiveState(record(RunStatus.Cancelled)));
  expect(shown).toMatchObject({ status: RunStatus.Cancelled, step: 'done', openIssues: null, decisionReason: 'Costs more than it brings', heldBack: 'the customer opted out', deadline: null, outcome: 'cancelled' });
  expect(calls).toEqual({ openIssues: 0, heldBack: 1, reason: 1, runState: 0 });
  reset();
  // The same through stateOf (a run's record asked for its state).
  expect((await service.stateOf(record(RunStatus.Cancelled)))?.openIssues).toBeNull();
  expect(calls.openIssues).toBe(0);
});

it("tells an ended run's step without the database's facts, and a running one's with them", async () => {
  reset();
  const ended = record(RunStatus.Cancelled);
  const state = await service.stepStateOf(ended);
  expect(shownStep(runStatus(ended.status, state, ended.finishedAt ?? null), state)).toBe('done');
  expect(calls).toEqual({ openIssues: 0, heldBack: 0, reason: 0, runState: 0 });
  // Under way, the live state is asked for and its facts added (the engine has none here: the kept one stands in).
  reset();
  await service.stepStateOf(record(RunStatus.Running));
  expect(calls).toEqual({ openIssues: 1, heldBack: 1, reason: 1, runState: 1 });
});
