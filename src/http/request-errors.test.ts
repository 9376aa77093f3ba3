import { nestedDeeperThan } from './request-errors.js';

/** `levels` arrays one inside the other, the innermost holding 1. */
const nested = (levels: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
};

describe('nestedDeeperThan', () => {
  it('counts the outer value as level 1, arrays and objects alike', () => {
    expect(nestedDeeperThan(nested(3), 3)).toBe(false);
    expect(nestedDeeperThan(nested(4), 3)).toBe(true);
    expect(nestedDeeperThan({ a: { b: { c: 1 } } }, 3)).toBe(false);
    expect(nestedDeeperThan({ a: { b: { c: {} } } }, 3)).toBe(true);
  });

  it('finds the deep branch beside shallow ones, and takes scalars and null as no level', () => {
    expect(nestedDeeperThan({ a: 1, b: [null, 'x', { c: [1] }], d: { e: 2 } }, 4)).toBe(false);
    expect(nestedDeeperThan({ a: 1, b: [null, 'x', { c: [[1]] }], d: { e: 2 } }, 4)).toBe(true);
    expect(nestedDeeperThan('x', 1)).toBe(false);
    expect(nestedDeeperThan(null, 1)).toBe(false);
  });

  it('walks JSON nested far deeper than the call stack goes', () => {
    expect(nestedDeeperThan(nested(200_000), 64)).toBe(true);
    expect(nestedDeeperThan(nested(64), 64)).toBe(false);
  });
});
