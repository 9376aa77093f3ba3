import { invoiceRef } from '../messages/template.js';
import { formatMoney } from '../money.js';
import type { Proposal } from '../playbooks/account-review.js';
import { TierChangeSource } from './tier-change.js';

/** What happened with a customer, as their timeline lists it. */
export enum CustomerEventKind {
  OrderPlaced = 'order-placed',
  InvoiceIssued = 'invoice-issued',
  InvoicePaid = 'invoice-paid',
  /** The billing system cancelled an invoice (voided, credited): it was never owed. */
  InvoiceCancelled = 'invoice-cancelled',
  /** A payment against an invoice, one per payment recorded (a part payment too); the invoice is paid once they cover it. */
  PaymentReceived = 'payment-received',
  /** The customer disputed an invoice (wrong amount, goods not received): each dispute, its reminders held while it is open. */
  InvoiceDisputed = 'invoice-disputed',
  /** A person resolved the customer's dispute of an invoice: upheld (the customer is right) or rejected (the invoice stands). */
  InvoiceDisputeResolved = 'invoice-dispute-resolved',
  ComplaintOpened = 'complaint-opened',
  /** Each resolution of a complaint, also one a reopening undid. */
  ComplaintResolved = 'complaint-resolved',
  /** The customer said a resolved complaint is not: open again. */
  ComplaintReopened = 'complaint-reopened',
  /** A complaint was withdrawn as filed by mistake (the wrong customer, twice): it counts nowhere since. */
  ComplaintWithdrawn = 'complaint-withdrawn',
  MessageSent = 'message-sent',
  PlaybookStarted = 'playbook-started',
  PlaybookFinished = 'playbook-finished',
  /** A score's band moved: churn risk, RFM segment, payment loyalty, profitability, persistent issue. */
  ScoreBandChanged = 'score-band-changed',
  /** The customer promised to pay an invoice by a day (recorded by a person). */
  PaymentPromised = 'payment-promised',
  /** A promise to pay lapsed unpaid: its day and grace days passed, as the reminder run noticed (its reminders go on). */
  PaymentPromiseLapsed = 'payment-promise-lapsed',
  /** A promise to pay gave way to the customer's dispute of the invoice (it stood as the dispute came): neither kept nor broken. */
  PaymentPromiseSuperseded = 'payment-promise-superseded',
  /** Consent to marketing given or withdrawn. */
  ConsentChanged = 'consent-changed',
  /** Enrolled in a campaign, treated or held out (why a playbook ran, or why none did). */
  CampaignEnrolled = 'campaign-enrolled',
  /** Moved to another service tier: a proposal accepted in an account review, or the company's records (an import). */
  TierChanged = 'tier-changed',
  /** A person decided on the offboarding an account review asked about: approved or rejected, and who (why: the audit log). Only a decision the run took. */
  OffboardingDecided = 'offboarding-decided',
  /** The customer went into offboarding notice: an approved offboarding began (the day the contract ends, as the notice names it). */
  OffboardingNoticeGiven = 'offboarding-notice-given',
  /** The customer answered an account review's proposal: accepted or declined, and what it was. Only an answer the run took. */
  ProposalAnswered = 'proposal-answered',
  /** A fix case moved on: a fix reported, the customer confirming it holds, escalated at a missed deadline, reopened as the issue came back. */
  FixCaseChanged = 'fix-case-changed',
}

/** The milestones of a fix case the timeline shows (a `FixCaseChanged` event's `detail`). */
export enum FixCaseMilestone {
  FixReported = 'fix-reported',
  FixConfirmed = 'fix-confirmed',
  Escalated = 'escalated',
  Reopened = 'reopened',
}


/** The scores whose band moves make a customer's story (behaviour change moves too often to tell it). */
export const TIMELINE_SCORE_KINDS = ['churn-risk', 'rfm', 'payment-loyalty', 'profitability', 'persistent-issue'] as const;
const scoreLabels: Record<(typeof TIMELINE_SCORE_KINDS)[number], string> = {
  'churn-risk': 'Churn risk',
  rfm: 'RFM segment',
  'payment-loyalty': 'Payment loyalty',
  profitability: 'Profitability',
  'persistent-issue': 'Persistent issue',
};

/** The facts of one event, as gathered from its table (see CustomerTimelineService). */
export interface CustomerEventFacts {
  kind: CustomerEventKind;
  /** The order, invoice, payment, complaint or message ID, or the playbook run's workflow ID. */
  ref: string;
  amountMinor: number | null;
  /** Due day of an issued invoice; days late of a paid one; the invoice a payment was for; complaint topic; a dispute's outcome (`upheld`, `rejected`); message template; playbook; score kind; promised day (of a promise made or lapsed); consent (true/false); campaign name; the new tier; an offboarding decision (`approved`, `rejected`); the day an offboarding notice ends; a proposal's answer (`accepted`, `declined`); a fix case's milestone (FixCaseMilestone). */
  detail: string | null;
  /** A payment's invoice amount (minor units); why the customer disputed an invoice, in their words (null once erased); the staff's note on a dispute's resolution; complaint severity; message channel; a finished playbook's outcome; a score's new band; the promised invoice (of a promise made or lapsed); the campaign group; how consent changed (`unsubscribe-link` withdrawn through it, `import` by the company's records, `erasure` withdrawn as the personal data was erased); where a tier change came from (`account-review`, `import`); a fix case's topic. */
  extra: string | null;
  /** A score's band before the change; the tier before a tier change. */
  previous?: string | null;
  /** A sent message's subject, as the customer read it (null when its template is gone). */
  subject?: string | null;
  /** A finished account review whose offboarding was withdrawn (cancelled or terminated during the notice, or kept at its end). */
  offboardingWithdrawn?: boolean;
  /** Why a finished thank-you was not given: the contact guard's reason that held it back (`no-consent`, `open-complaint`, ...). */
  heldBack?: string | null;
  /** A finished account review whose offboarding notice a person ended early (the customer left at once, e.g. asking to be erased). */
  noticeEndedEarly?: boolean;
  /**
   * The reminder fees reversed on a paid or cancelled invoice (minor units): those of a cancelled one, or of one paid on a day
   * it was not overdue (paid on time, booked late); absent when none were.
   */
  feesReversedMinor?: number;
  /** The invoice's number in the billing system (an invoice's event, a payment, a promise, a dispute), when it has one. */
  invoiceNumber?: string | null;
  /** Who decided an offboarding (the caller's ID, or the decider typed in the Temporal UI); whom a fix case was with at its milestone (the team or role). */
  who?: string | null;
  /** A fix case escalated or reopened at the top of its chain: it stays with whoever holds it. */
  stays?: boolean;
  /** What the account review proposed, as its proposal message keeps it, for an answer to it (null when its message is not kept). */
  proposal?: Proposal | null;
  /** A sent message that is a task for the company's teams: whose it is (null: no one team's) and whether it is a call to make (catalogue's taskOf). */
  task?: { team: string | null; callsCustomer: boolean } | null;
}

const words = (key: string | null) => (key ?? '').replace(/-/g, ' ');
const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
/** An invoice as the customer and the billing system name it: its number, else the start of its ID. */
const invoiceNamed = (f: CustomerEventFacts, invoiceId: string | null) => `invoice ${invoiceRef({ invoiceNumber: f.invoiceNumber ?? null, invoiceId })}`;
const invoice = (f: CustomerEventFacts, money: (minor: number) => string) => `${invoiceNamed(f, f.ref)} (${money(f.amountMinor ?? 0)})`;
const channels: Record<string, string> = { email: 'E-mail', letter: 'Letter', call: 'Call task' };
/**
 * What a sent message was: a team's task by what it is, a call to make ("Call task") or another task, and whose
 * ("Task for billing"), as the team's mail labels it (a billing or fix-case task on the call channel is no call);
 * a letter or a message to the customer by its channel; one whose task is not known, by its channel as before.
 */
function messageLabel(f: CustomerEventFacts): string {
  if (f.task && f.extra !== 'letter') {
    const what = f.task.callsCustomer ? 'Call task' : 'Task';
    return f.task.team ? `${what} for ${f.task.team}` : what;
  }
  return channels[f.extra ?? ''] ?? capitalised(words(f.extra));
}

/** A proposal as a person reads it in a line: "the basic tier", "offer SPRING (10% off) to the standard tier". */
function proposed(p: Proposal | null | undefined): string {
  if (p?.kind === 'tier-change' && p.tier) return `: the ${p.tier} tier`;
  if (p?.kind === 'offer') return `: offer ${p.offerName ?? p.offerCode ?? ''}${p.discountPercent ? ` (${p.discountPercent}% off)` : ''}${p.tier ? ` to the ${p.tier} tier` : ''}`;
  return '';
}

/** A fix case's milestone in a line: who holds it, what happened (no complaint's words: the topic only). */
function fixCaseLine(f: CustomerEventFacts): string {
  const topic = words(f.extra);
  switch (f.detail) {
    case FixCaseMilestone.FixReported:
      return `Fix of ${topic} reported${f.who ? ` (the case was with ${f.who})` : ''}`;
    case FixCaseMilestone.FixConfirmed:
      return `The customer confirmed the fix of ${topic} holds`;
    case FixCaseMilestone.Escalated:
      return f.stays ? `Fix case for ${topic}: another fix deadline missed, it stays with ${f.who}` : `Fix case for ${topic} escalated to ${f.who}: its fix deadline was missed`;
    default:
      return f.stays ? `Fix case for ${topic} reopened, staying with ${f.who}: the issue came back after the fix` : `Fix case for ${topic} reopened with ${f.who}: the issue came back after the fix`;
  }
}

/** The reminder fees reversed on the invoice, as its paid or cancelled line adds them: no fee stands for chasing it. */
const feesReversed = (f: CustomerEventFacts, money: (minor: number) => string) =>
  f.feesReversedMinor ? `; its ${money(f.feesReversedMinor)} in reminder fees reversed` : '';

function paidWhen(daysLate: number): string {
  if (daysLate <= 0) return 'on time';
  return `${daysLate} day${daysLate === 1 ? '' : 's'} late`;
}

/** One line a person reads in the customer's timeline ("Paid invoice INV-1042 (€89.00) 3 days late"), amounts in `currency`. */
export function eventSummary(f: CustomerEventFacts, currency: string): string {
  const money = (minor: number) => formatMoney(minor, currency, 'en');
  switch (f.kind) {
    case CustomerEventKind.OrderPlaced:
      return `Ordered for ${money(f.amountMinor ?? 0)}`;
    case CustomerEventKind.InvoiceIssued:
      return `Invoiced: ${invoice(f, money)}, due ${f.detail}`;
    case CustomerEventKind.InvoicePaid:
      return `Paid ${invoice(f, money)} ${paidWhen(Number(f.detail))}${feesReversed(f, money)}`;
    case CustomerEventKind.InvoiceCancelled:
      return `Cancelled ${invoice(f, money)}: nothing owed${feesReversed(f, money)}`;
    case CustomerEventKind.PaymentReceived:
      return `Received ${money(f.amountMinor ?? 0)} for ${invoiceNamed(f, f.detail)} (${money(Number(f.extra ?? 0))})`;
    case CustomerEventKind.InvoiceDisputed:
      // The customer's words show while they are kept: the erasure clears them, the dispute itself stays.
      return `Disputed ${invoice(f, money)}${f.extra ? `: ${f.extra}` : ''}; its reminders hold while the dispute is open`;
    case CustomerEventKind.InvoiceDisputeResolved:
      return `Dispute of ${invoice(f, money)} ${f.detail === 'upheld' ? 'upheld: the customer is right, its reminders stop and billing corrects or cancels it' : 'rejected: the invoice stands, its reminders go on'}${f.extra ? ` (${f.extra})` : ''}`;
    case CustomerEventKind.ComplaintOpened:
      return `Complained about ${words(f.detail)}${f.extra ? ` (${f.extra})` : ''}`;
    case CustomerEventKind.ComplaintResolved:
      return `Complaint about ${words(f.detail)} resolved`;
    case CustomerEventKind.ComplaintReopened:
      return `Complaint about ${words(f.detail)} reopened: the customer says it is not resolved`;
    case CustomerEventKind.ComplaintWithdrawn:
      return `Complaint about ${words(f.detail)} withdrawn as filed by mistake${f.extra ? `: ${f.extra}` : ''}`;
    case CustomerEventKind.MessageSent:
      return `${messageLabel(f)}: ${f.subject ?? words(f.detail)}`;
    case CustomerEventKind.PlaybookStarted:
      return `${capitalised(words(f.detail))} started`;
    case CustomerEventKind.PlaybookFinished:
      return `${capitalised(words(f.detail))} ended${f.extra ? `: ${words(f.extra)}` : ''}${f.offboardingWithdrawn ? ' (the offboarding notice withdrawn: the customer stays)' : ''}${f.heldBack ? ` (held back: ${words(f.heldBack)})` : ''}${f.noticeEndedEarly ? ' (the notice ended early: the customer left at once)' : ''}`;
    case CustomerEventKind.PaymentPromised:
      return `Promised to pay ${invoiceNamed(f, f.extra)} by ${f.detail}`;
    case CustomerEventKind.PaymentPromiseLapsed:
      return `Promise to pay ${invoiceNamed(f, f.extra)} by ${f.detail} not kept`;
    case CustomerEventKind.PaymentPromiseSuperseded:
      return `Promise to pay ${invoiceNamed(f, f.extra)} by ${f.detail} set aside: the customer disputes the invoice (not a broken promise)`;
    case CustomerEventKind.ConsentChanged:
      if (f.extra === 'import') return f.detail === 'true' ? "Agreed to marketing (as the company's records say)" : "Withdrew consent to marketing (as the company's records say)";
      if (f.detail === 'true') return 'Agreed to marketing';
      if (f.extra === 'erasure') return 'Consent to marketing withdrawn: the personal data was erased';
      return f.extra === 'unsubscribe-link' ? 'Withdrew consent to marketing (through the link in a message)' : 'Withdrew consent to marketing';
    case CustomerEventKind.CampaignEnrolled:
      return `Enrolled in campaign "${f.detail}"${f.extra === 'holdout' ? ' (holdout: the campaign starts no playbook for them, to measure it)' : ''}`;
    case CustomerEventKind.TierChanged:
      return `Service tier: ${f.previous} → ${f.detail}${f.extra === TierChangeSource.AccountReview ? ' (accepted in an account review)' : f.extra === TierChangeSource.Import ? " (as the company's records say)" : ''}`;
    case CustomerEventKind.OffboardingDecided:
      // Why stays in the audit log: a person's words about the customer, which the erasure takes out there.
      return f.detail === 'approved' ? `Offboarding approved by ${f.who} (reason in the audit log)` : `Offboarding rejected by ${f.who}: the customer stays (reason in the audit log)`;
    case CustomerEventKind.OffboardingNoticeGiven:
      return `Under offboarding notice${f.detail ? `: the contract ends on ${f.detail}` : ''}`;
    case CustomerEventKind.ProposalAnswered:
      return `${f.detail === 'accepted' ? 'Accepted' : 'Declined'} the account review's proposal${proposed(f.proposal)}`;
    case CustomerEventKind.FixCaseChanged:
      return fixCaseLine(f);
    case CustomerEventKind.ScoreBandChanged:
      return `${scoreLabels[f.detail as keyof typeof scoreLabels] ?? capitalised(words(f.detail))}: ${f.previous ?? 'none'} → ${f.extra ?? 'none'}`;
  }
}
