import { firstOwner, fixIssuePolicy, fixIssueWorkflowId, ownerAfter } from './fix-issue.js';

describe('fix-issue policy', () => {
  it('gives the case to the team of the topic, and one level up at each missed deadline', () => {
    expect(firstOwner(fixIssuePolicy, 'delivery-delay')).toBe('logistics');
    expect(firstOwner(fixIssuePolicy, 'rude-support')).toBe('customer-care');
    expect([0, 1, 2, 3, 4].map((n) => ownerAfter(fixIssuePolicy, 'billing-error', n))).toEqual(['billing', 'team-lead', 'head-of-service', 'management', 'management']);
  });

  it('names a run by customer and topic', () => {
    expect(fixIssueWorkflowId('c-1', 'app-login')).toBe('fix-issue/c-1/app-login');
  });
});
