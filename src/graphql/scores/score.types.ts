import 'reflect-metadata';
import { Field, Float, ObjectType } from 'type-graphql';

@ObjectType('Score', { simpleResolvers: true, description: 'The latest value of one score, with the facts behind it' })
export class ScoreType {
  @Field({ description: 'rfm, churn-risk, clv, profitability, payment-loyalty, ...' })
  kind!: string;

  @Field(() => Float)
  value!: number;

  @Field(() => String, { nullable: true, description: 'Named band or segment, e.g. "Champions"' })
  band?: string | null;

  @Field(() => [String], { description: 'Plain-language reasons, e.g. "last purchase 140 days ago"' })
  reasons!: string[];

  @Field()
  modelVersion!: string;

  @Field()
  computedAt!: Date;
}
