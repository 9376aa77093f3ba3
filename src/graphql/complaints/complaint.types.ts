import 'reflect-metadata';
import { IsOptional, MaxLength } from 'class-validator';
import { SafeIntResolver } from 'graphql-scalars';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ComplaintSeverity } from '../../entities/index.js';
import { connectionOf } from '../common/connection.js';

registerEnumType(ComplaintSeverity, { name: 'ComplaintSeverity' });

@ObjectType('Complaint', { simpleResolvers: true, description: 'A complaint or support case' })
export class ComplaintType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true })
  externalRef?: string | null;

  @Field({ description: 'Normalised topic, e.g. "delivery-delay"; persistent issues group by it' })
  topic!: string;

  @Field(() => ComplaintSeverity)
  severity!: ComplaintSeverity;

  @Field(() => String, { nullable: true })
  summary?: string | null;

  @Field()
  openedAt!: Date;

  @Field(() => Date, { nullable: true })
  resolvedAt?: Date | null;

  @Field(() => Int)
  reopenedCount!: number;

  @Field(() => SafeIntResolver, { description: 'Cost of handling it, in minor units' })
  handlingCostMinor!: number;

  @Field({ description: 'Points at a defect of the product' })
  productDefect!: boolean;
}

export const ComplaintConnection = connectionOf(ComplaintType, 'Complaint');
export type ComplaintConnection = InstanceType<typeof ComplaintConnection>;

@InputType()
export class RecordComplaintInput {
  @Field(() => ID)
  customerId!: string;

  @Field({ description: 'Lowercase words joined by hyphens, e.g. "delivery-delay"' })
  @MaxLength(100)
  topic!: string;

  @Field(() => ComplaintSeverity)
  severity!: ComplaintSeverity;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(2000)
  summary?: string | null;

  @Field(() => Date, { nullable: true, description: 'When the customer complained; now when omitted' })
  openedAt?: Date | null;

  @Field(() => Boolean, { nullable: true })
  productDefect?: boolean | null;
}
