import { accountReviewWorkflowId, answerProblem, decisionProblem, type AccountReviewState } from './account-review.js';

const state = (step: AccountReviewState['step']): AccountReviewState => ({ customerId: 'c', step, proposal: null, answer: null, profitabilityMinor: -100, decision: null, outcome: null, policyVersion: 1, deadline: null });

describe('account review', () => {
  it('takes an offboarding decision only while one is awaited, from a named person with a reason', () => {
    const ok = { approve: true, decidedBy: 'admin:1', reason: 'loss-making after two offers' };
    expect(decisionProblem(state('awaiting-approval'), ok)).toBeNull();
    expect(decisionProblem(state('awaiting-answer'), ok)).toMatch(/not awaiting/);
    expect(decisionProblem(state('awaiting-approval'), { ...ok, decidedBy: ' ' })).toMatch(/person/);
    expect(decisionProblem(state('awaiting-approval'), { ...ok, reason: '' })).toMatch(/reason/);
  });

  it("takes the customer's answer only while the proposal awaits one, and only once", () => {
    expect(answerProblem(state('awaiting-answer'))).toBeNull();
    expect(answerProblem({ ...state('awaiting-answer'), answer: 'accepted' })).toMatch(/not awaiting an answer/);
    expect(answerProblem(state('awaiting-review'))).toBe('the review is at step "awaiting-review", not awaiting an answer to a proposal');
    expect(answerProblem(state('proposing'))).toMatch(/not awaiting/);
  });

  it('names a run by customer', () => {
    expect(accountReviewWorkflowId('c-1')).toBe('account-review/c-1');
  });
});
