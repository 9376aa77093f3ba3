import { days, seconds } from '../policies/duration.js';
import type { AppreciationPolicy } from '../playbooks/appreciation.js';
import { Playbook, type PlaybookName } from '../playbooks/playbook.js';
import type { TriggerPolicy } from '../playbooks/triggers.js';
import type { WelcomeCheckPolicy } from '../playbooks/welcome-check.js';
import { LOSS_MAKING } from '../scoring/profitability.js';
import { ScoreKind } from '../scoring/score-kind.js';

/**
 * Campaigns: a marketer enrols a segment (the customers filter) into one playbook. Each
 * customer is enrolled once, in pages at a bounded rate; a random holdout group gets
 * nothing, so the playbook's effect can be measured against it. A repeating campaign goes
 * over its segment again every few days until cancelled and enrols whoever has newly
 * entered it (e.g. "became high churn risk this week"), each customer still once.
 */
export interface CampaignPolicy {
  version: number;
  /** Customers enrolled per step, and the pause between steps: the rate limit. */
  pageSize: number;
  pageIntervalMs: number;
  /** How long one enrolment step may take before it is retried. */
  pageTimeoutSeconds: number;
  /**
   * A step reports after each customer it enrols; one silent for this long is taken as lost
   * (its worker died) and retried on another, however long the whole step may take.
   */
  heartbeatSeconds: number;
  /** Steps per workflow execution before it continues as new (any segment size stays within history limits). */
  pagesPerExecution: number;
  /** The day of a repeating campaign's interval (absent in runs started before campaigns repeated). */
  repeatDayMs?: number;
}

export const campaignPolicy: CampaignPolicy = { version: 3, pageSize: 100, pageIntervalMs: seconds(2), pageTimeoutSeconds: 600, heartbeatSeconds: 20, pagesPerExecution: 100, repeatDayMs: days(1) };

/** The longest interval of a repeating campaign. */
export const MAX_REPEAT_EVERY_DAYS = 90;

/** A campaign's name: a label in lists and in the Temporal UI's run summaries, not a description. */
export const MAX_CAMPAIGN_NAME = 100;

/** What a campaign needs to know of a playbook it launches. */
export interface CampaignPlaybook {
  /**
   * Messages to the customer one run sends first, at most (the preview's `messages` counts them, for every playbook alike);
   * a task to a team (a fix's case for its owner) is not one. Marketing ones reach only customers with consent.
   */
  messagesPerRun: number;
  /** Its message is marketing (a thank-you): a campaign reaches only customers who take marketing, as the sweep does. */
  marketing: boolean;
  /**
   * The first message is a proposal (an account review's): a cheaper tier where the
   * profitability score suggests one, a service message either way (with the fair discount on that tier, its price, or
   * at its full fee); else an offer that moves the account
   * to a tier projected to lose less (`offerThatHelps`), which is marketing (the contact guard
   * decides), or nothing where none helps.
   */
  proposesOffer?: boolean;
  /**
   * The playbook's own condition on current scores, added to the segment before the holdout is
   * drawn: an account review is for loss-making accounts, fixing issues for persistent ones, so
   * both groups hold only customers the playbook is meant for; `leftOut`: the reason the preview counts the others under.
   */
  requires: { kind: ScoreKind; bands: string[]; leftOut: LeftOutReason } | null;
  /** Current score bands the playbook is not for: a loss-making account gets an account review, not a thank-you offer. */
  excludes?: { kind: ScoreKind; bands: string[] } | null;
  /** Not while a persistent issue of the customer's is being fixed (a fix case open): fix first, review the account after. */
  notWhileFixing?: boolean;
  /** Its message waits while an invoice of the customer's is overdue and unpaid (a thank-you: nobody is thanked and dunned at once); the preview counts them held back. */
  heldWhileOverdue?: boolean;
  /**
   * Its message, service or marketing, waits while a complaint or fix case of the customer's is open (an account review's
   * proposal: fix first); the preview counts them held back for `open-complaint`.
   */
  heldWhileIssueOpen?: boolean;
  /**
   * One run per customer ever (a welcome) or per calendar year, UTC (a thank-you): who had theirs is left out (a thank-you's
   * year by what became of it: thanked, under way, ended without one); null: as many as the playbook's own rules allow.
   */
  once: 'ever' | 'per-year' | null;
  /**
   * Not for a customer whom another of its messages (a thank-you, last year's say) reached within the policy's silent
   * days (`audienceDays`' `silentDays`): the run would end at once, not thanked (`thanked-recently`), and the sweep and campaigns leave that year as it is.
   */
  notSoonAfterLast?: boolean;
  /** A run per customer, or one per complaint topic persistent now whose fix is due (fixing issues: the launch joins a topic's fix under way). */
  runPer: 'customer' | 'persistent-topic';
  /** Whether part of the segment may be held back to measure the playbook; a fix is owed to every customer with a persistent issue, so none is. */
  holdout: boolean;
}

/** The playbooks a campaign can launch; fair reminders follow an invoice, not a segment. */
export const campaignPlaybooks: Partial<Record<PlaybookName, CampaignPlaybook>> = {
  // "You have been with us for years": true of the segment's customers of that tenure only; whom of them to thank is the marketer's choice (no loyalty band required).
  [Playbook.Appreciation]: {
    messagesPerRun: 1,
    marketing: true,
    requires: null,
    excludes: { kind: ScoreKind.Profitability, bands: [LOSS_MAKING] },
    heldWhileOverdue: true,
    once: 'per-year',
    notSoonAfterLast: true,
    runPer: 'customer',
    holdout: true,
  },
  // "Welcome: is everything working?": true of newcomers only.
  [Playbook.WelcomeCheck]: {
    messagesPerRun: 1,
    marketing: false,
    requires: null,
    once: 'ever',
    runPer: 'customer',
    holdout: true,
  },
  // The proposal of a cheaper service concept or a fitting offer, when one fits; not again within the cooldown.
  [Playbook.AccountReview]: {
    messagesPerRun: 1,
    marketing: false,
    proposesOffer: true,
    requires: { kind: ScoreKind.Profitability, bands: [LOSS_MAKING], leftOut: 'not-loss-making' },
    notWhileFixing: true,
    heldWhileIssueOpen: true,
    once: null,
    runPer: 'customer',
    holdout: true,
  },
  // One to the customer per run ("we are working on it", issue-acknowledged); the case's task to its owner is a team's, not counted.
  [Playbook.FixIssue]: { messagesPerRun: 1, marketing: false, requires: { kind: ScoreKind.PersistentIssue, bands: ['persistent'], leftOut: 'no-persistent-issue' }, once: null, runPer: 'persistent-topic', holdout: false },
};

export function campaignPlaybook(playbook: string): CampaignPlaybook | undefined {
  return Object.hasOwn(campaignPlaybooks, playbook) ? campaignPlaybooks[playbook as PlaybookName] : undefined;
}

/** The policy values a campaign's audience is narrowed by: those a start by hand and the trigger sweep go by. */
export interface AudiencePolicies {
  appreciation: Pick<AppreciationPolicy, 'minTenureDays' | 'silentDays'>;
  welcomeCheck: Pick<WelcomeCheckPolicy, 'newCustomerDays'>;
  triggers: Pick<TriggerPolicy, 'accountReviewCooldownDays'>;
}

/**
 * The days a playbook's audience is narrowed by (null: no such limit): customers for at least
 * `minTenureDays` (a thank-you for years with us is true of them alone), for at most
 * `maxTenureDays` (a welcome is for newcomers), and none whose last run of the playbook ended
 * within `cooldownDays` (a second proposal so soon is not fair), and none whom its message reached
 * within `silentDays` (a thank-you: the step would not thank again so soon).
 */
export function audienceDays(playbook: string, policies: AudiencePolicies): { minTenureDays: number | null; maxTenureDays: number | null; cooldownDays: number | null; silentDays: number | null } {
  const none = { minTenureDays: null, maxTenureDays: null, cooldownDays: null, silentDays: null };
  if (playbook === Playbook.Appreciation) return { ...none, minTenureDays: policies.appreciation.minTenureDays, silentDays: policies.appreciation.silentDays };
  if (playbook === Playbook.WelcomeCheck) return { ...none, maxTenureDays: policies.welcomeCheck.newCustomerDays };
  if (playbook === Playbook.AccountReview) return { ...none, cooldownDays: policies.triggers.accountReviewCooldownDays };
  return none;
}

/**
 * Why a customer of a campaign's segment (its filter, any status) is not among those it would
 * enrol, in the order the preview counts them: each customer once, by the first that applies.
 * First the customer's own state, then the playbook's rules, as `campaignAudience` applies them
 * (the rules a start by hand and the trigger sweep go by); only the playbook's own are asked.
 * Who passes them all but is in another campaign's holdout still measuring is counted apart
 * (`inOtherHoldout`), and the rest are the preview's `customers`.
 */
export const LEFT_OUT_REASONS = {
  /** Offboarding, offboarded or erased: playbooks are for active customers. */
  'not-active': 'not an active customer (offboarding, offboarded or erased)',
  /** A campaign under way previews its next pass: its members are enrolled once. */
  'enrolled-already': 'enrolled by this campaign already (a campaign under way: its next pass enrols only newcomers to the segment)',
  'not-loss-making': 'an account review is for loss-making accounts (profitability band loss-making)',
  'no-persistent-issue': 'fixing issues is for customers with a persistent issue (persistent-issue band persistent)',
  'short-tenure': "a thank-you is for customers of the appreciation policy's minimum tenure (two years by default)",
  'not-new': "a welcome check is for newcomers (acquired within the welcome-check policy's days, 90 by default)",
  'no-consent': 'a thank-you is marketing: only for customers who take marketing',
  'loss-making': 'a loss-making account gets an account review, not a thank-you',
  'fixing-issue': 'a fix of a persistent issue of theirs is open: fix first, review the account after',
  'reviewed-recently': "an account review of theirs ended within the cooldown (the trigger policy's, 180 days by default)",
  'thanked-recently': "another thank-you reached them within the appreciation policy's silent days (120 by default)",
  'thanked-this-year': 'had their thank-you of the calendar year (UTC): a run of the year wrote it and it was not held back at delivery (it went or may still go)',
  'thank-you-under-way': "their run of the year is under way without a thank-you written yet (waiting for their quiet hours to end, or for a hold to pass: a complaint, the contact budget, an invoice overdue); a launch would only join it",
  'not-thanked-this-year': 'their run of the year ended without a thank-you reaching them (not thanked, cancelled before it wrote one, or held back at delivery): the sweep and a campaign leave the year as it is, a person may start the next run by hand (startAppreciation)',
  'welcome-under-way': 'their welcome check is under way (started by hand or by another campaign; the daily sweep starts none): a launch would only join it',
  'welcomed-already': 'had their welcome check: a run of it wrote the welcome and it was not held back at delivery (it went or may still go)',
  'not-welcomed': 'their welcome check ended without the welcome reaching them (cancelled before it went, or held back at delivery): the check is once per customer for campaigns, a person may start the next by hand (startWelcomeCheck)',
  'treated-by-other-campaign': 'another campaign of the playbook treats them (their run is, or is about to be, started by it)',
} as const;

export type LeftOutReason = keyof typeof LEFT_OUT_REASONS;

export const MAX_HOLDOUT_PERCENT = 50;

/**
 * How long a campaign's holdout stays out of the playbook's other campaigns after the campaign
 * ended (completed or cancelled): while it enrols, and for this many days after, the groups are
 * being compared, and another campaign enrolling the control group would end the measurement.
 * Enrolment ends minutes after a launch, while what is measured (orders again, invoices paid,
 * complaints) takes weeks to show: a quarter; after it the holdout is free again (a segment's
 * customers are not kept from a playbook's campaigns for good).
 */
export const HOLDOUT_KEPT_DAYS = 90;

/** The holdout a campaign gets when the marketer sets none: a tenth of the segment, or nobody where none may be held back. */
export function defaultHoldoutPercent(playbook: CampaignPlaybook): number {
  return playbook.holdout ? 10 : 0;
}

/** The outcomes of a campaign that are rates, compared between its groups. */
export enum CampaignMetric {
  /** Members who ordered again since enrolment. */
  Retention = 'retention',
  /** Invoices due since enrolment paid by their due day. */
  OnTimePayment = 'on-time-payment',
  /** Members who complained again since enrolment (lower is better). */
  ComplainedAgain = 'complained-again',
}

export type CampaignRunStatus = 'scheduled' | 'running' | 'paused' | 'cancelled' | 'completed';

/** A person's launch as the campaign's run carries it: who, and the start it was launched for (ISO time; null: at once). */
export interface CampaignLaunch {
  by: string;
  startAt: string | null;
}

/**
 * How a campaign's run can end in the workflow engine without recording it: terminated (in
 * the Temporal UI), failed or timed out, when none of its code runs, or cancelled there by a
 * run from before runs recorded that.
 */
export type CampaignEndInEngine = 'cancelled' | 'terminated' | 'failed' | 'timed-out';

/** How far ahead a campaign may be launched. */
export const MAX_SCHEDULE_AHEAD_DAYS = 365;

export interface CampaignProgress {
  campaignId: string;
  status: CampaignRunStatus;
  /** Customers enrolled so far, by group, and the playbook runs the treated ones got. */
  enrolled: number;
  treated: number;
  holdout: number;
  runsStarted: number;
  pages: number;
  /** Where the next page starts (customer ID order). */
  after: string | null;
  /** A repeating campaign's pass over its segment (1 for a campaign that runs once; absent in runs started before campaigns repeated). */
  pass?: number;
  /** When a repeating campaign's next pass starts, while it waits for it (ISO time). */
  nextPassAt?: string | null;
  /** The number of the latest pause, resume or cancel sent through the API that the run took (absent: none yet). */
  steering?: number;
}

/** What a pause, resume or cancel sent through the API tells the run: its number (the campaign's record counts them). */
export interface CampaignSteering {
  steering: number;
}

export function campaignWorkflowId(campaignId: string): string {
  return `campaign/${campaignId}`;
}
