import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Role } from '../../domain/auth/roles.js';
import type { Customer, Invoice, Payment } from '../../entities/index.js';
import { CustomerType } from '../customers/customer.types.js';
import type { Page } from '../../services/common/pagination.js';
import { Allow } from '../auth/allow.js';
import { NestedPageArgs, pageComplexity } from '../common/connection.js';
import { MoneyAmount } from '../common/money.js';
import type { GraphQLContext } from '../context.js';
import { DisputeOutcomeValue, InvoiceConnection, InvoiceDisputeType, InvoiceType, OverdueInvoicesArgs, PaymentConnection, RecordPaymentInput } from './invoice.types.js';

// Nested page arguments are checked by the service, not class-validator (see validate-args.ts).
@Resolver(() => InvoiceType)
export class InvoiceResolver {
  @Allow(Role.Operator)
  @Mutation(() => InvoiceType, { description: 'Records a payment; the invoice is paid once payments cover it (paidMinor, outstandingMinor and payments show a part payment). Audited.' })
  recordPayment(@Arg('input') input: RecordPaymentInput, @Ctx() ctx: GraphQLContext): Promise<InvoiceType> {
    return ctx.services.invoices.recordPayment(input, ctx.caller!.id);
  }

  @Allow(Role.Operator)
  @Mutation(() => InvoiceType, {
    description:
      "The customer disputes the invoice (wrong amount, goods not received; `reason` says what, required): until the dispute is resolved (resolveDispute) its reminder run holds before its next step (nothing sent, no fee; the run's step reads `disputed`), what still chases it queued (a reminder held for the customer's quiet hours, a call task, the collections letter) is held back (`invoice-disputed: …`, audited `message.held-back`), the trigger sweep starts none, startFairReminder and promiseToPay are refused (CONFLICT/INVOICE_DISPUTED), overdueInvoices shows it (`dispute`, and in leftToPeople: a person resolves it), and payment loyalty leaves the disputed days out (the invoice is judged as due that many days later; disputed again, the days of its earlier disputes stay left out). Audited as `invoice.dispute`; in the customer's timeline (`InvoiceDisputed`, each dispute, with the reason) and data export (their invoice's `disputes`); their erasure clears the reason (the customer's words), in both. NOT_FOUND/INVOICE_NOT_FOUND; CONFLICT/INVOICE_ALREADY_DISPUTED while a dispute of it is open, INVOICE_ALREADY_PAID, INVOICE_CANCELLED, CUSTOMER_ERASED (no words of an erased customer are entered again); VALIDATION/DISPUTE_REASON_REQUIRED (field `reason`) for a blank reason, VALIDATION/DISPUTE_REASON_TOO_LONG for one over 1000 characters",
  })
  disputeInvoice(@Arg('invoiceId', () => ID) invoiceId: string, @Arg('reason') reason: string, @Ctx() ctx: GraphQLContext): Promise<Invoice> {
    return ctx.services.disputes.dispute(invoiceId, reason, ctx.caller!.id);
  }

  @Allow(Role.Operator)
  @Mutation(() => InvoiceType, {
    description:
      'Resolves the invoice\'s open dispute: `Rejected` (the invoice stands: its reminder run goes on, the step it held waiting its full time again, and sends a reminder the dispute held back in that step\'s place; a call task or collections letter it held back goes after the promise policy\'s grace days) or `Upheld` (the customer is right: its reminder run is cancelled, what the dispute held back stays held back (`dispute-upheld: …`) and the sweep does not chase it again; billing corrects or cancels the invoice through its import, a person may start reminders for a corrected invoice still owed). `reason` (optional) is kept in the audit entry `invoice.dispute-resolved`. The customer\'s timeline shows the resolution (`InvoiceDisputeResolved`: the outcome, and the reason if any). The disputed days stay left out of payment loyalty either way. NOT_FOUND/INVOICE_NOT_FOUND; CONFLICT/INVOICE_NOT_DISPUTED when no dispute of it is open; VALIDATION/DISPUTE_REASON_TOO_LONG (field `reason`) for a reason over 1000 characters',
  })
  resolveDispute(
    @Arg('invoiceId', () => ID) invoiceId: string,
    @Arg('outcome', () => DisputeOutcomeValue) outcome: DisputeOutcomeValue,
    @Arg('reason', () => String, { nullable: true }) reason: string | null | undefined,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Invoice> {
    return ctx.services.disputes.resolve(invoiceId, outcome, reason, ctx.caller!.id);
  }

  @Allow(Role.Viewer)
  @Query(() => InvoiceType, {
    nullable: true,
    description: "One invoice, or null when the ID is unknown: where one invoice's payments page on (under a customer's invoices each gives its first page, as a cursor there is one invoice's)",
  })
  invoice(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<Invoice | null> {
    return ctx.services.invoices.find(id);
  }

  @Allow(Role.Operator)
  @Query(() => InvoiceConnection, { description: 'Open invoices past their due day, oldest due first, each with its customer: an operator\'s queue (leftToPeople: those nothing chases, left to a person), never an erased customer\'s (nobody may chase or contact them)', complexity: pageComplexity })
  overdueInvoices(@Args() { leftToPeople, ...page }: OverdueInvoicesArgs, @Ctx() ctx: GraphQLContext): Promise<InvoiceConnection> {
    return ctx.services.invoices.overdue({ leftToPeople }, page);
  }

  @FieldResolver(() => InvoiceDisputeType, { nullable: true, description: "The customer's dispute of it (disputeInvoice): open (resolvedAt null) or the last one resolved; null when never disputed" })
  dispute(@Root() invoice: Invoice): InvoiceDisputeType | null {
    if (!invoice.disputedAt) return null;
    return { disputedAt: invoice.disputedAt, reason: invoice.disputeReason ?? '', resolvedAt: invoice.disputeResolvedAt ?? null, outcome: (invoice.disputeOutcome as DisputeOutcomeValue | null) ?? null };
  }

  /** Batched with the page's other invoices (the customer service's loader). */
  @FieldResolver(() => CustomerType, { description: 'Whose invoice it is' })
  customer(@Root() invoice: Invoice, @Ctx() ctx: GraphQLContext): Promise<Customer> {
    return ctx.services.customers.get(invoice.customer.id);
  }

  @FieldResolver(() => MoneyAmount, { description: 'What its recorded payments add up to, in minor units (batched across a page)' })
  paidMinor(@Root() invoice: Invoice, @Ctx() ctx: GraphQLContext): Promise<number> {
    return ctx.services.invoices.paidMinor(invoice.id);
  }

  @FieldResolver(() => MoneyAmount, {
    description:
      'What is still owed, in minor units: amountMinor less paidMinor, never below 0, and 0 once paidAt is set (also for an invoice settled without a recorded payment) or cancelledAt. Reminder fees are not part of it: an invoice is paid once its payments cover amountMinor',
  })
  outstandingMinor(@Root() invoice: Invoice, @Ctx() ctx: GraphQLContext): Promise<number> {
    return ctx.services.invoices.outstandingMinor(invoice);
  }

  @FieldResolver(() => PaymentConnection, { description: 'Payments recorded against it, newest first (by the day paid)', complexity: pageComplexity })
  payments(@Root() invoice: Invoice, @Args() args: NestedPageArgs, @Ctx() ctx: GraphQLContext): Page<Payment> | Promise<Page<Payment>> {
    return ctx.services.invoices.paymentsOf(invoice.id, args);
  }
}
