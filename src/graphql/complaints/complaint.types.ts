import 'reflect-metadata';
import { IsOptional, MaxLength } from 'class-validator';
import { LocalDateResolver } from 'graphql-scalars';
import { ArgsType, Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { COMPLAINT_SUMMARY_MAX_LENGTH } from '../../domain/complaints/summary.js';
import { TOPIC_MAX_LENGTH } from '../../domain/complaints/topic.js';
import { REF_MAX_LENGTH } from '../../domain/import/import-spec.js';
import { ComplaintSeverity } from '../../entities/index.js';
import { connectionOf } from '../common/connection.js';
import { CustomerFilterType } from '../customers/customer.types.js';
import { MoneyAmount, MoneyTotal } from '../common/money.js';

registerEnumType(ComplaintSeverity, { name: 'ComplaintSeverity' });

@ObjectType('KnownComplaintTopic', { simpleResolvers: true, description: 'A complaint topic the fix-issue policy gives a team of its own' })
export class KnownComplaintTopicType {
  @Field({ description: 'As complaints store it, e.g. "delivery-delay"' })
  topic!: string;

  @Field({ description: 'The team a fix case of this topic goes to first' })
  owner!: string;
}

@ObjectType('ComplaintTopicCatalogue', { simpleResolvers: true, description: "The topics a complaint form offers: each known topic's team, and who owns a fix of any other" })
export class ComplaintTopicCatalogueType {
  @Field(() => [KnownComplaintTopicType], { description: 'A to Z' })
  topics!: KnownComplaintTopicType[];

  @Field({ description: 'The team a fix case of a topic not listed goes to first (such a topic is taken: new issues arise; a typo of a listed one counts apart from it)' })
  defaultOwner!: string;

  @Field(() => [String], { description: 'Who a fix case moves up to, in order, after each missed deadline or fix that did not hold: with the teams, every owner a fix-case queue can be filtered by' })
  escalationChain!: string[];
}

@ObjectType('ComplaintTopic', { simpleResolvers: true, description: 'One complaint topic across the base or a segment: where fixing pays most' })
export class ComplaintTopicType {
  @Field()
  topic!: string;

  @Field(() => Int, { description: 'Complaints about it opened on or after the day, or reopened on or after it (an older complaint the customer said is not resolved); each complaint once. The other counts are of these' })
  complaints!: number;

  @Field(() => Int, { description: 'Customers who complained about it (opened or reopened a complaint) since the day' })
  customers!: number;

  @Field(() => Int, { description: "Not resolved now, of customers whose data was not erased (an erased customer's unresolved complaints stay unresolved but are no one's to answer)" })
  open!: number;

  @Field(() => Int, { description: 'Reopened on or after the day (by its last reopening; one opened since the day and reopened at all counts)' })
  reopened!: number;

  @Field(() => Int, { description: 'High or critical' })
  severe!: number;

  @Field(() => Int, { description: 'Pointing at a product defect' })
  productDefects!: number;

  @Field(() => MoneyTotal, { description: 'Cost of handling them, minor units (a total: exact up to 2^53 minor units)' })
  handlingCostMinor!: number;

  @Field(() => Float, { nullable: true, description: 'Median days from opened to resolved, of the resolved ones' })
  medianDaysToResolve!: number | null;
}

@ArgsType()
export class ComplaintTopicsArgs {
  @Field(() => LocalDateResolver, { description: 'Complaints opened or reopened from this day: not after today, nor before 1900-01-01 (VALIDATION with field since)' })
  since!: string;

  @Field(() => CustomerFilterType, { nullable: true, description: 'A segment: the same filters as the customers query' })
  filter?: CustomerFilterType | null;
}

@ObjectType('Complaint', { simpleResolvers: true, description: 'A complaint or support case' })
export class ComplaintType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true, description: "Its reference in the CRM: recordComplaint's complaintRef, the complaints import's complaint_ref" })
  externalRef?: string | null;

  @Field({ description: 'Normalised topic, e.g. "delivery-delay"; persistent issues group by it' })
  topic!: string;

  @Field(() => ComplaintSeverity)
  severity!: ComplaintSeverity;

  @Field(() => String, { nullable: true, description: "The complaint in the customer's or agent's words; null when none was given, and after the customer's personal data was erased" })
  summary?: string | null;

  @Field({ description: "When the customer complained (recordComplaint's openedAt, the complaints import's opened_at)" })
  openedAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When it was resolved; null while open (a reopen clears it)' })
  resolvedAt?: Date | null;

  @Field(() => Int)
  reopenedCount!: number;

  @Field(() => Date, { nullable: true, description: 'When it was last reopened (none for imported counts)' })
  reopenedAt?: Date | null;

  @Field(() => MoneyAmount, { description: 'Cost of handling it, in minor units' })
  handlingCostMinor!: number;

  @Field({ description: 'Points at a defect of the product' })
  productDefect!: boolean;

  @Field(() => Date, { nullable: true, description: 'When it was withdrawn as filed by mistake (withdrawComplaint); null for a complaint that stands. A withdrawn complaint is kept but counts nowhere: no persistent issue, open complaint, topic report or fix case' })
  withdrawnAt?: Date | null;

  @Field(() => String, { nullable: true, description: 'Who withdrew it, as the audit log names callers' })
  withdrawnBy?: string | null;

  @Field(() => String, { nullable: true, description: 'Why it was withdrawn' })
  withdrawnReason?: string | null;
}

export const ComplaintConnection = connectionOf(ComplaintType, 'Complaint');
export type ComplaintConnection = InstanceType<typeof ComplaintConnection>;

@InputType()
export class RecordComplaintInput {
  @Field(() => ID)
  customerId!: string;

  @Field({ description: 'Lowercase words joined by hyphens, e.g. "delivery-delay"; complaintTopicCatalogue lists the topics with a team of their own' })
  @MaxLength(TOPIC_MAX_LENGTH)
  topic!: string;

  @Field(() => ComplaintSeverity)
  severity!: ComplaintSeverity;

  @Field(() => String, { nullable: true, description: `What the complaint is about, in words: at most ${COMPLAINT_SUMMARY_MAX_LENGTH} characters` })
  @IsOptional()
  @MaxLength(COMPLAINT_SUMMARY_MAX_LENGTH)
  summary?: string | null;

  @Field(() => Date, { nullable: true, description: 'When the customer complained; now when omitted (then, without complaintRef, a call sent again records a second complaint: send complaintRef or openedAt to make a retry safe)' })
  openedAt?: Date | null;

  @Field(() => Boolean, { nullable: true })
  productDefect?: boolean | null;

  @Field(() => String, {
    nullable: true,
    description:
      `The complaint's reference in the CRM (the complaints import's complaint_ref; at most ${REF_MAX_LENGTH} characters, white space around it left out, taken in Unicode NFC as the import takes it; one with an invisible or control character, such as a zero-width space, is refused), stored as externalRef. ` +
      'Makes a retry safe: sent again for the same customer with the same topic, severity, summary and openedAt it answers the complaint stored (no second complaint or audit entry; its rescore and follow-up happen once: by the retry when the first call stopped before them, though one sent while the first call still follows up may repeat them, which changes nothing); ' +
      'with other facts, or stored for another customer, it is a CONFLICT (COMPLAINT_REF_TAKEN, naming the stored complaint). An import of the reference later updates that complaint. ' +
      'Without it, only a complaint with an explicit openedAt is recognised when sent again (same topic, severity, summary and openedAt)',
  })
  complaintRef?: string | null;
}
