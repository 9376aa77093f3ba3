import 'reflect-metadata';
import { Field, ID, ObjectType } from 'type-graphql';
import { connectionOf } from '../common/connection.js';
import { MoneyAmount } from '../common/money.js';

@ObjectType('Order', { simpleResolvers: true, description: 'A purchase' })
export class OrderType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true, description: 'Reference in the source system' })
  externalRef?: string | null;

  @Field({ description: 'When the order was placed (the orders import\'s ordered_at)' })
  orderedAt!: Date;

  @Field(() => MoneyAmount, { description: 'Amount in minor units (see currency)' })
  amountMinor!: number;

  @Field(() => MoneyAmount, { nullable: true, description: 'Contribution margin in minor units, when known' })
  marginMinor?: number | null;
}

export const OrderConnection = connectionOf(OrderType, 'Order');
export type OrderConnection = InstanceType<typeof OrderConnection>;
