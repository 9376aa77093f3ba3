import 'reflect-metadata';
import { ArgsType, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { LocalDateResolver } from 'graphql-scalars';
import { CustomerEventKind } from '../../domain/customers/timeline.js';
import { NestedPageArgs, connectionOf } from '../common/connection.js';
import { MoneyAmount } from '../common/money.js';

registerEnumType(CustomerEventKind, {
  name: 'CustomerEventKind',
  description: 'What happened with a customer',
  valuesConfig: {
    OrderPlaced: { description: 'An order (ref: the order; amountMinor its amount)' },
    InvoiceIssued: { description: 'An invoice was issued (ref: the invoice; amountMinor its amount)' },
    InvoicePaid: { description: 'An invoice was paid in full (ref: the invoice), on time or how many days late' },
    InvoiceCancelled: { description: 'The billing system cancelled an invoice (ref: the invoice; voided or credited, so never owed), as the invoices import says' },
    InvoiceDisputed: {
      description:
        "The customer disputed an invoice (ref: the invoice; disputeInvoice, amountMinor its amount): each dispute, as the audit log keeps it (the invoice keeps only its latest), with the customer's reason while it is kept (their erasure clears it; the event stays). Its reminders hold while the dispute is open",
    },
    InvoiceDisputeResolved: {
      description:
        "A person resolved the customer's dispute of an invoice (ref: the invoice; resolveDispute, amountMinor its amount): upheld (the customer is right: its reminder run cancelled, billing corrects or cancels it) or rejected (the invoice stands, its reminders go on), with the staff's note if any",
    },
    ComplaintOpened: { description: 'A complaint came in (ref: the complaint)' },
    ComplaintResolved: { description: 'A complaint was resolved (ref: the complaint): each resolution, also one a later reopening undid' },
    ComplaintReopened: { description: 'The customer said a resolved complaint is not: open again (ref: the complaint), each reopening' },
    ComplaintWithdrawn: {
      description: 'A complaint was withdrawn as filed by mistake (ref: the complaint; withdrawComplaint): the summary names its topic as it stood then (an import may change the topic later) and why. It counts nowhere since; its ComplaintOpened stays listed',
    },
    MessageSent: { description: 'A message went out (ref: the message): to the customer, its subject as they read it, or a task to a team about them, named by what it is and whose ("Task for billing: ...", "Call task: ..."; the fairness report counts messages to customers only)' },
    PlaybookStarted: { description: 'A playbook run started (ref: its workflow ID)' },
    PlaybookFinished: { description: 'A playbook run ended (ref: its workflow ID), with its outcome' },
    ScoreBandChanged: { description: "A score's band moved between two scorings: churn risk, RFM segment, payment loyalty, profitability, persistent issue" },
    PaymentPromised: { description: 'The customer promised to pay an invoice by a day (recorded by a person)' },
    PaymentPromiseLapsed: { description: 'A promise to pay an invoice by a day was not kept (ref: the audit entry of the lapse): the day and its grace days passed unpaid, as the reminder run noticed; its reminders go on. Not shown once a payment booked later is dated on or before the day plus the promise policy\'s grace days: the promise was kept, only its booking came late' },
    PaymentPromiseSuperseded: {
      description:
        "A promise to pay an invoice by a day gave way to the customer's dispute of the invoice (ref: the audit entry of it, `playbook.promise-superseded`): it stood as the dispute came, and the dispute holds the reminder run instead; neither kept nor broken (not among the run's brokenPromises)",
    },
    ConsentChanged: { description: 'Consent to marketing given or withdrawn' },
    CampaignEnrolled: { description: 'Enrolled in a campaign, treated or held out (why a playbook ran, or why none did)' },
    TierChanged: { description: "Moved to another service tier (ref: the change): a proposal accepted in an account review, or the company's records (an import)" },
    OffboardingDecided: {
      description:
        'A person decided on the offboarding an account review asked about (ref: the audit entry of the decision): approved or rejected, and who (the caller, or the decider typed in the Temporal UI); why stays in the audit log. Only a decision the run took: one it refused, or not yet answered, is not listed',
    },
    OffboardingNoticeGiven: { description: 'The customer went into offboarding notice as an approved offboarding began (ref: the audit entry of it), with the day the contract ends as the notice names it' },
    ProposalAnswered: { description: "The customer answered an account review's proposal (ref: the audit entry of the answer): accepted or declined, and what was proposed; also when the proposal was held back as answered before it went. Only an answer the run took" },
    FixCaseChanged: {
      description:
        "A fix case moved on (ref: the fix case): a fix reported (whom the case was with), the customer confirming it holds, escalated at a missed deadline (to whom, or staying at the top), reopened one level up as the issue came back",
    },
    PaymentReceived: { description: 'A payment against an invoice, one per payment recorded (a part payment too); the invoice counts as paid (InvoicePaid) once its payments cover it' },
  },
});

@ObjectType('CustomerEvent', { simpleResolvers: true, description: 'One thing that happened with a customer, as their timeline lists it' })
export class CustomerEventType {
  @Field(() => ID, { description: "The event itself, unique across customers (its customer, kind and reference, or for a complaint's resolution or reopening, an invoice's dispute or its resolution, or a fix case's milestone, what recorded it; opaque): for a client cache" })
  id!: string;

  @Field({ description: 'When it happened. An event the records keep by day only (see day) is at the moment it was recorded when that was on its day (a payment recorded today follows what happened before it), else at 00:00 UTC of its day' })
  at!: Date;

  @Field(() => LocalDateResolver, {
    nullable: true,
    description: "The day of an event the records keep by day only (an invoice issued, paid or cancelled; a payment received): show this day, not `at` in the reader's time zone, which west of UTC falls on the day before. For a tier change, the day (the customer's) it counts from, `at` being when it was recorded. Null for an event at a moment",
  })
  day!: string | null;

  @Field(() => CustomerEventKind)
  kind!: CustomerEventKind;

  @Field({ description: "The order, invoice, payment, complaint, message or tier change ID; for playbook runs the workflow ID (as the Temporal UI shows it); for a score band change `<snapshot ID>/<score kind>`; for a promise (made or lapsed), an offboarding decision, a notice, an answer to a proposal the audit entry's ID; for a fix case's milestone the fix case's ID" })
  ref!: string;

  @Field({ description: 'What happened, in a line, amounts in the currency (see currency), e.g. "Paid invoice INV-1042 (€89.00) 3 days late": an invoice by its number in the billing system, else the start of its ID' })
  summary!: string;

  @Field(() => MoneyAmount, { nullable: true, description: 'Order, invoice or payment amount, minor units' })
  amountMinor!: number | null;
}

@ArgsType()
export class TimelineArgs extends NestedPageArgs {
  @Field(() => [CustomerEventKind], { nullable: true, description: 'Only these kinds (default, or an empty list: all)' })
  kinds?: CustomerEventKind[] | null;
}

export const CustomerEventConnection = connectionOf(CustomerEventType, 'CustomerEvent');
export type CustomerEventConnection = InstanceType<typeof CustomerEventConnection>;
