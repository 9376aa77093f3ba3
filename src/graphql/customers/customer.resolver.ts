import { Args, Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import { Role } from '../../domain/auth/roles.js';
import { Allow } from '../auth/allow.js';
import type { GraphQLContext } from '../context.js';
import { CustomerConnection, CustomersArgs, CustomerType } from './customer.types.js';

@Resolver(() => CustomerType)
export class CustomerResolver {
  @Allow(Role.Viewer)
  @Query(() => CustomerConnection, { description: 'Customers, newest first' })
  customers(@Args() { first, after }: CustomersArgs, @Ctx() ctx: GraphQLContext): Promise<CustomerConnection> {
    return ctx.services.customers.list({ first, after });
  }

  @Allow(Role.Viewer)
  @Query(() => CustomerType, { nullable: true, description: 'One customer, or null when the ID is unknown' })
  customer(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<CustomerType | null> {
    return ctx.services.customers.find(id);
  }
}
