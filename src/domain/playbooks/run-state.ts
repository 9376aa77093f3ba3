import type { RunStatus } from './run-status.js';

/** What every playbook's `state` query answers at least, whatever else its state holds. */
export interface PlaybookStateSummary {
  step: string;
  outcome: string | null;
  deadline: string | null;
  policyVersion: number;
}

/**
 * A run's state as it ended (its playbook's whole state, with its LoyaltyBand tag then), which the run hands
 * recordRunOutcome to keep with its record: the API's fallback once Temporal has deleted the closed execution.
 */
export interface FinalRunState extends PlaybookStateSummary {
  loyaltyBandTag?: string | null;
}

/** A run's live state as the API shows it: its summary, and the engine's word on the run. */
export interface PlaybookRunState extends PlaybookStateSummary {
  /** The engine's word: running, or how it ended (not in a state a run answered an update with). */
  status?: RunStatus | null;
  /** The engine's word: when the run's execution closed (null while it runs). */
  closedAt?: Date | null;
  /** When the run was last reset in the engine (the Temporal UI's Reset), as the engine says; null: never. */
  lastResetAt?: Date | null;
  /** The engine's word: the run's LoyaltyBand tag, which the runs under way are searched by (see PlaybookRunView.loyaltyBandTag). */
  loyaltyBandTag?: string | null;
  /** Account review: why its proposal never reached the customer (held back at delivery), from the outbox, not the run. */
  proposalHeldBack?: string | null;
  /** Account review under way: the customer's complaints and fix cases open now ("fix case open: billing"), from the database; an offboarding is not approved while one is. */
  openIssues?: string | null;
  /**
   * Account review: the offboarding it began was withdrawn (the run cancelled or terminated during the notice, or it kept the
   * customer at the notice's end), from the audit log's `customer.offboarding-withdrawn`; present once an approval was taken.
   */
  offboardingWithdrawn?: boolean;
  /** Account review: how its last scoring judged the account when not on the plain window (a tier the customer accepted in a review), as the run kept it. */
  profitabilityBasis?: string | null;
}
