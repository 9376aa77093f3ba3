import { MINOR_UNIT_DIGITS, type MoneyPolicy } from '../../domain/money.js';

export interface CurrencyView {
  code: string;
  minorUnitDigits: number;
}

/** The currency every amount is in, for front ends that show amounts (one per deployment). */
export class CurrencyService {
  constructor(private readonly policy: MoneyPolicy) {}

  currency(): CurrencyView {
    return { code: this.policy.currency, minorUnitDigits: MINOR_UNIT_DIGITS };
  }
}
