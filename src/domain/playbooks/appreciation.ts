import { days } from '../policies/duration.js';
import type { PlaybookStateSummary } from './run-state.js';
import { runId } from './run-id.js';
import { RunStatus } from './run-status.js';

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
  /**
   * How long a thank-you waits while the contact guard holds marketing back for a while (an
   * issue open, the budget used up): fix first, thank later. Absent in runs of version 1.
   */
  waitWhileHeldMs?: number;
  /** How often it asks the guard again meanwhile. */
  recheckMs?: number;
  /**
   * The thank-you's offer is one still open this many days after it is written: the customer's one thank-you of the year
   * is not a flash sale that ends before they read it (absent: any offer open that day).
   */
  offerUsableDays?: number;
}

export const appreciationPolicy: AppreciationPolicy = { version: 3, minTenureDays: 730, silentDays: 120, loyaltyBands: ['loyal'], waitWhileHeldMs: days(60), recheckMs: days(1), offerUsableDays: 14 };

/** `not-thanked`: the contact guard held the thank-you back for good (no consent) or past the policy's wait. */
export type AppreciationOutcome = 'thanked' | 'not-thanked';
export const NOT_THANKED = 'not-thanked' satisfies AppreciationOutcome;

/** What a thank-you step did: the offer the customer was thanked with, or why the contact guard held it back (nothing written). */
export interface ThankYou {
  offerCode: string | null;
  matchedNewCustomerOffer: boolean;
  heldBack: { reason: string; detail: string } | null;
  /** The guard lets it go only later (the customer's quiet hours): nothing written, to be written then, when it goes at once. */
  notBefore?: string | null;
}

export const APPRECIATION_STEPS = ['starting', 'thanking', 'waiting', 'done'] as const;
export type AppreciationStep = (typeof APPRECIATION_STEPS)[number];

export interface AppreciationState extends PlaybookStateSummary {
  customerId: string;
  step: AppreciationStep;
  offerCode: string | null;
  outcome: AppreciationOutcome | null;
  /** Why the contact guard holds the thank-you back (while waiting, and when not thanked). */
  heldBack?: string | null;
  policyVersion: number;
  deadline: string | null;
}

/** A thank-you waits while an invoice of the customer's is overdue and unpaid: nobody is thanked and dunned at once. */
export const INVOICE_OVERDUE = 'invoice-overdue';

/** No thank-you once the customer left the loyal payment band while it waited (paid an invoice late): it does not wait for them to come back. */
export const NOT_LOYAL = 'not-loyal';

/**
 * Whether a hold passes by itself, so a thank-you is worth waiting for: an issue gets fixed,
 * the contact budget frees up, an overdue invoice is paid. No consent, or a customer who left, does not.
 */
export function holdPasses(reason: string): boolean {
  return reason === 'open-complaint' || reason === 'budget-exhausted' || reason === INVOICE_OVERDUE;
}

/** At most one thank-you a year per customer. */
export function appreciationWorkflowId(customerId: string, year: number): string {
  return runId(APPRECIATION, customerId, year);
}

/** The step whose message is the thank-you (its outbox key `<workflow id>/thank-you`). */
export const THANK_YOU_STEP = 'thank-you';

/**
 * Whether a start by hand starts the year's next thank-you (`appreciation/<customer>/<year>/<n>`) after the year's
 * last run: that run has ended and no thank-you of it went or may still go (`thankYouMayReach` false: cancelled or
 * terminated before it wrote one, ended not thanked, or held back at delivery). A thank-you that never reached the
 * customer is not their thank-you of the year. The sweep and a campaign leave such a year as it is.
 */
export function thankYouNotSpent(run: { status: RunStatus }, thankYouMayReach: boolean): boolean {
  return run.status !== RunStatus.Running && !thankYouMayReach;
}
