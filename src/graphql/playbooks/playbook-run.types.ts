import 'reflect-metadata';
import { LocalDateResolver } from 'graphql-scalars';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ServiceTier, type PlaybookRun } from '../../entities/index.js';
import { runStatus, RunStatus } from '../../domain/playbooks/run-status.js';
import { connectionOf } from '../common/connection.js';
import { Playbook } from '../../domain/playbooks/playbook.js';
import { RUN_LOYALTY_BANDS, RUN_RISK_BANDS, UNKNOWN_LOYALTY_BAND } from '../../domain/playbooks/run-tags.js';
import type { PlaybookRunView } from '../../services/playbooks/playbook.service.js';
import { promiseHolding, type FairReminderState } from '../../domain/playbooks/fair-reminder.js';
import type { FixIssueState } from '../../domain/playbooks/fix-issue.js';
import type { AccountReviewState } from '../../domain/playbooks/account-review.js';
import type { AppreciationState } from '../../domain/playbooks/appreciation.js';
import { WELCOME_CHECK, type WelcomeCheckState } from '../../domain/playbooks/welcome-check.js';
import { MoneyAmount, MoneyTotal } from '../common/money.js';
import { LIVE_STATE_FIELD } from '../limits.js';

registerEnumType(RunStatus, {
  name: 'RunStatus',
  description: 'Whether a run is under way, or how it ended',
  valuesConfig: {
    Cancelled: { description: 'An operator cancelled it (Temporal UI or cancelPlaybookRun); who and why: the audit log' },
    Failed: { description: 'It stopped on an error it could not get past' },
    Terminated: { description: 'An operator terminated it in the Temporal UI: it stopped at once; its end is recorded for it within minutes (who and why: the audit log)' },
    TimedOut: { description: 'It ran out of the time Temporal allowed it' },
  },
});
registerEnumType(Playbook, {
  name: 'Playbook',
  description: 'What a run does for the customer',
  valuesConfig: {
    WelcomeCheck: { description: 'Checks that a new customer got started; a call task if they do not confirm' },
    FairReminder: { description: 'Reminds of an overdue invoice: loyal payers friendly and fee-free, others by the standard schedule with fees' },
    FixIssue: { description: 'Gets a persistent complaint topic fixed: a fix case with an owner, escalation, a check-back with the customer' },
    AccountReview: { description: 'Reviews a loss-making account: proposes a cheaper tier or an offer; offboarding only with a person\'s approval' },
    Appreciation: { description: 'Thanks a long-standing loyal customer with an offer, once a year' },
  },
});

/** What kind of proposal an account review put to the customer (the kinds a customer can answer). */
export enum AccountProposalKind {
  TierChange = 'tier-change',
  Offer = 'offer',
}
registerEnumType(AccountProposalKind, {
  name: 'AccountProposalKind',
  description: 'What an account review put to the customer',
  valuesConfig: {
    TierChange: { description: 'A cheaper service tier that fits how the account is used (tier)' },
    Offer: { description: 'An offer that moves the account to a tier projected to lose less (tier, offerCode, offerName, discountPercent)' },
  },
});

@ObjectType('AccountProposal', { simpleResolvers: true, description: 'What an account review put to the customer, for them to accept or decline (answerAccountProposal)' })
export class AccountProposalType {
  @Field(() => AccountProposalKind)
  kind!: AccountProposalKind;

  @Field(() => ServiceTier, { nullable: true, description: 'TierChange: the tier proposed; Offer: the tier it moves the account to (null for an offer proposed before offers had to change the tier)' })
  tier!: ServiceTier | null;

  @Field(() => String, { nullable: true, description: 'Offer: its code (as offers lists it); null for a tier change' })
  offerCode!: string | null;

  @Field(() => String, {
    nullable: true,
    description: "Offer: its own name (a customer whose language the offer has a name in, Offer.translatedNames, read that one); null for a tier change, for a new customers' offer matched for an existing customer (its name speaks to newcomers: its code and discount were proposed), and in reviews that proposed before names were kept",
  })
  offerName!: string | null;

  @Field(() => Int, { nullable: true, description: 'Offer: its discount in percent, when it is a price reduction; null otherwise, for a tier change, and in reviews that proposed before discounts were kept' })
  discountPercent!: number | null;

  @Field({ description: 'Why it fits the account, in words for people (the wording may change between releases: read the fields above for its parts)' })
  reason!: string;

  @Field(() => MoneyTotal, {
    nullable: true,
    description:
      "What the profitability model projected the account at, over the last 12 months, on the proposed tier (an offer: its discount taken off the tier's fee), minor units, when it proposed it. Negative: even accepted, the account was expected to lose money, so a review that asks for an offboarding decision after the customer said yes (step awaiting-approval, answer accepted) was expected to; the person deciding sees it here. Null in reviews that proposed before it was kept",
  })
  projectedProfitabilityMinor!: number | null;
}

/** What a run's `step` says (the PlaybookRun field's description; its resolver is the playbook resolver's). */
export const STEP_DESCRIPTION =
  "Current step of the workflow (its playbook's steps, e.g. awaiting-confirmation); `starting` before its first step (what a start mutation usually answers: it does not wait for the first step, which the next read shows); `done` once the run has ended, however it ended (completed, cancelled, terminated, failed, timed out); null while the run cannot say (Temporal unreachable, a run started a moment ago). It goes with the status beside it: in a list of recorded runs showing only what their records hold (customer.playbookRuns, campaign.members.run), a run terminated in the Temporal UI shows Running at the step it stopped at until its end is recorded, then Terminated and done";

/** A run's step as the API shows it: `done` once the run has ended (a cancelled or terminated run's state stays at the step it stopped at), else its state's. */
export function shownStep(status: RunStatus, state: { step?: string | null } | null): string | null {
  return status !== RunStatus.Running ? 'done' : (state?.step ?? null);
}

/** The structured proposal a review put to the customer; null when it proposed nothing (yet). */
function accountProposalOf(review: AccountReviewState | null): AccountProposalType | null {
  const proposal = review?.proposal;
  if (!proposal || proposal.kind === 'none') return null;
  const none = { tier: null, offerCode: null, offerName: null, discountPercent: null, reason: proposal.reason, projectedProfitabilityMinor: proposal.projectedProfitabilityMinor ?? null };
  if (proposal.kind === 'tier-change') return { ...none, kind: AccountProposalKind.TierChange, tier: proposal.tier as ServiceTier };
  return { ...none, kind: AccountProposalKind.Offer, tier: (proposal.tier as ServiceTier | undefined) ?? null, offerCode: proposal.offerCode, offerName: proposal.offerName ?? null, discountPercent: proposal.discountPercent ?? null };
}

@ObjectType('PlaybookRun', { simpleResolvers: true, description: "One customer's run of one playbook: its record in the database and its live state in Temporal" })
export class PlaybookRunType {
  @Field(() => ID, {
    description:
      "The run's identity, to key client caches by: its workflow ID, one per run (a later run of the same playbook and trigger, e.g. a fix after the issue came back or the next account review, has one of its own, `<first run's ID>/2`, ...)",
  })
  id!: string;

  @Field({ description: 'Temporal workflow ID; search for it in the Temporal UI' })
  workflowId!: string;

  @Field(() => Playbook)
  playbook!: string;

  @Field(() => ID)
  customerId!: string;

  @Field(() => RunStatus)
  status!: RunStatus;

  step!: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'How the run ended, null while it runs. WelcomeCheck: confirmed, follow-up-needed, not-new (no confirmation, and by the end of the wait the customer was no newcomer, e.g. an orders import moved the day they joined back: no call asked for; heldBack says why). FairReminder: paid, already-paid, call-scheduled, follow-up-requested, handed-over. FixIssue: fixed, fixed-with-gesture. AccountReview: turned-around, not-judged (the rescore could not judge the account: profitabilityMinor null), kept-by-decision, kept-no-decision, kept-offboarding-withdrawn, kept-notice-undelivered, kept-turned-around (no longer loss-making at the end of the notice: the offboarding withdrawn), kept-issue-open (a complaint or fix still open at the end of the notice after the wait: withdrawn; or through the hold of its proposal: nothing proposed, no offboarding weighed; or through the wait before the offboarding decision: no offboarding weighed), offboarded. Appreciation: thanked, not-thanked. Any playbook: cancelled; recorded from Temporal: failed, terminated, timed_out',
  })
  outcome!: string | null;

  @Field(() => Date, { nullable: true, complexity: LIVE_STATE_FIELD, description: 'When the current wait ends; null before the run\'s first wait (a start mutation\'s answer, step `starting`) and once the run has ended' })
  deadline!: Date | null;

  @Field(() => Int, { nullable: true, complexity: LIVE_STATE_FIELD, description: 'Version of the policy the run follows' })
  policyVersion!: number | null;

  @Field(() => String, { nullable: true, complexity: LIVE_STATE_FIELD, description: `The payment-loyalty band the run is tagged with, which the runningPlaybookRuns filter loyaltyBand matches: fair reminders (loyal payers pay no fees) and fixes (a gesture for some bands) the band they follow, read as they start (a reminder's: null until read; raised on the way when the payer turns fee-free, see loyaltyBandRaisedFrom); the other playbooks the customer's band when the run started. One of ${RUN_LOYALTY_BANDS.join(', ')} (${UNKNOWN_LOYALTY_BAND}: the customer had no payment-loyalty band then); null while the engine cannot say` })
  loyaltyBand!: string | null;

  @Field(() => String, { nullable: true, complexity: LIVE_STATE_FIELD, description: 'Fair reminders: the band the run started with, when it moved to a fee-free band on the way (the payer\'s record turned loyal, a late payment corrected): loyaltyBand is the one it follows since, with its schedule and no fee from then on (fees already charged stay); null when the run kept its band' })
  loyaltyBandRaisedFrom!: string | null;

  @Field(() => Int, { nullable: true, complexity: LIVE_STATE_FIELD, description: 'Fair reminders: reminders the run has written so far (the invoice counts those that went out); one a promise to pay held back before it went out is sent again in the next step\'s place, not counted twice' })
  remindersSent!: number | null;

  @Field(() => MoneyAmount, { nullable: true, complexity: LIVE_STATE_FIELD, description: 'Fair reminders: fees its reminders carry, minor units (booked on the invoice as each goes out)' })
  feesChargedMinor!: number | null;

  @Field(() => MoneyAmount, { nullable: true, complexity: LIVE_STATE_FIELD, description: 'Fair reminders: fees the standard schedule would have charged but this payer was spared, minor units (booked on the invoice as each reminder goes out)' })
  feesWaivedMinor!: number | null;

  @Field(() => LocalDateResolver, { nullable: true, complexity: LIVE_STATE_FIELD, description: 'Fair reminders: the day the customer promised to pay by, while that promise holds the reminders' })
  promisedUntil!: string | null;

  @Field(() => Int, { nullable: true, complexity: LIVE_STATE_FIELD, description: 'Fair reminders: promises to pay that lapsed unpaid' })
  brokenPromises!: number | null;

  @Field(() => LocalDateResolver, { nullable: true, complexity: LIVE_STATE_FIELD, description: "Fair reminders: the day of the last promise to pay that gave way to a dispute of the invoice (it stood as the customer disputed the invoice): ended by the dispute, neither kept nor broken, so not among brokenPromises; the dispute holds the run instead (step `disputed`). Null when none did" })
  promiseSupersededUntil!: string | null;

  @Field(() => String, { nullable: true, complexity: LIVE_STATE_FIELD, description: 'Fix issue: the complaint topic' })
  topic!: string | null;

  @Field(() => String, { nullable: true, complexity: LIVE_STATE_FIELD, description: 'Fix issue: who owns the fix case now' })
  owner!: string | null;

  @Field(() => Int, { nullable: true, complexity: LIVE_STATE_FIELD, description: "Fix issue: deadlines missed and fixes that did not hold so far (each moved the case one level up; past the top of the escalation chain the owner stays and the count goes on); a topic's later run starts with the level its last run left the issue at, one up when that fix did not hold" })
  escalations!: number | null;

  @Field(() => Int, { nullable: true, complexity: LIVE_STATE_FIELD, description: 'Fix issue: times the issue came back after a fix, before the check-back or as it went out (each reopened the case)' })
  recurrences!: number | null;

  @Field(() => String, {
    nullable: true,
    complexity: LIVE_STATE_FIELD,
    description:
      'Account review: what was proposed and why, as one text "<kind>: <reason>" (kind tier-change, offer, or none: nothing was proposed, and why), kept for clients written against it; accountProposal gives the proposal\'s parts, and this text stays the place that says why nothing was proposed',
  })
  proposal!: string | null;

  @Field(() => AccountProposalType, {
    nullable: true,
    complexity: LIVE_STATE_FIELD,
    description:
      'Account review: what was put to the customer to accept or decline (answerAccountProposal), by its parts: the tier, or the offer\'s code, name and discount. Null for the other playbooks, before the review proposed, and when it found nothing to propose (proposal says why). A proposal held back before it reached the customer (heldBack) is shown, but has no answer to wait for',
  })
  accountProposal!: AccountProposalType | null;

  @Field(() => String, { nullable: true, complexity: LIVE_STATE_FIELD, description: "Account review: the customer's answer (accepted, declined)" })
  answer!: string | null;

  @Field(() => MoneyTotal, { nullable: true, complexity: LIVE_STATE_FIELD, description: 'Account review: profitability at the last review, minor units (computed from totals: exact up to 2^53 minor units); null before the first scoring, and when the review could not judge the account (outcome not-judged)' })
  profitabilityMinor!: number | null;

  @Field(() => String, {
    nullable: true,
    complexity: LIVE_STATE_FIELD,
    description: 'Account review: how its last scoring judged profitabilityMinor when not as margin minus cost to serve over the last 12 months: after the customer accepted a review\'s tier (the cheaper one, or another through an offer; this one\'s or an earlier one\'s), as on that tier for the whole window (the costs before the move at its cost shares, less what an accepted offer takes off the tier\'s fee); as the run kept it (null in reviews started before it was kept)',
  })
  profitabilityBasis!: string | null;

  @Field(() => String, {
    nullable: true,
    complexity: LIVE_STATE_FIELD,
    description: "Account review under way: the customer's complaints and fix cases open now, by topic (e.g. \"fix case open: billing; complaint open: delivery\"); while one is, an offboarding approval is refused (PLAYBOOK_DECISION_REFUSED)",
  })
  openIssues!: string | null;

  @Field(() => Boolean, { nullable: true, complexity: LIVE_STATE_FIELD, description: 'Account review: whether offboarding was approved (null: no decision); an approved one may have been withdrawn since (offboardingWithdrawn)' })
  offboardingApproved!: boolean | null;

  @Field(() => Boolean, {
    nullable: true,
    complexity: LIVE_STATE_FIELD,
    description:
      "Account review with offboarding approved: whether that offboarding was withdrawn since, the customer active again (the review cancelled or terminated during the notice, or the run kept them at the notice's end: not reached, turned around, a complaint still open, not judged), as the audit log's customer.offboarding-withdrawn says; false while it stands or once carried out; null without an approval",
  })
  offboardingWithdrawn!: boolean | null;

  @Field(() => String, { nullable: true, complexity: LIVE_STATE_FIELD, description: 'Account review: who decided on offboarding, and why' })
  decidedBy!: string | null;

  @Field(() => String, { nullable: true, complexity: LIVE_STATE_FIELD, description: 'Account review: why offboarding was approved or not, as the person who decided gave it; null without a decision (and for a moment after one, until its audit entry is written)' })
  decisionReason!: string | null;

  @Field(() => String, {
    nullable: true,
    complexity: LIVE_STATE_FIELD,
    description: "Account review: who ended the offboarding notice early (endOffboardingNotice, or typed in the Temporal UI), the customer leaving at once; why is in the audit log (playbook.end-offboarding-notice); null while the notice runs its time, when it was not ended early, and when a cancel came before the run carried the end out (the offboarding withdrawn)",
  })
  noticeEndedBy!: string | null;

  @Field(() => String, { nullable: true, complexity: LIVE_STATE_FIELD, description: 'Appreciation: the offer the customer was thanked with' })
  offerCode!: string | null;

  @Field(() => String, {
    nullable: true,
    complexity: LIVE_STATE_FIELD,
    description: "Appreciation: why the contact guard holds the thank-you back (while the run waits, and when it ended not-thanked). Account review: why its proposal never reached the customer (held back at delivery, e.g. an opt-out or a complaint before it went). Welcome check (outcome not-new): why no follow-up call was asked for: the customer was no newcomer by the end of the wait (customer for … days, since …)",
  })
  heldBack!: string | null;

  @Field(() => Date, { nullable: true, description: 'When the run started, as its record says; null while a run being started has no record yet, and for runs started before runs were recorded' })
  startedAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the run ended (null while it runs): as its record says, or, for a run ended in Temporal whose end is not recorded yet (terminated in the Temporal UI; its own view), when Temporal closed it' })
  finishedAt!: Date | null;

  static from(view: PlaybookRunView): PlaybookRunType {
    const { record, state } = view;
    const fairReminder = state && 'remindersSent' in state ? (state as FairReminderState) : null;
    const fixIssue = state && 'escalations' in state ? (state as FixIssueState) : null;
    const review = state && 'proposal' in state ? (state as AccountReviewState) : null;
    const appreciation = state && 'offerCode' in state ? (state as AppreciationState) : null;
    const welcome = view.playbook === WELCOME_CHECK ? (state as WelcomeCheckState | null) : null;
    // A run the search for runs under way listed, its state not asked: running, as the search says (as its live state would,
    // for a run reset after its recorded end), not the end its record still holds.
    const status = view.listedRunning && !state ? RunStatus.Running : runStatus(view.record?.status ?? null, view.state, view.record?.finishedAt ?? null);
    // An ended run waits for nothing and holds no promise, whatever its last state says (a cancel stops it mid-wait).
    const ended = status !== RunStatus.Running;
    return {
      id: view.workflowId,
      workflowId: view.workflowId,
      playbook: view.playbook,
      customerId: view.customerId,
      status,
      step: shownStep(status, state),
      // A run running again (reset since its end was recorded) shows no outcome, not the end the reset undid.
      outcome: ended ? (state?.outcome ?? record?.outcome ?? null) : (state?.outcome ?? null),
      deadline: state?.deadline && !ended ? new Date(state.deadline) : null,
      policyVersion: state?.policyVersion ?? null,
      // A reminder's band as its state has it (null until read); another run's tag, which the loyaltyBand filter matches (as the list read it, else as the engine describes the run).
      loyaltyBand: fairReminder ? fairReminder.loyaltyBand : (view.loyaltyBandTag ?? state?.loyaltyBandTag ?? null),
      loyaltyBandRaisedFrom: fairReminder?.loyaltyBandRaisedFrom ?? null,
      remindersSent: fairReminder?.remindersSent ?? null,
      feesChargedMinor: fairReminder?.feesChargedMinor ?? null,
      feesWaivedMinor: fairReminder?.feesWaivedMinor ?? null,
      promisedUntil: fairReminder && !ended ? promiseHolding(fairReminder) : null,
      // Runs started before promises were taken have no brokenPromises.
      brokenPromises: fairReminder ? (fairReminder.brokenPromises ?? 0) : null,
      promiseSupersededUntil: fairReminder?.promiseSupersededUntil ?? null,
      topic: fixIssue?.topic ?? null,
      owner: fixIssue?.owner ?? null,
      escalations: fixIssue?.escalations ?? null,
      recurrences: fixIssue?.recurrences ?? null,
      proposal: review?.proposal ? `${review.proposal.kind}: ${review.proposal.reason}` : null,
      accountProposal: accountProposalOf(review),
      answer: review?.answer ?? null,
      profitabilityMinor: review?.profitabilityMinor ?? null,
      profitabilityBasis: review ? (state?.profitabilityBasis ?? null) : null,
      openIssues: review && !ended ? (state?.openIssues ?? null) : null,
      offboardingApproved: review?.decision?.approve ?? null,
      offboardingWithdrawn: review?.decision?.approve ? (state?.offboardingWithdrawn ?? null) : null,
      decidedBy: review?.decision?.decidedBy ?? null,
      decisionReason: review?.decision?.reason ?? null,
      // An end the run did not carry out (a cancel came first and withdrew the offboarding) ended no notice.
      noticeEndedBy: state?.offboardingWithdrawn ? null : (review?.noticeEnded?.endedBy ?? null),
      offerCode: appreciation?.offerCode ?? null,
      heldBack: appreciation?.heldBack ?? state?.proposalHeldBack ?? welcome?.notNew ?? null,
      startedAt: record?.startedAt ?? null,
      // One ended in the engine (terminated in the Temporal UI) before its record says so: when Temporal closed it.
      finishedAt: ended ? (record?.finishedAt ?? state?.closedAt ?? null) : null,
    };
  }
}

@InputType({ description: 'Tags of runs under way, as operators search them in the Temporal UI; each one given must match' })
export class RunningPlaybookRunsFilterInput {
  @Field(() => Playbook, { nullable: true })
  playbook?: string | null;

  @Field(() => String, { nullable: true, description: "The step a run is at, one of its playbook's steps (any playbook's without playbook), e.g. awaiting-approval (account reviews waiting for an offboarding decision)" })
  step?: string | null;

  @Field(() => ID, { nullable: true })
  customerId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Runs a campaign started' })
  campaignId?: string | null;

  @Field(() => String, { nullable: true, description: `The customer's churn-risk band when the run started: ${RUN_RISK_BANDS.join(', ')}` })
  riskBand?: string | null;

  @Field(() => String, { nullable: true, description: `The payment-loyalty band the run is tagged with (its loyaltyBand): fair reminders and fixes the band they follow, the other playbooks the customer's band when the run started: ${RUN_LOYALTY_BANDS.join(', ')} (${UNKNOWN_LOYALTY_BAND}: the customer had no payment-loyalty band then)` })
  loyaltyBand?: string | null;
}

/** What a run's database record answers (its step through a resolver of its own; its customer, invoice, fix case and an account review's customer's standing from its IDs); every other field is the workflow's live state. */
const RECORD_FIELDS = new Set(['__typename', 'id', 'workflowId', 'playbook', 'customerId', 'customer', 'invoiceId', 'fixCase', 'status', 'outcome', 'startedAt', 'finishedAt', 'step', 'customerSince', 'paymentLoyaltyBand', 'clvMinor']);

/** Whether the client selected a field of a run's live state (each costs one Temporal query per run), not only what its record holds. */
export const selectsLiveState = (fields: readonly string[]): boolean => !fields.every((field) => RECORD_FIELDS.has(field));

/** A run as listed: its record as it is, or its live view as the API types it. */
export const asRunType = (run: PlaybookRun | PlaybookRunView): PlaybookRun | PlaybookRunType => ('state' in run ? PlaybookRunType.from(run) : run);

export const PlaybookRunConnection = connectionOf(PlaybookRunType, 'PlaybookRun');
export type PlaybookRunConnection = InstanceType<typeof PlaybookRunConnection>;
