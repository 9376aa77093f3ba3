import { SafeIntResolver } from 'graphql-scalars';
import { Float } from 'type-graphql';

/**
 * Money in the API, always in minor units. One amount (an order, an invoice, a payment, a fee,
 * a complaint's handling cost) is an exact integer: SafeInt, and no amount that comes in is
 * above MAX_AMOUNT_MINOR (src/domain/money.ts).
 */
export const MoneyAmount = SafeIntResolver;

/**
 * A total over many amounts (a report's revenue, fees or handling cost, a campaign group's
 * revenue) or a value computed from such totals (a profitability) can pass 2^53 with amounts
 * that were each accepted, so it is a Float: the same JSON number, exact up to 2^53 minor units
 * (all a JavaScript client reads exactly anyway), the nearest one beyond, and never a report
 * that fails.
 */
export const MoneyTotal = Float;
