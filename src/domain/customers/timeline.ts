import { invoiceRef } from '../messages/template.js';
import { formatMoney } from '../money.js';
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
  ComplaintOpened = 'complaint-opened',
  /** Each resolution of a complaint, also one a reopening undid. */
  ComplaintResolved = 'complaint-resolved',
  /** The customer said a resolved complaint is not: open again. */
  ComplaintReopened = 'complaint-reopened',
  MessageSent = 'message-sent',
  PlaybookStarted = 'playbook-started',
  PlaybookFinished = 'playbook-finished',
  /** A score's band moved: churn risk, RFM segment, payment loyalty, profitability, persistent issue. */
  ScoreBandChanged = 'score-band-changed',
  /** The customer promised to pay an invoice by a day (recorded by a person). */
  PaymentPromised = 'payment-promised',
  /** Consent to marketing given or withdrawn. */
  ConsentChanged = 'consent-changed',
  /** Enrolled in a campaign, treated or held out (why a playbook ran, or why none did). */
  CampaignEnrolled = 'campaign-enrolled',
  /** Moved to another service tier: a proposal accepted in an account review, or the company's records (an import). */
  TierChanged = 'tier-changed',
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
  /** Due day of an issued invoice; days late of a paid one; the invoice a payment was for; complaint topic; message template; playbook; score kind; promised day; consent (true/false); campaign name; the new tier. */
  detail: string | null;
  /** A payment's invoice amount (minor units); complaint severity; message channel; a finished playbook's outcome; a score's new band; the promised invoice; the campaign group; `unsubscribe-link` for consent withdrawn through it; where a tier change came from (`account-review`, `import`). */
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
  /** The invoice's number in the billing system (an invoice's event, a payment, a promise), when it has one. */
  invoiceNumber?: string | null;
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
      return `Paid ${invoice(f, money)} ${paidWhen(Number(f.detail))}`;
    case CustomerEventKind.InvoiceCancelled:
      return `Cancelled ${invoice(f, money)}: nothing owed`;
    case CustomerEventKind.PaymentReceived:
      return `Received ${money(f.amountMinor ?? 0)} for ${invoiceNamed(f, f.detail)} (${money(Number(f.extra ?? 0))})`;
    case CustomerEventKind.ComplaintOpened:
      return `Complained about ${words(f.detail)}${f.extra ? ` (${f.extra})` : ''}`;
    case CustomerEventKind.ComplaintResolved:
      return `Complaint about ${words(f.detail)} resolved`;
    case CustomerEventKind.ComplaintReopened:
      return `Complaint about ${words(f.detail)} reopened: the customer says it is not resolved`;
    case CustomerEventKind.MessageSent:
      return `${messageLabel(f)}: ${f.subject ?? words(f.detail)}`;
    case CustomerEventKind.PlaybookStarted:
      return `${capitalised(words(f.detail))} started`;
    case CustomerEventKind.PlaybookFinished:
      return `${capitalised(words(f.detail))} ended${f.extra ? `: ${words(f.extra)}` : ''}${f.offboardingWithdrawn ? ' (the offboarding notice withdrawn: the customer stays)' : ''}${f.heldBack ? ` (held back: ${words(f.heldBack)})` : ''}${f.noticeEndedEarly ? ' (the notice ended early: the customer left at once)' : ''}`;
    case CustomerEventKind.PaymentPromised:
      return `Promised to pay ${invoiceNamed(f, f.extra)} by ${f.detail}`;
    case CustomerEventKind.ConsentChanged:
      if (f.extra === 'import') return f.detail === 'true' ? "Agreed to marketing (as the company's records say)" : "Withdrew consent to marketing (as the company's records say)";
      if (f.detail === 'true') return 'Agreed to marketing';
      return f.extra === 'unsubscribe-link' ? 'Withdrew consent to marketing (through the link in a message)' : 'Withdrew consent to marketing';
    case CustomerEventKind.CampaignEnrolled:
      return `Enrolled in campaign "${f.detail}"${f.extra === 'holdout' ? ' (holdout: the campaign starts no playbook for them, to measure it)' : ''}`;
    case CustomerEventKind.TierChanged:
      return `Service tier: ${f.previous} → ${f.detail}${f.extra === TierChangeSource.AccountReview ? ' (accepted in an account review)' : f.extra === TierChangeSource.Import ? " (as the company's records say)" : ''}`;
    case CustomerEventKind.ScoreBandChanged:
      return `${scoreLabels[f.detail as keyof typeof scoreLabels] ?? capitalised(words(f.detail))}: ${f.previous ?? 'none'} → ${f.extra ?? 'none'}`;
  }
}
