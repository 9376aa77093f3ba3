import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Role } from '../../domain/auth/roles.js';
import type { Customer } from '../../entities/index.js';
import type { MessageView } from '../../services/outbox/message-history.service.js';
import { Allow } from '../auth/allow.js';
import { PageArgs, pageComplexity } from '../common/connection.js';
import type { GraphQLContext } from '../context.js';
import { CustomerType } from '../customers/customer.types.js';
import { MessageConnection, MessageType } from './message.types.js';

@Resolver(() => MessageType)
export class MessageResolver {
  @Allow(Role.Operator)
  @Query(() => MessageConnection, { description: 'Messages the channel refused for good, or until delivery gave up, or whose hand-over to the channel was interrupted (they may have gone out): they wait for a person to retry or discard them; oldest first', complexity: pageComplexity })
  undeliverableMessages(@Args() args: PageArgs, @Ctx() ctx: GraphQLContext): Promise<MessageConnection> {
    return ctx.services.undeliverable.list(args);
  }

  @Allow(Role.Operator)
  @Mutation(() => MessageType, { description: 'Sends a message delivery gave up on (refused, or its hand-over interrupted and the customer did not get it) again in the next delivery round, with a fresh count of attempts (e.g. after the address was corrected); one chasing payment while a promise to pay stands is held until the promise ends (sendAfter), and a reminder its run\'s later messages overtook is refused (MESSAGE_OVERTAKEN); audited' })
  retryMessage(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<MessageView> {
    return ctx.services.undeliverable.retry(id, ctx.caller!.id);
  }

  @Allow(Role.Operator)
  @Mutation(() => MessageType, {
    description: 'Records a message whose hand-over to the channel was interrupted (interruptedAt) as sent, once you found that the customer got it: a reminder is then booked on its invoice with its fee, as one delivery sends; audited',
  })
  confirmMessageSent(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<MessageView> {
    return ctx.services.undeliverable.confirmSent(id, ctx.caller!.id);
  }

  @Allow(Role.Operator)
  @Mutation(() => MessageType, { description: 'Gives a message not yet sent up for good, with a reason: it is never sent (also a reminder a promise to pay holds back, which its run would send again if the promise lapsed unpaid); audited' })
  discardMessage(@Arg('id', () => ID) id: string, @Arg('reason') reason: string, @Ctx() ctx: GraphQLContext): Promise<MessageView> {
    return ctx.services.undeliverable.discard(id, reason, ctx.caller!.id);
  }

  /** Batched with the page's other messages (the customer service's loader). */
  @FieldResolver(() => CustomerType, { description: 'Whom it is to (or about, for a team)' })
  customer(@Root() message: MessageView, @Ctx() ctx: GraphQLContext): Promise<Customer> {
    return ctx.services.customers.get(message.customerId);
  }
}
