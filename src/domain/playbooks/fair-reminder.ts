import { reminderFee, reminderFeePolicy, type FeeDecision, type LoyaltyBand, type ReminderFeePolicy } from '../guards/fairness.js';
import { days } from '../policies/duration.js';

/**
 * Fair reminders: an overdue invoice is a question, not an accusation. A customer in the
 * loyal payment band gets a friendly, personal reminder without a fee, a gentle second one
 * later, then a person calls. Everyone else gets the standard schedule, whose fees come
 * from the fee policy. A payment ends the run at once; loyal payers are thanked. Every
 * fee a loyal payer is spared is recorded as waived.
 */
export const FAIR_REMINDER = 'fair-reminder';

export type ReminderAction = 'reminder' | 'call' | 'handover';

export interface ReminderStep {
  /** Wait before this step (after the previous one; the first counts from the start of the run). */
  waitMs: number;
  action: ReminderAction;
  /** Message template (the delivery worker renders it). */
  template: string;
}

export interface FairReminderPolicy {
  /** Bump when a change must not affect runs already under way. */
  version: number;
  /** For payers in a fee-free band (the loyal ones). */
  loyalSchedule: ReminderStep[];
  standardSchedule: ReminderStep[];
  fees: ReminderFeePolicy;
}

export const fairReminderPolicy: FairReminderPolicy = {
  version: 1,
  loyalSchedule: [
    { waitMs: 0, action: 'reminder', template: 'reminder-friendly' },
    { waitMs: days(7), action: 'reminder', template: 'reminder-gentle' },
    { waitMs: days(7), action: 'call', template: 'call-personal' },
  ],
  standardSchedule: [
    { waitMs: 0, action: 'reminder', template: 'reminder-standard-1' },
    { waitMs: days(10), action: 'reminder', template: 'reminder-standard-2' },
    { waitMs: days(10), action: 'reminder', template: 'reminder-standard-3' },
    { waitMs: days(14), action: 'handover', template: 'collections-handover' },
  ],
  fees: reminderFeePolicy,
};

export type FairReminderStep = 'starting' | 'waiting' | 'reminding' | 'calling' | 'handing-over' | 'thanking' | 'done';
export type FairReminderOutcome = 'paid' | 'already-paid' | 'call-scheduled' | 'handed-over';

export interface FairReminderState {
  customerId: string;
  invoiceId: string;
  step: FairReminderStep;
  loyaltyBand: LoyaltyBand | null;
  remindersSent: number;
  feesChargedMinor: number;
  feesWaivedMinor: number;
  paid: boolean;
  outcome: FairReminderOutcome | null;
  policyVersion: number;
  /** When the current wait ends (ISO time). */
  deadline: string | null;
}

export function fairReminderWorkflowId(customerId: string, invoiceId: string): string {
  return `${FAIR_REMINDER}/${customerId}/${invoiceId}`;
}

/** The schedule for a payer of this band: the friendly one wherever no fee may be charged. */
export function reminderSchedule(policy: FairReminderPolicy, band: LoyaltyBand): ReminderStep[] {
  return policy.fees.feeFreeBands.includes(band) ? policy.loyalSchedule : policy.standardSchedule;
}

/** The fee decision for the n-th reminder of this run (charged for some, waived and recorded for loyal payers). */
export function feeFor(policy: FairReminderPolicy, band: LoyaltyBand, reminderNumber: number): FeeDecision {
  return reminderFee(policy.fees, band, reminderNumber);
}

/** How the run ends when the schedule runs out without a payment. */
export function outcomeAfterSchedule(schedule: ReminderStep[]): FairReminderOutcome {
  return schedule[schedule.length - 1]?.action === 'handover' ? 'handed-over' : 'call-scheduled';
}
