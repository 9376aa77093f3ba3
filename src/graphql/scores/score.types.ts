import 'reflect-metadata';
import { Field, Float, ObjectType } from 'type-graphql';

/** A score's value; its reasons and model version come from score.resolver.ts, read only when asked for. */
@ObjectType('Score', { simpleResolvers: true, description: 'The latest value of one score, with the facts behind it' })
export class ScoreType {
  @Field({ description: 'rfm, churn-risk, clv, profitability, payment-loyalty, ...' })
  kind!: string;

  @Field(() => Float, { nullable: true, description: 'Null when the model has no value yet (too little history); band and reasons say why' })
  value!: number | null;

  @Field(() => String, { nullable: true, description: 'Named band or segment, e.g. "Champions"' })
  band?: string | null;

  @Field()
  computedAt!: Date;
}
