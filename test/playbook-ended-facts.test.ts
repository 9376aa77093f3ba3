import { Role } from '../src/domain/auth/roles.js';
import { accountReviewWorkflowId, type AccountReviewState } from '../src/domain/playbooks/account-review.js';
import { RunStatus } from '../src/domain/playbooks/run-status.js';
import { stepMessageKey } from '../src/domain/playbooks/run-id.js';
import { AuditEntry, Complaint, ComplaintSeverity, Customer, FixCase, MessageChannel, MessagePurpose, OutboxMessage, PlaybookRun } from '../src/entities/index.js';
import { AccountReviewDocument, CustomerAccountReviewRunsDocument, CustomerPlaybookRunsDocument, StartAccountReviewDocument } from './__generated__/graphql.js';
import { eventually } from './support/eventually.js';
import { lossMakingAccount } from './support/loss-making-account.js';
import { countStatements } from './support/statement-counter.js';
import { startTestStack, type TestStack } from './support/stack.js';

/**
 * Review 40: a run that ended is shown without its open issues, and its step is `done` (an account review
 * cancelled mid-step keeps that step in the state it ended in): its view does not read the customer's open
 * issues, which its answer hides, and its step reads none of the facts the database adds to its state, while
 * the answer stays as it was. A review under way reads them. Counted as the SQL statements the API sends.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
}, 90_000);
afterAll(() => stack?.stop());

/** The statement that reads a customer's open issues (AccountReviewJudgement.openIssues): fix cases open, complaints not resolved. */
const readsOpenIssues = (statement: string) => /from fix_case f where f\.customer_id/.test(statement) && /from complaint k where k\.customer_id/.test(statement);
/** The statement that reads why a person decided on the offboarding (the decision's audit entry). */
const readsDecisionReason = (statement: string) => /from audit_entry\s+where id = [\s\S]* action = 'playbook\.decide-offboarding'/.test(statement);
/** The statement that reads whether the proposal was held back at delivery (its step message). */
const readsHeldBack = (statement: string) => /from "outbox_message"/.test(statement) && /"suppressed_at"/.test(statement);
const tally = (statements: string[]) => ({
  openIssues: statements.filter(readsOpenIssues).length,
  decisionReason: statements.filter(readsDecisionReason).length,
  heldBack: statements.filter(readsHeldBack).length,
});

/** A customer with an open fix case and an open complaint: a review under way would list both as open issues. */
async function withOpenIssues(customerId: string): Promise<void> {
  const em = stack.orm.em.fork();
  const customer = em.getReference(Customer, customerId);
  em.create(FixCase, { workflowId: `fix-issue/${customerId}/delivery-delay`, customer, topic: 'delivery-delay', team: 'customer-care', owner: 'customer-care', openedAt: new Date() });
  em.create(Complaint, { customer, topic: 'billing-error', severity: ComplaintSeverity.Medium, openedAt: new Date() });
  await em.flush();
}

it('shows an account review cancelled mid-step as before (done, no open issues, its decision and held-back proposal) without reading its open issues; its step reads no stored fact', async () => {
  const customerId = await lossMakingAccount(stack, 'Edda');
  // Its record says it was cancelled during the offboarding notice; its kept state still says offboarding. Temporal does not know
  // the run (never started here, as once its retention deleted it): its view is the kept state.
  const workflowId = accountReviewWorkflowId(customerId);
  const em = stack.orm.em.fork();
  const customer = em.getReference(Customer, customerId);
  const decision = em.create(AuditEntry, { actor: 'admin:1a2b3c4d', action: 'playbook.decide-offboarding', entityType: 'playbook_run', entityId: workflowId, after: { customerId, approve: true, reason: 'Costs more than it brings' } });
  em.create(OutboxMessage, {
    idempotencyKey: stepMessageKey(workflowId, 'proposal'),
    customer,
    channel: MessageChannel.Email,
    purpose: MessagePurpose.Service,
    template: 'account-proposal',
    payload: { proposal: { kind: 'tier-change', tier: 'standard', reason: 'cheaper to serve' } },
    suppressedAt: new Date(Date.now() - 20 * 86_400_000),
    suppressedReason: 'no-consent: the customer opted out',
  });
  await em.flush();
  const finalState: AccountReviewState = {
    customerId,
    step: 'offboarding',
    proposal: { kind: 'tier-change', tier: 'standard', reason: 'cheaper to serve' },
    answer: null,
    profitabilityMinor: -14_000,
    decision: { approve: true, decidedBy: 'admin:1a2b3c4d', reasonEntry: decision.id },
    outcome: 'cancelled' as AccountReviewState['outcome'],
    policyVersion: 1,
    deadline: new Date(Date.now() + 10 * 86_400_000).toISOString(),
  };
  em.create(PlaybookRun, { workflowId, playbook: 'account-review', customer, status: RunStatus.Cancelled, outcome: 'cancelled', startedAt: new Date(Date.now() - 40 * 86_400_000), finishedAt: new Date(), finalState });
  await em.flush();
  await withOpenIssues(customerId);

  // The view of its runs (fields of their state): as before, and the open issues it hides are not read.
  const view = await countStatements(() => stack.gql(CustomerAccountReviewRunsDocument, { customerId }, Role.Viewer));
  expect(view.result.errors).toBeUndefined();
  expect(view.result.data!.customer!.playbookRuns.edges.map((e) => e.node)).toEqual([
    {
      id: workflowId,
      workflowId,
      playbook: 'AccountReview',
      status: 'Cancelled',
      step: 'done',
      outcome: 'cancelled',
      deadline: null,
      answer: null,
      openIssues: null,
      offboardingApproved: true,
      decidedBy: 'admin:1a2b3c4d',
      decisionReason: 'Costs more than it brings',
      heldBack: 'no-consent: the customer opted out',
    },
  ]);
  expect(tally(view.statements)).toEqual({ openIssues: 0, decisionReason: 1, heldBack: 1 });

  // The list of its runs with their step only: done, read from its record and kept state alone.
  const listed = await countStatements(() => stack.gql(CustomerPlaybookRunsDocument, { customerId }, Role.Viewer));
  expect(listed.result.errors).toBeUndefined();
  expect(listed.result.data!.customer!.playbookRuns.edges.map((e) => e.node)).toEqual([{ id: workflowId, workflowId, playbook: 'AccountReview', status: 'Cancelled', step: 'done', outcome: 'cancelled', invoiceId: null }]);
  expect(tally(listed.statements)).toEqual({ openIssues: 0, decisionReason: 0, heldBack: 0 });

  // The review on its own (accountReview): the same, without reading its open issues either.
  const single = await countStatements(() => stack.gql(AccountReviewDocument, { customerId }, Role.Viewer));
  expect(single.result.errors).toBeUndefined();
  expect(single.result.data!.accountReview).toMatchObject({ workflowId, status: 'Cancelled', step: 'done', openIssues: null, decisionReason: 'Costs more than it brings' });
  expect(tally(single.statements)).toMatchObject({ openIssues: 0 });
}, 60_000);

it('reads the open issues of an account review under way, for its view and for its step', async () => {
  const customerId = await lossMakingAccount(stack, 'Ruth');
  const workflowId = accountReviewWorkflowId(customerId);
  expect((await stack.gql(StartAccountReviewDocument, { customerId }, Role.Operator)).errors).toBeUndefined();
  await eventually(
    () => stack.gql(CustomerPlaybookRunsDocument, { customerId }, Role.Viewer).then((r) => r.data?.customer?.playbookRuns.edges[0]?.node.step),
    (step) => step === 'awaiting-answer',
  );
  await withOpenIssues(customerId);

  const view = await countStatements(() => stack.gql(CustomerAccountReviewRunsDocument, { customerId }, Role.Viewer));
  expect(view.result.errors).toBeUndefined();
  expect(view.result.data!.customer!.playbookRuns.edges.map((e) => e.node)).toEqual([
    expect.objectContaining({ workflowId, status: 'Running', step: 'awaiting-answer', openIssues: 'fix case open: delivery-delay; complaint open: billing-error', decisionReason: null, heldBack: null }),
  ]);
  expect(tally(view.statements)).toMatchObject({ openIssues: 1 });

  const listed = await countStatements(() => stack.gql(CustomerPlaybookRunsDocument, { customerId }, Role.Viewer));
  expect(listed.result.data!.customer!.playbookRuns.edges.map((e) => e.node)).toEqual([expect.objectContaining({ workflowId, status: 'Running', step: 'awaiting-answer' })]);
  expect(tally(listed.statements)).toMatchObject({ openIssues: 1 });
}, 60_000);
