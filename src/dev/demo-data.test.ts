import { demoCustomers, seededRandom } from './demo-data.js';

describe('demo data', () => {
  it('is the same for the same seed and differs for another', () => {
    expect(demoCustomers(20, 7)).toEqual(demoCustomers(20, 7));
    expect(demoCustomers(20, 7)).not.toEqual(demoCustomers(20, 8));
  });

  it('gives every customer a unique reference and e-mail address', () => {
    const customers = demoCustomers(500);
    expect(new Set(customers.map((c) => c.externalRef)).size).toBe(500);
    expect(new Set(customers.map((c) => c.email)).size).toBe(500);
    for (const c of customers) expect(c.email).toMatch(/^[a-z.0-9]+@example\.com$/);
  });

  it('acquires customers within the three years before the reference date', () => {
    for (const c of demoCustomers(200, 1, new Date('2026-01-01T00:00:00Z'))) {
      expect(c.acquiredAt >= '2023-01-01').toBe(true);
      expect(c.acquiredAt <= '2026-01-01').toBe(true);
    }
  });

  it('draws uniformly enough from its PRNG', () => {
    const random = seededRandom(3);
    const draws = Array.from({ length: 10_000 }, random);
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
  });
});
