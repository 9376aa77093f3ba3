import 'reflect-metadata';
import { ArgsType, Field, ID, InputType, ObjectType } from 'type-graphql';
import type { Segment } from '../../entities/index.js';
import { MAX_SEGMENT_DESCRIPTION, MAX_SEGMENT_NAME } from '../../services/segments/segment.service.js';
import { NestedPageArgs, connectionOf } from '../common/connection.js';
import { CustomerFilterType, CustomerSortInput } from '../customers/customer.types.js';

@ObjectType('Segment', { simpleResolvers: true, description: 'A saved segment: a named customer filter for previews, reports and campaigns' })
export class SegmentType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => CustomerFilterType, { description: 'Who belongs: the conditions given, all of which must hold' })
  filter!: CustomerFilterType;

  @Field()
  createdBy!: string;

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;

  static from(segment: Segment): SegmentType {
    return { ...segment, description: segment.description ?? null, filter: segment.filter as CustomerFilterType };
  }
}

@InputType()
export class CreateSegmentInput {
  @Field({ description: `Unique whatever its case, 1 to ${MAX_SEGMENT_NAME} characters, no control or invisible ones` })
  name!: string;

  @Field(() => String, { nullable: true, description: `At most ${MAX_SEGMENT_DESCRIPTION} characters` })
  description?: string | null;

  @Field(() => CustomerFilterType, { description: 'Who belongs: the same filters as the customers query' })
  filter!: CustomerFilterType;
}

@InputType({ description: 'Changes to a segment; fields left out stay as they are (an empty description clears it). Campaigns made from it keep the filter they copied' })
export class UpdateSegmentInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => CustomerFilterType, { nullable: true, description: 'The whole new filter (replaces the old one)' })
  filter?: CustomerFilterType | null;
}

@ArgsType()
export class SegmentCustomersArgs extends NestedPageArgs {
  @Field(() => CustomerSortInput, { nullable: true, description: 'Default: newest first' })
  sort?: CustomerSortInput | null;
}

export const SegmentConnection = connectionOf(SegmentType, 'Segment');
export type SegmentConnection = InstanceType<typeof SegmentConnection>;
