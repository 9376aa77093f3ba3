import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Role } from '../../domain/auth/roles.js';
import type { Customer, Invoice, Payment } from '../../entities/index.js';
import { CustomerType } from '../customers/customer.types.js';
import type { Page } from '../../services/common/pagination.js';
import { Allow } from '../auth/allow.js';
import { NestedPageArgs, pageComplexity } from '../common/connection.js';
import { MoneyAmount } from '../common/money.js';
import type { GraphQLContext } from '../context.js';
import { InvoiceConnection, InvoiceType, OverdueInvoicesArgs, PaymentConnection, RecordPaymentInput } from './invoice.types.js';

// Nested page arguments are checked by the service, not class-validator (see validate-args.ts).
@Resolver(() => InvoiceType)
export class InvoiceResolver {
  @Allow(Role.Operator)
  @Mutation(() => InvoiceType, { description: 'Records a payment; the invoice is paid once payments cover it (paidMinor, outstandingMinor and payments show a part payment). Audited.' })
  recordPayment(@Arg('input') input: RecordPaymentInput, @Ctx() ctx: GraphQLContext): Promise<InvoiceType> {
    return ctx.services.invoices.recordPayment(input, ctx.caller!.id);
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
