import 'reflect-metadata';
import { LocalDateResolver } from 'graphql-scalars';
import { Field, Float, ObjectType, registerEnumType } from 'type-graphql';
import { ScoreKind } from '../../domain/scoring/score-kind.js';

registerEnumType(ScoreKind, { name: 'ScoreKind', description: 'The scores kept per customer' });

/** A score's value; its reasons and model version come from score.resolver.ts, read only when asked for. */
@ObjectType('Score', { simpleResolvers: true, description: 'The latest value of one score, with the facts behind it' })
export class ScoreType {
  @Field(() => ScoreKind)
  kind!: ScoreKind;

  @Field(() => Float, { nullable: true, description: 'Null when the model has no value yet (too little history); band and reasons say why' })
  value!: number | null;

  @Field(() => String, { nullable: true, description: 'Named band or segment, e.g. "Champions"' })
  band?: string | null;

  @Field()
  computedAt!: Date;

  @Field(() => LocalDateResolver, {
    description: "The day the score describes (its reasons count from it): its rescore's day; after an event, the customer's own today. A rescore of a past day is computed later but as of that day",
  })
  asOf!: string;
}
