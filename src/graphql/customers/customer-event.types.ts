import 'reflect-metadata';
import { ArgsType, Field, ObjectType, registerEnumType } from 'type-graphql';
import { CustomerEventKind } from '../../domain/customers/timeline.js';
import { NestedPageArgs, connectionOf } from '../common/connection.js';
import { MoneyAmount } from '../common/money.js';

registerEnumType(CustomerEventKind, {
  name: 'CustomerEventKind',
  description: 'What happened with a customer',
  valuesConfig: { PaymentReceived: { description: 'A payment against an invoice, one per payment recorded (a part payment too); the invoice counts as paid (InvoicePaid) once its payments cover it' } },
});

@ObjectType('CustomerEvent', { simpleResolvers: true, description: 'One thing that happened with a customer, as their timeline lists it' })
export class CustomerEventType {
  @Field()
  at!: Date;

  @Field(() => CustomerEventKind)
  kind!: CustomerEventKind;

  @Field({ description: 'The order, invoice, payment, complaint or message ID; for playbook runs the workflow ID (as the Temporal UI shows it); for a score band change `<snapshot ID>/<score kind>`' })
  ref!: string;

  @Field({ description: 'What happened, in a line, e.g. "Paid invoice 1a2b3c4d (89.00) 3 days late"' })
  summary!: string;

  @Field(() => MoneyAmount, { nullable: true, description: 'Order, invoice or payment amount, minor units' })
  amountMinor!: number | null;
}

@ArgsType()
export class TimelineArgs extends NestedPageArgs {
  @Field(() => [CustomerEventKind], { nullable: true, description: 'Only these kinds (default: all)' })
  kinds?: CustomerEventKind[] | null;
}

export const CustomerEventConnection = connectionOf(CustomerEventType, 'CustomerEvent');
export type CustomerEventConnection = InstanceType<typeof CustomerEventConnection>;
