import 'reflect-metadata';
import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType('Currency', { simpleResolvers: true, description: 'The currency of every amount in this API (one per deployment, the CURRENCY setting)' })
export class CurrencyType {
  @Field({ description: 'ISO 4217 code, e.g. EUR: what Intl.NumberFormat takes as `currency`' })
  code!: string;

  @Field(() => Int, { description: 'Digits after the decimal point: an amount in minor units divided by 10^minorUnitDigits is the amount in major units' })
  minorUnitDigits!: number;
}
