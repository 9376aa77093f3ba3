/**
 * Appreciation for silent loyal customers: long-standing customers who pay on time and
 * have not heard from the company in months are thanked, with at least the best offer
 * new customers get now (loyalty has to pay off in both directions).
 */
export const APPRECIATION = 'appreciation';

export interface AppreciationPolicy {
  version: number;
  /** Who counts: customer for at least this long, in a loyal payment band, and not contacted for this long. */
  minTenureDays: number;
  silentDays: number;
  loyaltyBands: string[];
}

export const appreciationPolicy: AppreciationPolicy = { version: 1, minTenureDays: 730, silentDays: 120, loyaltyBands: ['loyal'] };

export type AppreciationOutcome = 'thanked';

export const APPRECIATION_STEPS = ['starting', 'thanking', 'done'] as const;
export type AppreciationStep = (typeof APPRECIATION_STEPS)[number];

export interface AppreciationState {
  customerId: string;
  step: AppreciationStep;
  offerCode: string | null;
  outcome: AppreciationOutcome | null;
  policyVersion: number;
  deadline: string | null;
}

/** At most one thank-you a year per customer. */
export function appreciationWorkflowId(customerId: string, year: number): string {
  return `${APPRECIATION}/${customerId}/${year}`;
}
