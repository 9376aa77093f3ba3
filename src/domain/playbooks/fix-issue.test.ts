import { RunStatus } from './run-status.js';
import { awaitsFix, FIX_ISSUE_STEPS, firstOwner, fixCaseTerms, fixIssuePolicy, fixIssueWorkflowId, fixNotSpent, knownTopics, nextRunEscalations, ownerAfter, resolutionProblem, type FixIssueState } from './fix-issue.js';

describe('fix-issue policy', () => {
  it('lists the topics with a team of their own, A to Z, each with its first owner', () => {
    expect(knownTopics({ ...fixIssuePolicy, owners: { 'z-topic': 'zeta', 'a-topic': 'alpha' } })).toEqual([
      { topic: 'a-topic', owner: 'alpha' },
      { topic: 'z-topic', owner: 'zeta' },
    ]);
    expect(knownTopics(fixIssuePolicy).map((t) => [t.topic, t.owner])).toEqual(knownTopics(fixIssuePolicy).map((t) => [t.topic, firstOwner(fixIssuePolicy, t.topic)]));
  });

  it('gives the case to the team of the topic, and one level up at each missed deadline', () => {
    expect(firstOwner(fixIssuePolicy, 'delivery-delay')).toBe('logistics');
    expect(firstOwner(fixIssuePolicy, 'rude-support')).toBe('customer-care');
    expect([0, 1, 2, 3, 4].map((n) => ownerAfter(fixIssuePolicy, 'billing-error', n))).toEqual(['billing', 'team-lead', 'head-of-service', 'management', 'management']);
  });

  it("promises an owner the policy's time to fix and the next level, the top of the chain keeping the case", () => {
    expect(fixCaseTerms(fixIssuePolicy, 'billing-error', 0)).toEqual({ fixDeadlineMs: fixIssuePolicy.fixDeadlineMs, escalatesTo: 'team-lead' });
    expect(fixCaseTerms({ ...fixIssuePolicy, fixDeadlineMs: 1_000, escalationChain: ['area-lead'] }, 'billing-error', 0)).toEqual({ fixDeadlineMs: 1_000, escalatesTo: 'area-lead' });
    expect(fixCaseTerms(fixIssuePolicy, 'billing-error', 3).escalatesTo).toBe('management');
  });

  it("starts a topic's next run one level up from where the last ended when its fix did not hold, at the same level after a stop before the fix, never past the top", () => {
    expect(nextRunEscalations(fixIssuePolicy, null)).toBe(0);
    expect(nextRunEscalations(fixIssuePolicy, { escalations: 0, fixed: true })).toBe(1);
    expect(nextRunEscalations(fixIssuePolicy, { escalations: 2, fixed: true })).toBe(3);
    expect(nextRunEscalations(fixIssuePolicy, { escalations: 1, fixed: false })).toBe(1);
    // Past the top of the chain (management kept it through more missed deadlines): it starts at the top.
    expect(nextRunEscalations(fixIssuePolicy, { escalations: 7, fixed: true })).toBe(fixIssuePolicy.escalationChain.length);
    expect(ownerAfter(fixIssuePolicy, 'billing-error', nextRunEscalations(fixIssuePolicy, { escalations: 3, fixed: true }))).toBe('management');
  });

  it('lets a person start the next fix after a run that stopped before its fix, not after one that fixed it or still runs', () => {
    for (const status of [RunStatus.Cancelled, RunStatus.Terminated, RunStatus.Failed, RunStatus.TimedOut]) {
      expect(fixNotSpent({ status }, false)).toBe(true);
      expect(fixNotSpent({ status }, true)).toBe(false);
    }
    expect(fixNotSpent({ status: RunStatus.Running }, false)).toBe(false);
    expect(fixNotSpent({ status: RunStatus.Completed }, true)).toBe(false);
  });

  it('takes a reported fix once per time the issue is open, and not after the run ended', () => {
    const state = (step: FixIssueState['step'], resolved: boolean): FixIssueState => ({ customerId: 'c', topic: 't', step, owner: 'billing', escalations: 0, recurrences: 0, resolved, outcome: null, policyVersion: 1, deadline: null });
    expect(resolutionProblem(state('awaiting-fix', false))).toBeNull();
    // Reported during an escalation or before the case is open: the run takes it at its next wait.
    expect(resolutionProblem(state('escalating', false))).toBeNull();
    expect(resolutionProblem(state('starting', false))).toBeNull();
    expect(resolutionProblem(state('awaiting-check-back', true))).toBe('the fix is already reported; the run checks back with the customer (step awaiting-check-back)');
    // The issue came back: the reopened case takes a new fix.
    expect(resolutionProblem(state('reopening', false))).toBeNull();
    expect(resolutionProblem({ ...state('done', true), outcome: 'fixed' })).toBe('the run has ended (fixed)');
  });

  it('names a run by customer and topic', () => {
    expect(fixIssueWorkflowId('c-1', 'app-login')).toBe('fix-issue/c-1/app-login');
  });

  it('says the case is open from the start until the fix is reported, and not while the run checks back', () => {
    expect(FIX_ISSUE_STEPS.filter(awaitsFix)).toEqual(['starting', 'opening-case', 'awaiting-fix', 'escalating']);
  });
});
