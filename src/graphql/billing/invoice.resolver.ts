import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { Role } from '../../domain/auth/roles.js';
import { Allow } from '../auth/allow.js';
import type { GraphQLContext } from '../context.js';
import { InvoiceType, RecordPaymentInput } from './invoice.types.js';

@Resolver(() => InvoiceType)
export class InvoiceResolver {
  @Allow(Role.Operator)
  @Mutation(() => InvoiceType, { description: 'Records a payment; the invoice is paid once payments cover it. Audited.' })
  recordPayment(@Arg('input') input: RecordPaymentInput, @Ctx() ctx: GraphQLContext): Promise<InvoiceType> {
    return ctx.services.invoices.recordPayment(input, ctx.caller!.id);
  }
}
