import { createHash } from 'node:crypto';
import { PHONE } from '../domain/customers/contact.js';
import { persistentIssues } from '../domain/scoring/persistent-issue.js';
import { fitGammaGamma } from '../domain/scoring/gamma-gamma.js';
import { assertCustomerFilter, storedFilter, type CustomerFilter } from '../services/customers/customer-query.js';
import { readableName } from '../domain/text.js';
import { DEMO_SPEND, demoCustomer, demoCustomers, demoSegments, gammaDraw, seededRandom, type DemoCustomer } from './demo-data.js';

const asOf = new Date('2026-11-01T00:00:00Z');
const DAY = 86_400_000;
const sample: DemoCustomer[] = [...demoCustomers({ customers: 2000, asOf })];
const byPersona = (p: DemoCustomer['persona']) => sample.filter((c) => c.persona === p);
const lateInvoices = (c: DemoCustomer) => c.invoices.filter((i) => i.paidAt !== null && i.paidAt > i.dueAt);

describe('demo data', () => {
  it('is the same for the same seed and differs for another', () => {
    expect(demoCustomer(17, { customers: 1, seed: 7 })).toEqual(demoCustomer(17, { customers: 1, seed: 7 }));
    expect(demoCustomer(17, { customers: 1, seed: 7 }).id).not.toBe(demoCustomer(17, { customers: 1, seed: 8 }).id);
  });

  it('gives about three in five customers in London and New York a phone number from the ranges kept for examples, as the API takes one, from a stream of its own: the rest of the demo is as before for the seed', () => {
    const kept = ['Europe/London', 'America/New_York'];
    const there = sample.filter((c) => kept.includes(c.timeZone));
    const withPhone = sample.filter((c) => c.phone !== null);
    expect(withPhone.every((c) => kept.includes(c.timeZone))).toBe(true);
    expect(withPhone.length / there.length).toBeGreaterThan(0.5);
    expect(withPhone.length / there.length).toBeLessThan(0.7);
    expect(sample.find((c) => c.timeZone === 'America/New_York' && c.phone)!.phone).toMatch(/^\+1 212 555 01\d{2}$/);
    expect(withPhone.filter((c) => !PHONE.test(c.phone!))).toEqual([]);
    expect(sample.find((c) => c.timeZone === 'Europe/London' && c.phone)!.phone).toMatch(/^\+44 20 7946 0\d{3}$/);
    expect(demoCustomer(17, { customers: 1, seed: 7 }).phone).toBe(demoCustomer(17, { customers: 1, seed: 7 }).phone);
    // The same customers, orders and invoices as the demo had before it had phones (its digest then, the phones left out).
    const withoutPhones = sample.map(({ phone: _, ...c }) => c);
    expect(createHash('sha256').update(JSON.stringify(withoutPhones)).digest('hex')).toBe('16e7acabb8c7342402a364db95a3c8874ee7fa6574683d4b359578ff3e1f5f9d');
  });

  it('gives every customer unique IDs, references and e-mail addresses', () => {
    expect(new Set(sample.map((c) => c.id)).size).toBe(2000);
    expect(new Set(sample.map((c) => c.externalRef)).size).toBe(2000);
    expect(new Set(sample.map((c) => c.email)).size).toBe(2000);
    const orderIds = sample.flatMap((c) => c.orders.map((o) => o.id));
    expect(new Set(orderIds).size).toBe(orderIds.length);
  });

  it('writes names as the API stores them (the loader inserts them directly): customers in NFC, segments as readableName has them', () => {
    expect(sample.filter((c) => c.name !== c.name.normalize('NFC') || c.email !== c.email.normalize('NFC'))).toEqual([]);
    expect(sample.some((c) => /[^\x00-\x7f]/.test(c.name))).toBe(true);
    expect(demoSegments().filter((g) => g.name !== readableName(g.name))).toEqual([]);
  });

  it('has every persona, in roughly the documented shares', () => {
    const shares = { loyal: 0.28, 'one-late': 0.1, 'silent-loyal': 0.1, 'persistent-issue': 0.08, unprofitable: 0.08, drifting: 0.14, occasional: 0.22 } as const;
    for (const [persona, share] of Object.entries(shares)) {
      expect(byPersona(persona as DemoCustomer['persona']).length / 2000).toBeGreaterThan(share * 0.7);
      expect(byPersona(persona as DemoCustomer['persona']).length / 2000).toBeLessThan(share * 1.3);
    }
  });

  it('gives loyal payers no late invoice and one-late customers exactly one', () => {
    for (const c of byPersona('loyal')) expect(lateInvoices(c)).toEqual([]);
    const withOrders = byPersona('one-late').filter((c) => c.orders.some((o) => o.orderedAt.getTime() < asOf.getTime() - 60 * DAY));
    expect(withOrders.length).toBeGreaterThan(100);
    for (const c of withOrders) expect(lateInvoices(c)).toHaveLength(1);
  });

  it('makes silent loyal customers long-standing, punctual and without complaints', () => {
    for (const c of byPersona('silent-loyal')) {
      expect(asOf.getTime() - Date.parse(c.acquiredAt)).toBeGreaterThanOrEqual(2 * 365 * DAY);
      expect(lateInvoices(c)).toEqual([]);
      expect(c.complaints).toEqual([]);
    }
  });

  it('gives persistent-issue customers 3+ complaints on one topic in the last 80 days: a persistent issue to the scoring model', () => {
    for (const c of byPersona('persistent-issue')) {
      const topics = new Set(c.complaints.map((k) => k.topic));
      expect(topics.size).toBe(1);
      expect(c.complaints.length).toBeGreaterThanOrEqual(3);
      for (const k of c.complaints) expect(asOf.getTime() - k.openedAt.getTime()).toBeLessThanOrEqual(80 * DAY);
      expect(persistentIssues(c.complaints, asOf).band).toBe('persistent');
    }
    // Complaints of other customers are one-offs: no other persona is a persistent issue.
    expect(sample.filter((c) => c.persona !== 'persistent-issue' && persistentIssues(c.complaints, asOf).band === 'persistent')).toEqual([]);
  });

  it('makes unprofitable accounts cost more than their margin over the last 12 months', () => {
    for (const c of byPersona('unprofitable')) {
      const margin = c.orders.filter((o) => o.orderedAt.getTime() > asOf.getTime() - 365 * DAY).reduce((s, o) => s + o.marginMinor, 0);
      const cost = c.costs.reduce((s, k) => s + k.amountMinor, 0);
      expect(cost).toBeGreaterThan(margin);
      expect(c.serviceTier).toBe('premium');
    }
  });

  it('stops drifting customers buying at least four months ago', () => {
    for (const c of byPersona('drifting')) {
      const last = Math.max(0, ...c.orders.map((o) => o.orderedAt.getTime()));
      expect(asOf.getTime() - last).toBeGreaterThanOrEqual(120 * DAY);
    }
  });

  it('lets about one customer in ten be referred by an earlier one', () => {
    const referred = sample.filter((c) => c.referrerId);
    expect(referred.length / 2000).toBeGreaterThan(0.07);
    expect(referred.length / 2000).toBeLessThan(0.13);
    const index = new Map(sample.map((c) => [c.id, c.index]));
    for (const c of referred) expect(index.get(c.referrerId!)).toBeLessThan(c.index);
  });

  it('keeps money in whole minor units and every date before the reference day', () => {
    for (const c of sample) {
      for (const o of c.orders) {
        expect(Number.isInteger(o.amountMinor) && Number.isInteger(o.marginMinor)).toBe(true);
        expect(o.orderedAt.getTime()).toBeLessThan(asOf.getTime());
      }
      for (const i of c.invoices) expect(i.paidAt === null || i.paidAt <= '2026-11-01').toBe(true);
      for (const k of c.costs) expect(Number.isInteger(k.amountMinor)).toBe(true);
    }
  });

  it('scales the average number of orders with ordersPerCustomer', () => {
    const mean = (n: number) => [...demoCustomers({ customers: 500, ordersPerCustomer: n, asOf })].reduce((s, c) => s + c.orders.length, 0) / 500;
    expect(mean(20)).toBeGreaterThan(17);
    expect(mean(20)).toBeLessThan(23);
    expect(mean(5)).toBeGreaterThan(4);
    expect(mean(5)).toBeLessThan(6);
  });

  it('draws uniformly enough from its PRNG', () => {
    const random = seededRandom(3);
    const draws = Array.from({ length: 10_000 }, random);
    const m = draws.reduce((a, b) => a + b, 0) / draws.length;
    expect(m).toBeGreaterThan(0.48);
    expect(m).toBeLessThan(0.52);
  });

  it('draws Gamma variates with the right mean and variance', () => {
    const random = seededRandom(5);
    const draws = Array.from({ length: 20_000 }, () => gammaDraw(random, 8, 2));
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    const variance = draws.reduce((a, b) => a + (b - mean) ** 2, 0) / (draws.length - 1);
    expect(mean).toBeCloseTo(4, 1);
    expect(variance / 2).toBeGreaterThan(0.92);
    expect(variance / 2).toBeLessThan(1.08);
    expect(draws.every((d) => d > 0)).toBe(true);
  });

  it('spends as the Gamma-Gamma model assumes, so its fit on the demo finds the spend model (major units)', () => {
    const fit = fitGammaGamma(sample.filter((c) => c.orders.length > 0).map((c) => ({ x: c.orders.length, zbar: c.orders.reduce((a, o) => a + o.amountMinor, 0) / c.orders.length / 100 })));
    expect(fit.converged).toBe(true);
    expect(fit.params.q / DEMO_SPEND.q).toBeGreaterThan(0.8);
    expect(fit.params.q / DEMO_SPEND.q).toBeLessThan(1.25);
    expect(fit.params.p / DEMO_SPEND.p).toBeGreaterThan(0.7);
    expect(fit.params.p / DEMO_SPEND.p).toBeLessThan(1.4);
    // The mean spend the fit implies, p γ / (q - 1), against the generator's.
    const implied = (fit.params.p * fit.params.gamma) / (fit.params.q - 1);
    expect(implied / ((DEMO_SPEND.p * DEMO_SPEND.gamma) / (DEMO_SPEND.q - 1) / 100)).toBeCloseTo(1, 1);
  });

  it('saves segments with filters the customers query accepts, in the form they are stored', () => {
    for (const { filter } of demoSegments()) {
      expect(() => assertCustomerFilter(filter as CustomerFilter)).not.toThrow();
      expect(storedFilter(filter as CustomerFilter)).toEqual(filter);
    }
  });

  it('books no cost before the customer joined', () => {
    for (const c of sample) for (const k of c.costs) expect(k.occurredAt >= c.acquiredAt).toBe(true);
  });
});
