import 'reflect-metadata';
import { IsOptional, Matches, MaxLength } from 'class-validator';
import { LocalDateResolver } from 'graphql-scalars';
import { ArgsType, Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { CUSTOMER_NAME_MAX_LENGTH, EMAIL_MAX_LENGTH, LOCALE_MAX_LENGTH, PHONE, PHONE_RULE, TIME_ZONE_MAX_LENGTH } from '../../domain/customers/contact.js';
import { SCORE_BANDS } from '../../domain/scoring/score-bands.js';
import { ScoreKind } from '../../domain/scoring/score-kind.js';
import { CustomerStatus, ServiceTier } from '../../entities/index.js';
import { CustomerSortField, MAX_BAND_MOVE_DAYS, MAX_SEARCH_LENGTH } from '../../services/customers/customer-query.js';
import { PageArgs, connectionOf } from '../common/connection.js';
import { MoneyTotal } from '../common/money.js';
import { NodeInterface } from '../common/node.js';

registerEnumType(ServiceTier, {
  name: 'ServiceTier',
  description: 'The service concept a customer is on (its cost to serve counts in Profitability; an account review may propose a cheaper one)',
  valuesConfig: {
    Basic: { description: 'The leanest service concept, the cheapest to serve: no cheaper one to propose' },
    Standard: { description: 'The middle service concept' },
    Premium: { description: 'The fullest service concept, the dearest to serve' },
  },
});
registerEnumType(CustomerStatus, { name: 'CustomerStatus', valuesConfig: { Erased: { description: 'The personal data was erased on request; orders, invoices and scores stay under the ID' } } });
registerEnumType(CustomerSortField, { name: 'CustomerSortField' });

export enum SortDirection {
  Asc = 'asc',
  Desc = 'desc',
}
registerEnumType(SortDirection, { name: 'SortDirection' });

@ObjectType('Customer', { simpleResolvers: true, implements: NodeInterface })
export class CustomerType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true, description: 'Identifier in the source CRM or billing system' })
  externalRef?: string | null;

  @Field()
  name!: string;

  @Field()
  email!: string;

  @Field(() => String, { nullable: true })
  phone?: string | null;

  @Field({ description: 'IANA time zone, used for quiet hours' })
  timeZone!: string;

  @Field({ description: 'Language, a BCP 47 tag (e.g. "de", "de-AT"): messages are written in it where a translation exists (German), else in English' })
  locale!: string;

  @Field(() => ServiceTier)
  serviceTier!: ServiceTier;

  @Field(() => CustomerStatus)
  status!: CustomerStatus;

  @Field({ description: 'Whether the customer agreed to marketing contact' })
  marketingConsent!: boolean;

  @Field(() => LocalDateResolver, {
    description: "The day the customer was won, a calendar day with no time zone: the customers import's acquired_at as the source dated it (else the import's day, UTC), moved back to the day (UTC) of their first order if that is earlier",
  })
  acquiredAt!: string;

  @Field(() => MoneyTotal, {
    description:
      "Lifetime revenue, minor units: the sum of the amounts of all the customer's orders (the Revenue sort's value), kept current by the database as orders come in; 0 without orders (a total: exact up to 2^53 minor units)",
  })
  revenueMinor!: number;

  @Field({ description: 'When the record was made here (by an import); when the customer was won is acquiredAt' })
  createdAt!: Date;
}

@ObjectType('CustomerErasure', { simpleResolvers: true, description: 'What erasing a customer\'s personal data took out (all zero when it was erased before)' })
export class CustomerErasureType {
  @Field(() => CustomerType)
  customer!: CustomerType;

  @Field(() => Int, { description: 'Complaints whose free text was deleted (topics and dates stay)' })
  complaintTextsCleared!: number;

  @Field(() => Int, { description: "Invoices whose dispute reason (the customer's words on why they disputed it) was deleted; when it was disputed and how it was resolved stay" })
  disputeReasonsCleared!: number;

  @Field(() => Int, { description: 'Data exports deleted (made when the customer was offboarded)' })
  exportsDeleted!: number;

  @Field(() => Int, { description: 'Messages still queued for the customer, held back' })
  queuedMessagesHeldBack!: number;

  @Field(() => Int, { description: 'Audit entries of earlier contact-data changes whose personal fields were removed' })
  auditEntriesScrubbed!: number;
}

export const CustomerConnection = connectionOf(CustomerType, 'Customer');
export type CustomerConnection = InstanceType<typeof CustomerConnection>;

const bandsByKind = Object.entries(ScoreKind)
  .filter(([, kind]) => SCORE_BANDS[kind].length > 0)
  .map(([name, kind]) => `${name}: ${SCORE_BANDS[kind].join(', ')}`)
  .join('; ');

// One class for both directions: what a client gives, and what a saved segment or a campaign shows it keeps.
@ObjectType('ScoreFilter', { simpleResolvers: true, description: 'A condition on a current score, as a saved segment or a campaign keeps it' })
@InputType('ScoreFilterInput', { description: 'Customers whose current score of this kind has one of the bands (or, with withoutBand, no band) and a value within min..max (each optional)' })
export class ScoreFilterType {
  @Field(() => ScoreKind)
  kind!: ScoreKind;

  @Field(() => [String], { nullable: true, description: `Any of these bands. ${bandsByKind} (Clv has none)` })
  bands?: string[] | null;

  @Field(() => Boolean, {
    nullable: true,
    description:
      "true: customers whose current score of this kind has no band, those scoreDistribution counts as withoutBand (Profitability not judged: no margin to judge by, never bought; Rfm not ranked without a purchase; every Clv). Not with bands (VALIDATION); false or null: no condition on it. Profitability's too-new is a band (a judged loss in the first 90 days), not this",
  })
  withoutBand?: boolean | null;

  @Field(() => Float, { nullable: true, description: 'Value at least this' })
  min?: number | null;

  @Field(() => Float, { nullable: true, description: 'Value at most this' })
  max?: number | null;
}

@ObjectType('BandMoveFilter', { simpleResolvers: true, description: 'A condition on a recent move between bands, as a saved segment or a campaign keeps it' })
@InputType('BandMoveFilterInput', { description: 'Customers whose score of this kind moved out of one of `from` into one of `to` (each optional) within the last `withinDays` days, e.g. became high churn risk this week' })
export class BandMoveFilterType {
  @Field(() => ScoreKind, { description: 'A score with bands (not Clv)' })
  kind!: ScoreKind;

  @Field(() => [String], { nullable: true, description: 'Out of any of these bands' })
  from?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Into any of these bands' })
  to?: string[] | null;

  @Field(() => Int, { description: `Days back from now, 1 to ${MAX_BAND_MOVE_DAYS}: relative, so a saved segment keeps meaning "lately"` })
  withinDays!: number;

  @Field(() => Boolean, { nullable: true, description: "Only each customer's latest move of the score: those who have moved back since are left out (who became high risk this week and still is)" })
  latestOnly?: boolean | null;
}

@ObjectType('CustomerFilter', { simpleResolvers: true, description: 'Who belongs to a saved segment or a campaign: the conditions that were given' })
@InputType('CustomerFilterInput', { description: 'Every field given narrows the list (AND); a list left empty, like one left out, does not narrow it' })
export class CustomerFilterType {
  @Field(() => [CustomerStatus], { nullable: true })
  status?: CustomerStatus[] | null;

  @Field(() => [ServiceTier], { nullable: true })
  serviceTier?: ServiceTier[] | null;

  @Field(() => String, { nullable: true, description: `Case-insensitive text contained in name or e-mail address (at most ${MAX_SEARCH_LENGTH} characters); compared in Unicode NFC, as names and addresses are stored, so a decomposed "ü" finds the "ü" a keyboard types` })
  search?: string | null;

  @Field(() => Boolean, { nullable: true, description: "A complaint ticket is open (not resolved; an erased customer's are no one's to answer and do not count)" })
  hasOpenComplaint?: boolean | null;

  @Field(() => Boolean, {
    nullable: true,
    description: "A complaint or a persistent issue's fix case is open: while it is, the contact guard holds marketing back (reason open-complaint); false leaves out whom a campaign's marketing could not reach",
  })
  hasOpenIssue?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  marketingConsent?: boolean | null;

  @Field(() => [String], { nullable: true, description: `RFM segments of the latest RFM score (its band): ${SCORE_BANDS[ScoreKind.Rfm].join(', ')}` })
  segment?: string[] | null;

  @Field(() => [String], { nullable: true, description: `Bands of the latest churn-risk score: ${SCORE_BANDS[ScoreKind.ChurnRisk].join(', ')}` })
  riskBand?: string[] | null;

  @Field(() => [ScoreFilterType], { nullable: true, description: 'Conditions on current scores, all of which must hold; a customer without that score does not match' })
  scores?: ScoreFilterType[] | null;

  @Field(() => LocalDateResolver, { nullable: true, description: 'Acquired on this day or later: not before 1900-01-01 (a typo; VALIDATION/CUSTOMER_INVALID_INPUT with field filter.acquiredFrom), nor after acquiredTo' })
  acquiredFrom?: string | null;

  @Field(() => LocalDateResolver, { nullable: true, description: 'Acquired on this day or earlier: not before 1900-01-01 (a typo; VALIDATION/CUSTOMER_INVALID_INPUT with field filter.acquiredTo)' })
  acquiredTo?: string | null;

  @Field(() => BandMoveFilterType, { nullable: true, description: 'A recent move between bands of a score' })
  bandMoved?: BandMoveFilterType | null;
}

@InputType()
export class CustomerSortInput {
  @Field(() => CustomerSortField)
  field!: CustomerSortField;

  @Field(() => SortDirection, { defaultValue: SortDirection.Desc, description: 'Desc by default, for every field: give Asc for A to Z by name' })
  direction!: SortDirection;

  @Field(() => ScoreKind, { nullable: true, description: 'Which score, when field is Score (default ChurnRisk); Rfm by segment in scoreBands order (Champions first when Desc), then by the code within it; with another field refused (VALIDATION, CUSTOMER_INVALID_INPUT)' })
  scoreKind?: ScoreKind | null;
}

@ArgsType()
export class CustomersArgs extends PageArgs {
  @Field(() => CustomerFilterType, { nullable: true })
  filter?: CustomerFilterType | null;

  @Field(() => CustomerSortInput, { nullable: true, description: 'Default: newest first' })
  sort?: CustomerSortInput | null;
}

@InputType({ description: 'Fields left out (or null) stay as they are; phone: null clears it' })
export class UpdateCustomerInput {
  @Field(() => String, { nullable: true, description: `Not empty, at most ${CUSTOMER_NAME_MAX_LENGTH} characters, no control or invisible ones (a zero-width joiner or non-joiner between two characters that show is spelling); trimmed` })
  // Counted by the service, in NFC as stored (a decomposed name is longer as sent than as stored).
  @IsOptional()
  name?: string | null;

  @Field(() => String, { nullable: true, description: `An e-mail address (name@domain.tld), at most ${EMAIL_MAX_LENGTH} characters; kept trimmed and in lower case` })
  @IsOptional()
  @MaxLength(EMAIL_MAX_LENGTH)
  email?: string | null;

  @Field(() => String, { nullable: true, description: `A phone number: ${PHONE_RULE}; null or empty clears it` })
  @IsOptional()
  @Matches(PHONE, { message: `phone is not a phone number (${PHONE_RULE})` })
  phone?: string | null;

  @Field(() => String, { nullable: true, description: `IANA time zone, e.g. "Europe/Berlin", at most ${TIME_ZONE_MAX_LENGTH} characters` })
  @IsOptional()
  @MaxLength(TIME_ZONE_MAX_LENGTH)
  timeZone?: string | null;

  @Field(() => String, { nullable: true, description: `Language, a BCP 47 tag, e.g. "de" or "de-AT", at most ${LOCALE_MAX_LENGTH} characters` })
  @IsOptional()
  @MaxLength(LOCALE_MAX_LENGTH)
  locale?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Consent to marketing; giving it where the customer has none (after an opt-out or the unsubscribe link, or never given) needs consentReason' })
  marketingConsent?: boolean | null;

  @Field(() => String, {
    nullable: true,
    description:
      'How the customer gave marketing consent (e.g. "asked for offers on the phone, 3 December"), at most 1000 characters: required with marketingConsent true where they have none (VALIDATION, CUSTOMER_INVALID_INPUT, field input.consentReason); audited, and shown as `how` in their data export\'s consentHistory. Refused without marketingConsent true in the same input (VALIDATION, CUSTOMER_INVALID_INPUT, field input.consentReason): it is not taken with any other change',
  })
  consentReason?: string | null;
}
