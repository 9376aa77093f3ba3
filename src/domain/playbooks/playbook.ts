import { ACCOUNT_REVIEW } from './account-review.js';
import { APPRECIATION } from './appreciation.js';
import { FAIR_REMINDER } from './fair-reminder.js';
import { FIX_ISSUE } from './fix-issue.js';
import { WELCOME_CHECK } from './welcome-check.js';

/** Every playbook, by the name its runs, workflow IDs and search attributes carry. */
export const Playbook = {
  WelcomeCheck: WELCOME_CHECK,
  FairReminder: FAIR_REMINDER,
  FixIssue: FIX_ISSUE,
  AccountReview: ACCOUNT_REVIEW,
  Appreciation: APPRECIATION,
} as const;

export type PlaybookName = (typeof Playbook)[keyof typeof Playbook];
