import 'reflect-metadata';
import { ArgsType, Field, ID, InputType, ObjectType } from 'type-graphql';
import type { Segment } from '../../entities/index.js';
import { MAX_SEGMENT_DESCRIPTION, MAX_SEGMENT_NAME } from '../../services/segments/segment.service.js';
import { NestedPageArgs, connectionOf } from '../common/connection.js';
import { CustomerFilterType, CustomerSortInput } from '../customers/customer.types.js';
import { NodeInterface } from '../common/node.js';

@ObjectType('Segment', { simpleResolvers: true, implements: NodeInterface, description: 'A saved segment: a named customer filter for previews, reports and campaigns' })
export class SegmentType {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'Unique whatever its case, stored as people read it (in NFKC, a run of spaces as one, trimmed)' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Free text, trimmed; null without one' })
  description!: string | null;

  @Field(() => CustomerFilterType, { description: 'Who belongs: the conditions given, all of which must hold' })
  filter!: CustomerFilterType;

  @Field({ description: 'Who created it, as the audit log names callers (the role and a short fingerprint of the API key, e.g. "marketer:1a2b3c4d")' })
  createdBy!: string;

  @Field()
  createdAt!: Date;

  @Field({ description: 'When its name, description or filter last changed (createdAt until then)' })
  updatedAt!: Date;

  static from(segment: Segment): SegmentType {
    return { ...segment, description: segment.description ?? null, filter: segment.filter as CustomerFilterType };
  }
}

@InputType({ description: 'A new segment' })
export class CreateSegmentInput {
  @Field({ description: `Unique whatever its case, 1 to ${MAX_SEGMENT_NAME} characters, no control or invisible ones` })
  name!: string;

  @Field(() => String, { nullable: true, description: `At most ${MAX_SEGMENT_DESCRIPTION} characters, trimmed; left out, null, empty or blank: none` })
  description?: string | null;

  @Field(() => CustomerFilterType, { description: 'Who belongs: the same filters as the customers query' })
  filter!: CustomerFilterType;
}

@InputType({
  description:
    'Changes to a segment, a patch: a field left out or null keeps its value (null clears nothing); only the fields given change, checked as createSegment checks them. Campaigns made from it keep the filter they copied',
})
export class UpdateSegmentInput {
  @Field(() => String, { nullable: true, description: `The new name, as createSegment takes it (unique whatever its case, 1 to ${MAX_SEGMENT_NAME} characters: an empty one is refused). Left out or null: unchanged` })
  name?: string | null;

  @Field(() => String, {
    nullable: true,
    description: `The new description, at most ${MAX_SEGMENT_DESCRIPTION} characters, trimmed. "" (or blank) clears it; left out or null: unchanged`,
  })
  description?: string | null;

  @Field(() => CustomerFilterType, { nullable: true, description: 'The whole new filter, replacing the old one (a condition left out of it no longer holds). Left out or null: unchanged' })
  filter?: CustomerFilterType | null;
}

@ArgsType()
export class SegmentCustomersArgs extends NestedPageArgs {
  @Field(() => CustomerSortInput, { nullable: true, description: 'Default: newest first' })
  sort?: CustomerSortInput | null;
}

export const SegmentConnection = connectionOf(SegmentType, 'Segment');
export type SegmentConnection = InstanceType<typeof SegmentConnection>;
