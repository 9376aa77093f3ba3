import type { GraphQLResolveInfo } from 'graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Args, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Role } from '../../domain/auth/roles.js';
import { ScoreKind } from '../../domain/scoring/score-kind.js';
import type { Customer, PlaybookRun } from '../../entities/index.js';
import { mapPage, type Page } from '../../services/common/pagination.js';
import { MAX_SCORE_HISTORY, type ScoreRecord, type ScoreView } from '../../services/scores/score.service.js';
import { Allow } from '../auth/allow.js';
import { listComplexity, NestedPageArgs, pageComplexity } from '../common/connection.js';
import type { GraphQLContext } from '../context.js';
import { CustomerInvoicesArgs, InvoiceConnection } from '../billing/invoice.types.js';
import { MoneyTotal } from '../common/money.js';
import { ComplaintConnection } from '../complaints/complaint.types.js';
import { OrderConnection } from '../orders/order.types.js';
import { ENTITLED_OFFERS_COST_SIZE, EntitledOfferType } from '../offers/offer.types.js';
import { MessageConnection } from '../messages/message.types.js';
import { asRunType, PlaybookRunConnection, selectsLiveState, type PlaybookRunType } from '../playbooks/playbook-run.types.js';
import { ScoreConnection, ScoreHistoryPositionInput, ScoreType, ScoreValuesArgs } from '../scores/score.types.js';
import { selectedFields } from '../common/selection.js';
import { customerPageIncludes } from './customer-page-includes.js';
import { CustomerEventConnection, TimelineArgs } from './customer-event.types.js';
import { ContactStatusType } from './contact-status.types.js';
import { CustomerConnection, CustomerErasureType, CustomersArgs, CustomerType, UpdateCustomerInput } from './customer.types.js';

// Nested page arguments are checked by the services, not class-validator (see validate-args.ts).
@Resolver(() => CustomerType)
export class CustomerResolver {
  @Allow(Role.Viewer)
  @Query(() => CustomerConnection, { description: 'Customers, filtered and sorted (default: newest first)', complexity: pageComplexity })
  customers(@Args() { first, after, last, before, filter, sort }: CustomersArgs, @Ctx() ctx: GraphQLContext, @Info() info: GraphQLResolveInfo): Promise<CustomerConnection> {
    return ctx.services.customers.list({ first, after, last, before, filter, sort }, customerPageIncludes(info));
  }

  @Allow(Role.Viewer)
  @Query(() => CustomerType, { nullable: true, description: 'One customer, or null when the ID is unknown' })
  customer(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<CustomerType | null> {
    return ctx.services.customers.find(id);
  }

  @Allow(Role.Operator)
  @Mutation(() => CustomerType, { description: 'Changes contact data or marketing consent; audited' })
  updateCustomer(@Arg('id', () => ID) id: string, @Arg('input') input: UpdateCustomerInput, @Ctx() ctx: GraphQLContext): Promise<CustomerType> {
    return ctx.services.customers.updateContact(id, input, ctx.caller!.id);
  }

  @Allow(Role.Operator)
  @Mutation(() => CustomerType, { description: 'The customer opts out of marketing: consent withdrawn and queued marketing messages held back at once; service messages still go. Idempotent; audited' })
  optOut(@Arg('customerId', () => ID) customerId: string, @Ctx() ctx: GraphQLContext): Promise<CustomerType> {
    return ctx.services.customers.optOut(customerId, ctx.caller!.id);
  }

  @Allow(Role.Admin)
  @Mutation(() => CustomerErasureType, {
    description:
      'Erases the customer\'s personal data on request (GDPR Art. 17): contact data, complaint texts, invoice dispute reasons, data exports and the audit log\'s copies; queued messages held back. Orders, invoices and scores stay under the ID. CONFLICT while a playbook runs for them. Idempotent; audited',
  })
  eraseCustomer(@Arg('id', () => ID) id: string, @Arg('reason', { description: 'Why, e.g. the request it answers' }) reason: string, @Ctx() ctx: GraphQLContext): Promise<CustomerErasureType> {
    return ctx.services.erasure.erase(id, reason, ctx.caller!.id);
  }

  @Allow(Role.Operator)
  @Mutation(() => GraphQLJSONObject, {
    description:
      'Everything stored about the customer, for a request for access (GDPR Art. 15) or portability (Art. 20): contact data, orders, invoices with payments, complaints, messages, playbook runs, and scores (current ones and every one stored before) with their reasons; for an erased customer what the erasure kept, and when it took their contact data. Audited with the reason; the document is not kept',
  })
  exportCustomerData(@Arg('id', () => ID) id: string, @Arg('reason', { description: 'Why, e.g. the request it answers' }) reason: string, @Ctx() ctx: GraphQLContext): Promise<Record<string, unknown>> {
    return ctx.services.dataExport.forRequest(id, reason, ctx.caller!.id);
  }

  @FieldResolver(() => ContactStatusType, { nullable: true, description: "What may be sent to the customer now, and why not (batched across a page); null only when the customer's record is gone by the time it is read" })
  async contactStatus(@Root() customer: Customer, @Ctx() ctx: GraphQLContext): Promise<ContactStatusType | null> {
    const status = await ctx.services.contactStatus.forCustomer(customer.id);
    return status && ContactStatusType.from(status);
  }

  @FieldResolver(() => [EntitledOfferType], {
    description:
      "The offers the customer may be given today under the fairness rule (no offer for new customers that an existing customer of the same profile cannot get), the biggest discount first: the discount offers for existing and all customers open today that leave them on their tier, and the best new customers' offer when it beats those (matchesNewCustomerOffer). Staff and front ends read it to honour the rule after the year's thank-you was written (a better offer launched since is not sent to them). Empty for a customer who left or was erased. Batched across a page",
    complexity: ({ childComplexity }) => 1 + childComplexity * ENTITLED_OFFERS_COST_SIZE,
  })
  entitledOffers(@Root() customer: Customer, @Ctx() ctx: GraphQLContext): Promise<EntitledOfferType[]> {
    return ctx.services.offers.entitledFor(customer.id);
  }

  @FieldResolver(() => CustomerEventConnection, {
    description:
      'Everything that happened with the customer in one list, newest first, each event of a kind CustomerEventKind lists (orders, invoices and their disputes, payments, complaints and fix cases, messages, playbook runs and their decisions, campaigns, score band moves, promises to pay, tier and consent changes, ...); `kinds` keeps only those kinds (an empty list, like none, keeps all)',
    complexity: pageComplexity,
  })
  timeline(@Root() customer: Customer, @Args() { first, after, last, before, kinds }: TimelineArgs, @Ctx() ctx: GraphQLContext): Promise<CustomerEventConnection> {
    return ctx.services.timeline.forCustomer(customer.id, { first, after, last, before, kinds });
  }

  @FieldResolver(() => OrderConnection, { description: 'Newest first', complexity: pageComplexity })
  orders(@Root() customer: Customer, @Args() args: NestedPageArgs, @Ctx() ctx: GraphQLContext, @Info() info: GraphQLResolveInfo): OrderConnection | Promise<OrderConnection> {
    return ctx.services.orders.forCustomer(customer.id, args, selectedFields(info, 'edges', 'node'));
  }

  @FieldResolver(() => InvoiceConnection, { description: 'Newest first (by the day issued); open: only those still open, or settled', complexity: pageComplexity })
  invoices(@Root() customer: Customer, @Args() { open, ...args }: CustomerInvoicesArgs, @Ctx() ctx: GraphQLContext): Promise<InvoiceConnection> {
    return ctx.services.invoices.forCustomer(customer.id, args, open ?? null);
  }

  @FieldResolver(() => MoneyTotal, {
    description: "What the customer still owes on their invoices, minor units: the sum of each open invoice's outstandingMinor (0 when all are paid or cancelled); batched across a page of customers",
  })
  outstandingMinor(@Root() customer: Customer, @Ctx() ctx: GraphQLContext): Promise<number> {
    return ctx.services.invoices.owedBy(customer.id);
  }

  @FieldResolver(() => ComplaintConnection, { description: 'Newest first', complexity: pageComplexity })
  complaints(@Root() customer: Customer, @Args() args: NestedPageArgs, @Ctx() ctx: GraphQLContext): Promise<ComplaintConnection> {
    return ctx.services.complaints.forCustomer(customer.id, args);
  }

  @FieldResolver(() => MessageConnection, { description: 'What the playbooks sent the customer (or a team about them), and what a guard held back; newest first', complexity: pageComplexity })
  messages(@Root() customer: Customer, @Args() args: NestedPageArgs, @Ctx() ctx: GraphQLContext): Promise<MessageConnection> {
    return ctx.services.messages.forCustomer(customer, args);
  }

  @FieldResolver(() => CustomerConnection, { description: 'Customers this one brought in, newest first', complexity: pageComplexity })
  referrals(@Root() customer: Customer, @Args() args: NestedPageArgs, @Ctx() ctx: GraphQLContext): Promise<CustomerConnection> {
    return ctx.services.customers.referralsOf(customer.id, args);
  }

  @FieldResolver(() => CustomerType, { nullable: true, description: 'Who brought this customer in' })
  referrer(@Root() customer: Customer, @Ctx() ctx: GraphQLContext): Promise<CustomerType | null> {
    return ctx.services.customers.referrerOf(customer);
  }

  @FieldResolver(() => [ScoreType], {
    description:
      'The latest value of each score the customer has: none before their first scoring; ChurnRisk and Clv only once they have bought (the models need a purchase; with value null and the reasons while the base cannot fit them); the other kinds for every customer scored, Rfm with value and band null until a rescore ranks them among the buyers (no purchase yet)',
  })
  scores(@Root() customer: Customer, @Ctx() ctx: GraphQLContext, @Info() info: GraphQLResolveInfo): ScoreView[] | Promise<ScoreView[]> {
    return ctx.services.scores.latestFor(customer.id, selectedFields(info));
  }

  @FieldResolver(() => ScoreConnection, {
    description:
      "Every value one score of the customer has had (the current one first), by the day each describes (asOf), the newest day first; values of the same day by when they were computed (computedAt), the last first, then by id. A rescore of a past day (a backfill), however late it ran, stands among that day's neighbours. Every value computed in the last 90 days; of older ones, the latest day's of each week they were computed in (of each month after two years). A cursor of another customer's or another score's history is refused (INVALID_CURSOR)",
    complexity: pageComplexity,
  })
  scoreValues(@Root() customer: Customer, @Args() { kind, ...args }: ScoreValuesArgs, @Ctx() ctx: GraphQLContext): Promise<Page<ScoreRecord>> {
    return ctx.services.scores.historyPage(customer.id, kind, args);
  }

  @FieldResolver(() => [ScoreType], {
    deprecationReason:
      'A plain list, not a connection: its last counts from the newest end (on every connection of the schema, from the oldest), and after is a position filled in by hand, without pageInfo. Use scoreValues (first/after, last/before, pageInfo; the same order)',
    description:
      "Earlier values of one score, by the day each describes (asOf), the newest day first; values of the same day by when they were computed (computedAt), the last first, then by id. A rescore of a past day (a backfill), however late it ran, stands among that day's neighbours. Page further back with after (the page's last value). Every value computed in the last 90 days; of older ones, the latest day's of each week they were computed in (of each month after two years)",
    // Up to `last` values, each with its reasons: costs as a page of that size does.
    complexity: listComplexity('last', 10, MAX_SCORE_HISTORY),
  })
  scoreHistory(
    @Root() customer: Customer,
    @Arg('kind', () => ScoreKind) kind: ScoreKind,
    @Arg('last', () => Int, { defaultValue: 10, description: `How many, 1 to ${MAX_SCORE_HISTORY}` }) last: number,
    @Arg('before', () => Date, {
      nullable: true,
      description: 'Only values computed before this time (a filter: the history as it stood then, less what thinning has removed since)',
      deprecationReason:
        'Not a position in the list (ordered by asOf, not computedAt): paging with the oldest computedAt of a page skips the values of earlier days computed later (a backfill). Page with after',
    })
    before: Date | null,
    @Arg('after', () => ScoreHistoryPositionInput, { nullable: true, description: "The last value of the previous page (its asOf, computedAt and id), to list those after it in the history's order" })
    after: ScoreHistoryPositionInput | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ScoreView[]> {
    return ctx.services.scores.historyFor(customer.id, kind, last, { before, after });
  }

  @FieldResolver(() => PlaybookRunConnection, { description: 'Playbook runs, newest first; fields of their live state cost one Temporal query per run', complexity: pageComplexity })
  async playbookRuns(@Root() customer: Customer, @Args() args: NestedPageArgs, @Ctx() ctx: GraphQLContext, @Info() info: GraphQLResolveInfo): Promise<Page<PlaybookRun | PlaybookRunType>> {
    return mapPage(await ctx.services.playbooks.runsOfCustomer(customer.id, args, { live: selectsLiveState(selectedFields(info, 'edges', 'node')) }), asRunType);
  }
}
