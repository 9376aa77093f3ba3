// Every workflow the worker runs; the worker bundles this file.
export { welcomeCheck } from './welcome-check.workflow.js';
export { rescoreCustomerBase } from './rescore.workflow.js';
export { thinScoreHistory } from './score-history.workflow.js';
export { fairReminder } from './fair-reminder.workflow.js';
export { playbookTriggers } from './playbook-triggers.workflow.js';
export { fixIssue } from './fix-issue.workflow.js';
export { accountReview } from './account-review.workflow.js';
export { appreciation } from './appreciation.workflow.js';
export { campaign } from './campaign.workflow.js';
export { eraseExpiredCustomerData } from './data-retention.workflow.js';
export { reconcilePlaybookRuns } from './run-reconciliation.workflow.js';
