import { amountPattern, MAX_AMOUNT_MINOR, positiveAmountProblem } from './money.js';

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
