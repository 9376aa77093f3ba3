import { amountPattern, currencyProblem, formatMoney, MAX_AMOUNT_MINOR, parseMinor, positiveAmountProblem } from './money.js';

it('takes the largest amount an import row takes, and refuses one minor unit more', () => {
  expect(MAX_AMOUNT_MINOR).toBe(999_999_999_999_999);
  expect(Number.isSafeInteger(MAX_AMOUNT_MINOR)).toBe(true);
  expect(new RegExp(amountPattern()).test('9999999999999.99')).toBe(true);
  expect(new RegExp(amountPattern()).test('10000000000000')).toBe(false);
  expect(positiveAmountProblem(MAX_AMOUNT_MINOR)).toBeNull();
  expect(positiveAmountProblem(MAX_AMOUNT_MINOR + 1)).toBe('must be at most 999999999999999 minor units (13 integer digits, as the import takes)');
  expect(positiveAmountProblem(Number.MAX_SAFE_INTEGER)).toMatch(/at most/);
});

it('refuses a payment of nothing, a negative one and a fraction of a minor unit', () => {
  expect(positiveAmountProblem(1)).toBeNull();
  for (const bad of [0, -1, 1.5, Number.NaN]) expect(positiveAmountProblem(bad)).toBe('must be a positive whole number of minor units');
});

it('lets only a signed pattern take a minus sign', () => {
  expect(new RegExp(amountPattern(true)).test('-12.50')).toBe(true);
  expect(new RegExp(amountPattern()).test('-12.50')).toBe(false);
});

describe('parseMinor', () => {
  it('converts an amount the import takes exactly, without floating-point error', () => {
    expect(parseMinor('12')).toBe(1200);
    expect(parseMinor('12.5')).toBe(1250);
    expect(parseMinor('0.07')).toBe(7);
    expect(parseMinor('19.99')).toBe(1999);
    expect(parseMinor('0')).toBe(0);
    expect(parseMinor('9999999999999.99')).toBe(MAX_AMOUNT_MINOR);
    expect(parseMinor('-3.10', true)).toBe(-310);
    expect(parseMinor('-0', true)).toBe(0);
  });

  it('refuses what the import refuses: more than 2 decimals or 13 integer digits, other notations, a sign unless signed', () => {
    for (const bad of ['', ' 1', '12.345', '10000000000000', '12345678901234567890', '1,5', '1.', '.5', 'EUR 12', '1e3', '+1', '-3.10']) {
      expect({ bad, minor: parseMinor(bad) }).toEqual({ bad, minor: null });
      expect(new RegExp(amountPattern()).test(bad)).toBe(false);
    }
    expect(parseMinor('12.345', true)).toBeNull();
  });
});

it('takes an ISO 4217 currency with two decimals, as amounts are stored, and refuses any other', () => {
  // Two decimals by ISO 4217, whatever a language shows: the forint and the Colombian peso are often written without them.
  for (const code of ['EUR', 'USD', 'CHF', 'GBP', 'HUF', 'COP']) expect(currencyProblem(code)).toBeNull();
  expect(currencyProblem('JPY')).toBe('must be a currency with 2 decimals, as amounts are imported and stored; JPY has 0 in ISO 4217');
  expect(currencyProblem('KWD')).toMatch(/KWD has 3 in ISO 4217/);
  for (const bad of ['eur', 'EURO', '€', '', 'XYZ']) expect(currencyProblem(bad)).toMatch(/must be an ISO 4217 currency code/);
});

it('writes an amount in minor units as a reader of the language writes it', () => {
  expect(formatMoney(500, 'EUR', 'en')).toBe('€5.00');
  expect(formatMoney(-123456, 'USD', 'en')).toBe('-$1,234.56');
  expect(formatMoney(1250, 'EUR', 'de')).toBe('12,50\u00a0€');
  // With its cents, also where the language would round the currency to whole units.
  expect(formatMoney(50050, 'HUF', 'en')).toBe('HUF\u00a0500.50');
});
