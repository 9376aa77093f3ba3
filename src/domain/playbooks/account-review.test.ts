import { PROPOSAL_ANSWERED, PROPOSAL_DECLINED } from '../messages/catalogue.js';
import { accountReviewPolicy, accountReviewPolicyProblems, accountReviewWorkflowId, answerProblem, deciderProblem, decisionProblem, noticeEndDay, proposalHeldBackAtDelivery, type AccountReviewState } from './account-review.js';
import { RUN_CANCELLED, RUN_ENDED } from './run-status.js';

const state = (step: AccountReviewState['step']): AccountReviewState => ({ customerId: 'c', step, proposal: null, answer: null, profitabilityMinor: -100, decision: null, outcome: null, policyVersion: 1, deadline: null });

describe('account review', () => {
  it('takes an offboarding decision only while one is awaited, from a named person with a reason', () => {
    const ok = { approve: true, decidedBy: 'admin:1', reason: 'loss-making after two offers' };
    expect(decisionProblem(state('awaiting-approval'), ok)).toBeNull();
    expect(decisionProblem(state('awaiting-answer'), ok)).toMatch(/not awaiting/);
    expect(decisionProblem(state('awaiting-approval'), { ...ok, decidedBy: ' ' })).toMatch(/person/);
    expect(decisionProblem(state('awaiting-approval'), { ...ok, reason: '' })).toMatch(/reason/);
    // Typed in the Temporal UI, a name in an API caller's form is refused; the API's own decision names its entry (QA 51 F4).
    expect(deciderProblem({ ...ok, decidedBy: 'admin:d7d46ede' })).toBe('decidedBy must name the person who decided, without a colon: "admin:d7d46ede" reads as one of the audit log\'s own actors (an API caller such as admin:1a2b3c4d, the platform, the engine)');
    expect(deciderProblem({ ...ok, decidedBy: 'anna.admin' })).toBeNull();
    expect(deciderProblem({ approve: true, decidedBy: 'admin:d7d46ede', reasonEntry: 'f0c6e8de-6d3c-4d39-9c2e-4f1b7d9b1a10' })).toBeNull();
    // Through the API the reason stays in the audit log, and the run holds the entry's ID.
    expect(decisionProblem(state('awaiting-approval'), { approve: true, decidedBy: 'admin:1', reasonEntry: 'f0c6e8de-6d3c-4d39-9c2e-4f1b7d9b1a10' })).toBeNull();
    expect(decisionProblem(state('awaiting-approval'), { approve: true, decidedBy: 'admin:1', reasonEntry: ' ' })).toMatch(/reasonEntry must be the ID/);
    expect(decisionProblem(state('awaiting-approval'), { approve: true, decidedBy: 'admin:1', reasonEntry: 'because' })).toMatch(/reasonEntry must be the ID/);
    // Once decided, a second decision (sent at the same moment) is refused as one too many, not as one at the wrong step (QA 51 F7).
    expect(decisionProblem({ ...state('awaiting-approval'), decision: ok }, { ...ok, approve: false })).toBe('an offboarding decision was already taken (approved): a review takes one decision');
    expect(decisionProblem({ ...state('awaiting-approval'), decision: { ...ok, approve: false } }, ok)).toBe('an offboarding decision was already taken (rejected): a review takes one decision');
    expect(decisionProblem({ ...state('offboarding'), decision: ok }, ok)).toMatch(/already taken \(approved\)/);
    expect(decisionProblem(state('awaiting-answer'), ok)).toBe('the review is at step "awaiting-answer", not awaiting an offboarding decision');
    // Typed by hand in the Temporal UI: a string is no decision, "false" least of all.
    const typed = (decision: unknown) => decisionProblem(state('awaiting-approval'), decision as typeof ok);
    expect(typed({ ...ok, approve: 'false' })).toBe('the decision must say approve: true or false');
    expect(typed(undefined)).toBe('the decision must say approve: true or false');
    expect(typed({ approve: true, reason: 'x' })).toMatch(/person/);
    expect(typed({ approve: true, decidedBy: 'admin:1', reason: 7 })).toMatch(/reason/);
  });

  it('tells a proposal delivery held back (it never reached the customer) from one answered before it went or held back by the run stopping', () => {
    expect(proposalHeldBackAtDelivery('no-consent: the customer opted out')).toBe('no-consent: the customer opted out');
    expect(proposalHeldBackAtDelivery('held back')).toBe('held back');
    for (const taken of [null, PROPOSAL_ANSWERED, PROPOSAL_DECLINED, RUN_ENDED, RUN_CANCELLED]) expect(proposalHeldBackAtDelivery(taken)).toBeNull();
  });

  it("takes the customer's answer only while the proposal awaits one, and only once", () => {
    const yes = { accepted: true };
    expect(answerProblem(state('awaiting-answer'), yes)).toBeNull();
    expect(answerProblem(state('awaiting-answer'), { accepted: false })).toBeNull();
    // A second answer sent at the same moment is refused as one too many, not as one at the wrong step (QA 51 F7).
    expect(answerProblem({ ...state('awaiting-answer'), answer: 'accepted' }, yes)).toBe("the customer's answer was already taken (accepted): a proposal takes one answer");
    expect(answerProblem({ ...state('awaiting-review'), answer: 'declined' }, yes)).toBe("the customer's answer was already taken (declined): a proposal takes one answer");
    expect(answerProblem(state('awaiting-review'), yes)).toBe('the review is at step "awaiting-review", not awaiting an answer to a proposal');
    expect(answerProblem(state('proposing'), yes)).toMatch(/not awaiting/);
  });

  it('takes no answer that is not { accepted: true | false }, as an operator may type one in the Temporal UI', () => {
    for (const typed of [undefined, null, {}, { accepted: 'no' }, { accepted: 'true' }, { accept: true }, { accepted: 1 }, 'yes']) {
      expect(answerProblem(state('awaiting-answer'), typed)).toBe('the answer must be { "accepted": true } or { "accepted": false }');
    }
  });

  it("names the day the notice ends as the customer's own calendar day, where the run offboards them then (QA 51 F3)", () => {
    // Approved at 11:37 in Los Angeles: the notice ends at 00:37 UTC on 5 December, which is still 4 December there.
    expect(noticeEndDay('2026-12-05T00:37:53.725Z', 'America/Los_Angeles')).toBe('2026-12-04');
    expect(noticeEndDay('2026-12-05T00:37:53.725Z', 'UTC')).toBe('2026-12-05');
    // East of UTC the day may be a later one than UTC's.
    expect(noticeEndDay('2026-12-04T19:22:00.000Z', 'Asia/Tokyo')).toBe('2026-12-05');
    expect(noticeEndDay('2026-12-04T19:22:00.000Z', 'Europe/Berlin')).toBe('2026-12-04');
    // Summer time counts: 23:30 UTC on 30 June is 1:30 on 1 July in Berlin (UTC+2), 19:30 on 30 June in New York (UTC-4).
    expect(noticeEndDay('2027-06-30T23:30:00.000Z', 'Europe/Berlin')).toBe('2027-07-01');
    expect(noticeEndDay('2027-06-30T23:30:00.000Z', 'America/New_York')).toBe('2027-06-30');
  });

  it('names a run by customer', () => {
    expect(accountReviewWorkflowId('c-1')).toBe('account-review/c-1');
  });
});

describe('a policy typed by hand for an account review', () => {
  it('is harsher on the customer when a wait before their offboarding is shorter than the deployment\'s, or not a number', () => {
    expect(accountReviewPolicyProblems({ ...accountReviewPolicy }, accountReviewPolicy)).toEqual([]);
    // Longer waits, or one left out (its default, as the run reads it), are no harsher.
    const { openIssueWaitMs: _left, ...withoutOpenIssueWait } = accountReviewPolicy;
    expect(accountReviewPolicyProblems({ ...withoutOpenIssueWait, noticeMs: accountReviewPolicy.noticeMs * 2 }, accountReviewPolicy)).toEqual([]);
    expect(accountReviewPolicyProblems({ ...accountReviewPolicy, noticeMs: 86_400_000, reviewAfterMs: 'soon' }, accountReviewPolicy)).toEqual([
      'reviewAfterMs (the wait before the account is scored again after a proposal) is not a number',
      "noticeMs gives 1 day of notice, less than the deployment's 60 days",
    ]);
    expect(accountReviewPolicyProblems(null, accountReviewPolicy)).toEqual(['the policy is missing']);
  });
});
