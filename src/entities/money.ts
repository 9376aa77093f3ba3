import { BigIntType } from '@mikro-orm/core';

/**
 * Money is stored as integer minor units (cents) in a bigint column and read as a
 * JS number (exact up to 2^53 minor units), never as a float of major units.
 */
export const money = () => new BigIntType('number');
