import { LocalDateResolver } from 'graphql-scalars';
import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Role } from '../../domain/auth/roles.js';
import { Allow } from '../auth/allow.js';
import { pageComplexity } from '../common/connection.js';
import type { GraphQLContext } from '../context.js';
import type { Offer } from '../../entities/index.js';
import { CreateOfferInput, OfferConnection, OfferNameInput, OfferNameType, OffersArgs, OfferType } from './offer.types.js';

@Resolver(() => OfferType)
export class OfferResolver {
  @Allow(Role.Viewer)
  @Query(() => OfferConnection, { description: 'Offers, latest first day first (then by code)', complexity: pageComplexity })
  offers(@Args() args: OffersArgs, @Ctx() ctx: GraphQLContext): Promise<OfferConnection> {
    return ctx.services.offers.list(args);
  }

  @FieldResolver(() => [OfferNameType], { description: 'Its name in other languages, by language; empty: the one name' })
  translatedNames(@Root() offer: Offer): OfferNameType[] {
    return Object.entries(offer.translatedNames ?? {})
      .map(([language, name]) => ({ language, name }))
      .sort((a, b) => a.language.localeCompare(b.language));
  }

  @Allow(Role.Marketer)
  @Mutation(() => OfferType, { description: 'A new offer; a new-customer offer is matched for existing customers from its first day; audited' })
  createOffer(@Arg('input') input: CreateOfferInput, @Ctx() ctx: GraphQLContext): Promise<OfferType> {
    return ctx.services.offers.create(input, ctx.caller!.id);
  }

  @Allow(Role.Marketer)
  @Mutation(() => OfferType, {
    description:
      "Sets an offer's names in other languages: those given replace all it had (an empty list leaves it its own name only), checked as createOffer checks them; for an imported offer too. Messages written from then on quote them; audited",
  })
  setOfferTranslatedNames(@Arg('id', () => ID) id: string, @Arg('translatedNames', () => [OfferNameInput]) translatedNames: OfferNameInput[], @Ctx() ctx: GraphQLContext): Promise<OfferType> {
    return ctx.services.offers.setTranslatedNames(id, translatedNames, ctx.caller!.id);
  }

  @Allow(Role.Marketer)
  @Mutation(() => OfferType, { description: 'Withdraws an offer: its last day becomes `on` (default today); ended before its first day, it is never made; an offers import that still has a later last day, or none, does not open it again (docs/import.md); audited' })
  endOffer(@Arg('id', () => ID) id: string, @Arg('on', () => LocalDateResolver, { nullable: true }) on: string | null, @Ctx() ctx: GraphQLContext): Promise<OfferType> {
    return ctx.services.offers.end(id, ctx.caller!.id, on ?? undefined);
  }
}
