import 'reflect-metadata';
import { SafeIntResolver } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import { connectionOf } from '../common/connection.js';

@ObjectType('Order', { simpleResolvers: true, description: 'A purchase' })
export class OrderType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true, description: 'Reference in the source system' })
  externalRef?: string | null;

  @Field()
  orderedAt!: Date;

  @Field(() => SafeIntResolver, { description: 'Amount in minor units (cents)' })
  amountMinor!: number;

  @Field(() => SafeIntResolver, { nullable: true, description: 'Contribution margin in minor units, when known' })
  marginMinor?: number | null;
}

export const OrderConnection = connectionOf(OrderType, 'Order');
export type OrderConnection = InstanceType<typeof OrderConnection>;
