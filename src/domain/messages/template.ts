/** What a message template is, in any language, and the payload fields every language shows alike. */
export interface RenderedText {
  subject: string;
  text: string;
}

/** IDs and amounts a playbook step wrote with its message; names and addresses come from the customer at rendering. */
export type Payload = Record<string, unknown>;
/** How the message's language writes amounts and days. */
export interface Writing {
  /** An amount in minor units, in the message's currency: "€5.00", "5,00 €". */
  money(minor: number): string;
  /** A day (YYYY-MM-DD, or the day of an ISO time): "31 January 2027", "31. Januar 2027". */
  day(day: string): string;
}
export type Template = (name: string, payload: Payload, write: Writing) => RenderedText;

/** An invoice as a customer recognises it: the company's invoice number, else (none was imported) the start of its ID. */
export const invoiceRef = (p: Payload) => (typeof p.invoiceNumber === 'string' && p.invoiceNumber ? p.invoiceNumber : String(p.invoiceId ?? '').slice(0, 8));

/** How a language words an invoice's details: its word for the due day, and a part payment received on it. */
export interface InvoiceWords {
  /** "due", "fällig am". */
  due: string;
  /** The invoice's amount, with what was received on it and what is still open: ", of which €50.00 has been received and €150.00 is still open". */
  partPaid(received: string, open: string): string;
}

/**
 * What is open on the invoice and when it was due, as the message's language writes them
 * (" (€75.00, due 31 January 2027)"), or nothing for a message written without them (before
 * reminders carried them). After a part payment the invoice's own amount, what was received and
 * what is still open (" (€200.00, of which €50.00 has been received and €150.00 is still open, due …)"):
 * the customer's invoice says €200.00, and a bare €150.00 in its place reads as another invoice or a mistake.
 */
export function invoiceDetails(p: Payload, write: Writing, words: InvoiceWords): string {
  if (typeof p.openMinor !== 'number' || typeof p.dueAt !== 'string') return '';
  const amount = typeof p.amountMinor === 'number' ? p.amountMinor : null;
  const partPaid = amount !== null && p.openMinor > 0 && p.openMinor < amount;
  const what = partPaid ? `${write.money(amount)}${words.partPaid(write.money(amount - Number(p.openMinor)), write.money(p.openMinor))}` : write.money(p.openMinor);
  return ` (${what}, ${words.due} ${write.day(p.dueAt)})`;
}
/** The invoice a payment settled, with its amount when the message carries it ("INV-0042 (€75.00)"): a thank-you written before it did names the invoice alone. */
export function paidInvoice(p: Payload, write: Writing): string {
  return `${invoiceRef(p)}${typeof p.amountMinor === 'number' ? ` (${write.money(p.amountMinor)})` : ''}`;
}
/**
 * What a reminder run sent and charged by the time its call task goes, as a team's task names it: its reminders
 * that went out, the numbers of those on the standard schedule (with their fees: sent before the payer's band was
 * raised to loyal), the fees charged on the invoice, and the band the run started in when it was raised on the way.
 */
export interface RemindersSoFar {
  remindersSent: number;
  standardReminders: number[];
  feesChargedMinor: number;
  loyaltyBandRaisedFrom: string | null;
  /** Reminders the invoice had beyond the run's (the billing system's, or an earlier run's); absent in tasks written before. */
  earlierReminders?: number;
  /** Call tasks of earlier runs of the invoice that went out (a colleague called about it before); absent in tasks written before. */
  earlierCalls?: number;
  /** When the last of them went out (an ISO timestamp), null without one. */
  lastEarlierCallAt?: string | null;
  /** The days the customer promised to pay the invoice by and did not (YYYY-MM-DD, oldest first), as runs of it audited the lapse; absent in tasks written before. */
  lapsedPromises?: string[];
}

/** The call task's facts of what went out and was charged, or undefined for a task written before it carried them. */
export function remindersSoFar(p: Payload): RemindersSoFar | undefined {
  const facts = p.remindersSoFar as RemindersSoFar | undefined;
  return facts && typeof facts.remindersSent === 'number' ? facts : undefined;
}

/** A complaint topic key as words ("delivery-delay" -> "delivery delay"). */
export const topicLabel = (p: Payload) => String(p.topic ?? '').replace(/-/g, ' ');

/** How a message names an offer: its own name, and its names in other languages (`createOffer`'s translatedNames) by language. */
export interface OfferNaming {
  offerName?: string | null;
  offerNames?: Readonly<Record<string, string>> | null;
}

/** The offer's name in a message written in `language`: its translation into it, else its own name; undefined without a name (a new customers' offer, quoted by code). */
export function offerNameIn(offer: OfferNaming | undefined, language: string): string | undefined {
  return offer?.offerNames?.[language] ?? offer?.offerName ?? undefined;
}

/**
 * A new customers' offer matched for a loyal customer, its terms as new customers read them: its name (and its names in
 * other languages) and its description. A thank-you states them, so a customer of years learns what the offer applies
 * to and for how long, not only a discount under a code named for newcomers.
 */
export interface NewCustomerTerms {
  name: string;
  names?: Readonly<Record<string, string>> | null;
  description?: string | null;
}

/** The matched offer's terms in `language` ("30% off your first three months: …"), or undefined for a thank-you written without them. */
export function newCustomerTermsIn(p: Payload, language: string): string | undefined {
  const terms = p.newCustomerTerms as NewCustomerTerms | undefined;
  if (!terms?.name) return undefined;
  const name = terms.names?.[language] ?? terms.name;
  return terms.description ? `${name}: ${terms.description}` : name;
}

/** A complaint behind a fix case, as its task names it: its reference (the CRM's, else its ID), severity, the customer's words, its days. */
export interface CaseComplaint {
  ref: string;
  severity: string;
  summary: string | null;
  openedOn: string;
  reopenedOn?: string;
  /** Still open when the task was written (the fix, once reported, resolves it); absent in tasks written before they said. */
  open?: boolean;
}

/** A complaint as a fix case's task lists it: "- CRM-7731, high, 20 January 2027, open: "…"". */
export function caseComplaintLine(k: CaseComplaint, write: Writing): string {
  return `- ${k.ref}, ${k.severity}, ${write.day(k.openedOn)}${k.reopenedOn ? `, reopened ${write.day(k.reopenedOn)}` : ''}${k.open ? ', open' : ''}: ${k.summary ? `"${k.summary}"` : 'no summary recorded'}`;
}

/** The complaints a task names (`complaints`, as a fix case's task lists them), one a line; their words go with an erasure. */
export function caseComplaintLines(p: Payload, write: Writing): string {
  return (Array.isArray(p.complaints) ? (p.complaints as CaseComplaint[]) : []).map((k) => caseComplaintLine(k, write)).join('\n');
}

/**
 * What a fix case's owner needs to act on it, below the task's first lines: the deadline after which it escalates (its
 * day and time in UTC, and the instant), the complaints behind it, and how to report the fix. Nothing for a task written
 * before tasks carried them.
 */
export function fixCaseDetails(p: Payload, write: Writing, reopened = false): string {
  if (typeof p.deadline !== 'string') return '';
  const deadline = `Deadline: ${write.day(p.deadline)}, ${p.deadline.slice(11, 16)} UTC (${p.deadline}). ${
    p.escalatesTo === p.owner ? `Not fixed by then, another missed deadline is recorded; the case stays with ${String(p.owner)}, the last level.` : `Not fixed by then, it escalates to ${String(p.escalatesTo)}.`
  }`;
  const listed = Array.isArray(p.complaints) ? (p.complaints as CaseComplaint[]) : [];
  const complaints = listed.map((k) => caseComplaintLine(k, write));
  const more = typeof p.moreComplaints === 'number' && p.moreComplaints > 0 ? [`- and ${p.moreComplaints} earlier`] : [];
  // A reopened case lists the complaints since the fix: none when the recurrence was reported by hand (a signal).
  const none = reopened ? 'No complaint since the fix is on record (the recurrence was reported by hand).' : 'No complaint about it is on record (it was started by hand).';
  const behind = complaints.length ? `Complaints behind it, newest first:\n${[...complaints, ...more].join('\n')}` : none;
  const report = `When the cause is fixed, report it with the GraphQL mutation resolveIssue(customerId: "${String(p.customerId)}", topic: "${String(p.topic)}"): the customer's complaints about it still open then${listed.some((k) => k.open) ? ' (those marked open above, and any since)' : ''} are resolved as of the fix, the customer hears it is fixed, and the run checks back with them later.`;
  return `\n\n${deadline}\n\n${behind}\n\n${report}`;
}
