import { LOYALTY_BANDS } from '../guards/fairness.js';
import { CHURN_RISK_BANDS } from '../scoring/bgnbd.js';
import { ACCOUNT_REVIEW, ACCOUNT_REVIEW_STEPS } from './account-review.js';
import { APPRECIATION, APPRECIATION_STEPS } from './appreciation.js';
import { FAIR_REMINDER, FAIR_REMINDER_STEPS } from './fair-reminder.js';
import { FIX_ISSUE, FIX_ISSUE_STEPS } from './fix-issue.js';
import { Playbook, type PlaybookName } from './playbook.js';
import { WELCOME_CHECK, WELCOME_CHECK_STEPS } from './welcome-check.js';
import { echoed } from '../text.js';

/** A run's RiskBand tag for a customer without a churn-risk score when it started. */
export const UNSCORED_RISK_BAND = 'unscored';
/** A run's LoyaltyBand tag for a customer without a payment-loyalty score when it started. */
export const UNKNOWN_LOYALTY_BAND = 'unknown';

/** The values each tag a run carries can take, as operators and front ends search them. */
export const RUN_RISK_BANDS: readonly string[] = [...CHURN_RISK_BANDS, UNSCORED_RISK_BAND];
export const RUN_LOYALTY_BANDS: readonly string[] = [...LOYALTY_BANDS, UNKNOWN_LOYALTY_BAND];
const PLAYBOOK_STEPS: Readonly<Record<PlaybookName, readonly string[]>> = {
  [WELCOME_CHECK]: WELCOME_CHECK_STEPS,
  [FAIR_REMINDER]: FAIR_REMINDER_STEPS,
  [FIX_ISSUE]: FIX_ISSUE_STEPS,
  [ACCOUNT_REVIEW]: ACCOUNT_REVIEW_STEPS,
  [APPRECIATION]: APPRECIATION_STEPS,
};

export interface RunTagSearch {
  playbook?: string | null;
  step?: string | null;
  riskBand?: string | null;
  loyaltyBand?: string | null;
}

/**
 * What is wrong with a search of runs by their tags (the field and why), or null. A value no run
 * can carry (a typo, "High" for "high") would find nothing and look like no run waiting.
 */
export function runTagSearchProblem(search: RunTagSearch): { field: keyof RunTagSearch; message: string } | null {
  const playbooks = Object.values(Playbook) as string[];
  if (search.playbook && !playbooks.includes(search.playbook)) return { field: 'playbook', message: `"${echoed(search.playbook)}" is not a playbook; one of: ${playbooks.join(', ')}` };
  if (search.step) {
    const steps = search.playbook ? PLAYBOOK_STEPS[search.playbook as PlaybookName] : [...new Set(Object.values(PLAYBOOK_STEPS).flat())];
    if (!steps.includes(search.step)) return { field: 'step', message: `"${echoed(search.step)}" is not a step of ${search.playbook ?? 'any playbook'}; one of: ${steps.join(', ')}` };
  }
  const bands = [['riskBand', RUN_RISK_BANDS, 'churn-risk band'], ['loyaltyBand', RUN_LOYALTY_BANDS, 'payment-loyalty band']] as const;
  for (const [field, known, what] of bands) {
    const band = search[field];
    if (band && !known.includes(band)) return { field, message: `Unknown ${what} "${echoed(band)}"; one of: ${known.join(', ')}` };
  }
  return null;
}
