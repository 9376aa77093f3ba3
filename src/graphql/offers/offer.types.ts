import 'reflect-metadata';
import { LocalDateResolver } from 'graphql-scalars';
import { ArgsType, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { OfferAudience, ServiceTier } from '../../entities/index.js';
import { PageArgs, connectionOf } from '../common/connection.js';

registerEnumType(OfferAudience, {
  name: 'OfferAudience',
  description: 'Whom an offer is for; whatever new customers get, existing ones are offered at least as much (fairness rule)',
});

@ObjectType('OfferName', { simpleResolvers: true, description: "An offer's name in another language than its own" })
export class OfferNameType {
  @Field({ description: 'The language: its 2 or 3 letter code, the primary subtag of a customer\'s locale (de for de-AT)' })
  language!: string;

  @Field()
  name!: string;
}

@InputType('OfferNameInput')
export class OfferNameInput {
  @Field({ description: 'The language: its 2 letter code where it has one (de, not deu), else its 3 letter code (gsw); a customer whose locale is in it (de-AT, de-CH) reads this name' })
  language!: string;

  @Field({ description: 'As name: 1 to 200 characters, none of them control or invisible' })
  name!: string;
}

@ObjectType('Offer', { simpleResolvers: true, description: 'Something the company offers, to whom and when' })
export class OfferType {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'Unique, upper case, e.g. "LOYAL10"' })
  code!: string;

  @Field({ description: 'Its name, as messages quote it in any language it has no translation into' })
  name!: string;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => OfferAudience)
  audience!: OfferAudience;

  @Field(() => Int, { nullable: true, description: 'Discount in percent, when it is a price reduction' })
  discountPercent?: number | null;

  @Field(() => ServiceTier, { nullable: true, description: 'The tier it moves a customer to, when it is a change of service' })
  serviceTier?: ServiceTier | null;

  @Field(() => LocalDateResolver, { description: 'First day it can be made' })
  validFrom!: string;

  @Field(() => LocalDateResolver, { nullable: true, description: 'Last day it can be made; null: until ended' })
  validUntil?: string | null;

  @Field()
  createdAt!: Date;
}

@ObjectType('EntitledOffer', { simpleResolvers: true, description: 'An offer an existing customer may be given today under the fairness rule' })
export class EntitledOfferType {
  @Field(() => OfferType)
  offer!: OfferType;

  @Field({ description: "A new customers' offer matched for this customer: it beats every offer for existing customers of their tier, and what a newcomer gets, they get too" })
  matchesNewCustomerOffer!: boolean;
}

/** What `Customer.entitledOffers` costs per customer in the query cost limit: a small list of offers. */
export const ENTITLED_OFFERS_COST_SIZE = 10;

export const OfferConnection = connectionOf(OfferType, 'Offer');
export type OfferConnection = InstanceType<typeof OfferConnection>;

@ArgsType()
export class OffersArgs extends PageArgs {
  @Field(() => LocalDateResolver, { nullable: true, description: 'Only offers that can be made on this day' })
  activeOn?: string | null;

  @Field(() => [OfferAudience], { nullable: true, description: 'Only offers for these audiences' })
  audience?: OfferAudience[] | null;
}

@InputType({ description: 'A discount, a change of service tier, or both' })
export class CreateOfferInput {
  @Field({ description: '2 to 40 letters, digits, - or _; stored upper case' })
  code!: string;

  @Field({ description: 'As messages quote it in any language translatedNames has no name for' })
  name!: string;

  @Field(() => [OfferNameInput], { nullable: true, description: "Its name in other languages, one per language: a message in one (a thank-you, an account review's proposal) quotes the offer so. An offers import leaves them as they are" })
  translatedNames?: OfferNameInput[] | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => OfferAudience)
  audience!: OfferAudience;

  @Field(() => Int, { nullable: true, description: '1 to 100' })
  discountPercent?: number | null;

  @Field(() => ServiceTier, { nullable: true })
  serviceTier?: ServiceTier | null;

  @Field(() => LocalDateResolver)
  validFrom!: string;

  @Field(() => LocalDateResolver, { nullable: true })
  validUntil?: string | null;
}
