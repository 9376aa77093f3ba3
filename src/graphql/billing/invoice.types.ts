import 'reflect-metadata';
import { IsOptional, Matches } from 'class-validator';
import { LocalDateResolver } from 'graphql-scalars';
import { ArgsType, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { connectionOf, NestedPageArgs, PageArgs } from '../common/connection.js';
import { MAX_AMOUNT_INTEGER_DIGITS, MAX_AMOUNT_MINOR } from '../../domain/money.js';
import { MoneyAmount } from '../common/money.js';
import { NodeInterface } from '../common/node.js';

/** How a dispute ended (the values the service stores). */
export enum DisputeOutcomeValue {
  Upheld = 'upheld',
  Rejected = 'rejected',
}

registerEnumType(DisputeOutcomeValue, {
  name: 'DisputeOutcome',
  description: 'How a dispute of an invoice ended',
  valuesConfig: {
    Upheld: { description: 'The customer is right: the reminder run is cancelled, billing corrects or cancels the invoice (its invoices import; the platform changes neither amount nor due day itself), and the trigger sweep does not chase it again (a person may start reminders for the corrected invoice with startFairReminder)' },
    Rejected: { description: 'The invoice stands: its reminder run goes on, the step it held waiting its full time again from the resolution; payment loyalty still leaves the disputed days out' },
  },
});

@ObjectType('InvoiceDispute', { simpleResolvers: true, description: "A customer's dispute of an invoice (wrong amount, goods not received), the one open now or the last one resolved" })
export class InvoiceDisputeType {
  @Field({ description: 'When the customer disputed it (disputeInvoice)' })
  disputedAt!: Date;

  @Field({ description: 'Why, as the clerk recorded it' })
  reason!: string;

  @Field(() => Date, { nullable: true, description: 'When the dispute was resolved (resolveDispute); null while open: its reminders hold, the trigger sweep starts none, and payment loyalty does not count the disputed days as late' })
  resolvedAt!: Date | null;

  @Field(() => DisputeOutcomeValue, { nullable: true, description: 'How it was resolved; null while open' })
  outcome!: DisputeOutcomeValue | null;
}

@ObjectType('Payment', { simpleResolvers: true, description: 'A payment recorded against an invoice (by recordPayment or a payments import)' })
export class PaymentType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true, description: 'Payment reference in the billing system' })
  externalRef?: string | null;

  @Field(() => LocalDateResolver, { description: 'Day the payment was made' })
  paidAt!: string;

  @Field(() => MoneyAmount, { description: 'Amount paid in minor units (see currency)' })
  amountMinor!: number;

  @Field({ description: 'When the payment was recorded (a payment recorded late keeps the day it was made in paidAt)' })
  createdAt!: Date;
}

export const PaymentConnection = connectionOf(PaymentType, 'Payment');
export type PaymentConnection = InstanceType<typeof PaymentConnection>;

@ObjectType('Invoice', { simpleResolvers: true, implements: NodeInterface })
export class InvoiceType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true, description: 'Reference in the billing system' })
  externalRef?: string | null;

  @Field(() => LocalDateResolver, { description: "The day it was issued, as the billing system dated it (the invoices import's issued_at): a calendar day, no time zone" })
  issuedAt!: string;

  @Field(() => LocalDateResolver, {
    description: "The day it falls due, as the billing system dated it (the invoices import's due_at): a calendar day, no time zone. Overdue (overdueInvoices, the reminder sweep) once that day has passed in UTC",
  })
  dueAt!: string;

  @Field(() => MoneyAmount, { description: 'Amount in minor units (see currency)' })
  amountMinor!: number;

  @Field(() => LocalDateResolver, { nullable: true, description: 'Day the invoice was paid in full (one of amount 0: the day it was issued, as nothing is owed); null while open' })
  paidAt?: string | null;

  @Field(() => LocalDateResolver, {
    nullable: true,
    description: 'Day the billing system cancelled the invoice (voided, credited; the invoices import says so); null while it stands. It was never owed: nothing is chased and payment loyalty does not count it. A debt written off stays unpaid (paidAt null): the customer did not pay it',
  })
  cancelledAt?: string | null;

  @Field(() => Int, { description: 'Payment reminders that went out to the customer so far, counted as each went out (one held back before delivery is not), with those the billing system says it sent when its export carries them' })
  remindersSent!: number;

  @Field(() => MoneyAmount, {
    description:
      'Reminder fees charged on it so far, minor units: booked as each reminder goes out, so one held back (paid meanwhile, a promise, its run stopped) costs nothing; loyal payers are charged none. Kept as charged when they are reversed (feeReversedMinor)',
  })
  feeChargedMinor!: number;

  @Field(() => MoneyAmount, {
    description:
      'The part of feeChargedMinor reversed, minor units: all of it once the billing system cancelled the invoice (it was never owed, so neither are the fees for chasing it), in the same import; the fees its reminders charged once it is paid in full on a day it was not overdue (paid on time, the booking late), by recordPayment or the import that settles it; each audited as `invoice.fees-reversed` (`after.reason` `paid-on-time` for the latter); what stands is feeChargedMinor less this',
  })
  feeReversedMinor!: number;

  @Field(() => MoneyAmount, { description: 'Fees the policy would have charged but were waived, booked as each reminder goes out' })
  feeWaivedMinor!: number;

}

export const InvoiceConnection = connectionOf(InvoiceType, 'Invoice');

@ArgsType()
export class OverdueInvoicesArgs extends PageArgs {
  @Field(() => Boolean, {
    nullable: true,
    description: 'Only those nothing chases, left to a person (true; operationsStatus.overdueInvoicesLeftToPeople counts them): past the trigger sweep\'s window (TriggerPolicy.maxDaysOverdue) with no reminder run (startFairReminder chases one), or whose newest reminder run ended without completing (cancelled, terminated, failed), or as paid before the invoice opened again, or by handing it to a person (a loyal payer\'s run ended `call-scheduled` or `follow-up-requested`: the team decides how to go on) (startFairReminder starts its next run; promiseToPay starts it holding the promise); or only the others (false: chased by the sweep or a reminder run, or handed over to collections when a run completed `handed-over`); all when null. Erased customers\' invoices are in none of them: nobody may chase or contact them',
  })
  leftToPeople?: boolean | null;
}

@ArgsType()
export class CustomerInvoicesArgs extends NestedPageArgs {
  @Field(() => Boolean, { nullable: true, description: 'Only the invoices still open (true: neither paid nor cancelled, whatever is owed on them) or settled (false); all when null' })
  open?: boolean | null;
}
export type InvoiceConnection = InstanceType<typeof InvoiceConnection>;

@InputType()
export class RecordPaymentInput {
  @Field(() => ID)
  invoiceId!: string;

  @Field(() => MoneyAmount, { description: `Amount paid in minor units (see currency), 1 to ${MAX_AMOUNT_MINOR} (${MAX_AMOUNT_INTEGER_DIGITS} integer digits, as the payments import takes), and no more than is still owed on the invoice (its amount less the payments so far)` })
  amountMinor!: number;

  @Field(() => LocalDateResolver, { nullable: true, description: "Day of payment; when omitted, today in the customer's time zone (a payment on the due day is on time wherever they live), or the issue day where that today has not reached it yet. Not in the future, nor before the invoice's issue day (an invoice issued on a day not yet reached anywhere takes its payment once it is)" })
  paidAt?: string | null;

  @Field(() => String, { nullable: true, description: 'Payment reference in the billing system (the payments import\'s payment_ref), taken in Unicode NFC as the import takes it; one with an invisible or control character (a zero-width space, a direction mark) is refused (PAYMENT_INVALID). A retry with it is refused (PAYMENT_REF_TAKEN); without it, a payment sent twice is booked twice while both fit in what is owed' })
  @IsOptional()
  @Matches(/^\S{1,100}$/)
  externalRef?: string | null;
}
