import { runTagSearchProblem } from './run-tags.js';

it('takes the tags a run can carry', () => {
  expect(runTagSearchProblem({})).toBeNull();
  expect(runTagSearchProblem({ playbook: 'account-review', step: 'awaiting-approval', riskBand: 'high', loyaltyBand: 'loyal' })).toBeNull();
  expect(runTagSearchProblem({ step: 'promised', riskBand: 'unscored', loyaltyBand: 'unknown' })).toBeNull();
});

it('refuses a band no run is tagged with, naming the field and the bands there are', () => {
  expect(runTagSearchProblem({ riskBand: 'bogus' })).toEqual({ field: 'riskBand', message: 'Unknown churn-risk band "bogus"; one of: low, medium, high, unscored' });
  expect(runTagSearchProblem({ riskBand: 'High' })).toMatchObject({ field: 'riskBand' });
  expect(runTagSearchProblem({ loyaltyBand: 'loyal-ish' })).toEqual({ field: 'loyaltyBand', message: 'Unknown payment-loyalty band "loyal-ish"; one of: loyal, regular, at-risk, new, unknown' });
});

it("refuses a step that is not one of the playbook's, or of any playbook without one", () => {
  expect(runTagSearchProblem({ playbook: 'account-review', step: 'awaiting-aproval' })).toMatchObject({ field: 'step', message: expect.stringMatching(/^"awaiting-aproval" is not a step of account-review; one of: starting, proposing, .*awaiting-approval/) });
  expect(runTagSearchProblem({ playbook: 'welcome-check', step: 'awaiting-approval' })).toMatchObject({ field: 'step' });
  expect(runTagSearchProblem({ step: 'bogus' })).toMatchObject({ field: 'step', message: expect.stringMatching(/^"bogus" is not a step of any playbook; one of: starting, /) });
  expect(runTagSearchProblem({ playbook: 'nope' })).toMatchObject({ field: 'playbook' });
});
