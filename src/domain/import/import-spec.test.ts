import { headerProblems, importSpecs, isImportKind, toMinorUnits, valueCheck } from './import-spec.js';

describe('import specs', () => {
  it('accept a header with the required columns in any order and any case', () => {
    expect(headerProblems(importSpecs.orders, ['Amount', 'ordered_at', 'customer_ref'])).toEqual([]);
  });

  it('name missing, unknown and repeated columns', () => {
    expect(headerProblems(importSpecs.orders, ['customer_ref', 'amount', 'amount', 'colour'])).toEqual([
      'missing required column "ordered_at"',
      'unknown column "colour" (orders takes customer_ref, ordered_at, amount, margin, order_ref)',
      'column "amount" appears twice',
    ]);
  });

  it('know their kinds', () => {
    expect(isImportKind('orders')).toBe(true);
    expect(isImportKind('payments-and-more')).toBe(false);
  });

  it('give every typed column a check, and none to free text', () => {
    for (const spec of Object.values(importSpecs)) {
      for (const c of spec.columns) expect(valueCheck(c) === null).toBe(c.type === 'text');
    }
    expect(valueCheck(importSpecs.complaints.columns.find((c) => c.name === 'severity')!)!.message).toBe('is not one of low, medium, high, critical');
  });
});

describe('toMinorUnits', () => {
  it('converts exactly, without floating-point error', () => {
    expect(toMinorUnits('12')).toBe(1200);
    expect(toMinorUnits('12.5')).toBe(1250);
    expect(toMinorUnits('0.07')).toBe(7);
    expect(toMinorUnits('19.99')).toBe(1999);
    expect(toMinorUnits('-3.10')).toBe(-310);
    expect(toMinorUnits('1234567890123.45')).toBe(123456789012345);
  });

  it('refuses what is not an amount', () => {
    for (const bad of ['', '1.234', '1,5', 'abc', '1e3']) expect(() => toMinorUnits(bad)).toThrow();
  });
});
