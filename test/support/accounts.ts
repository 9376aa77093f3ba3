import type { EntityManager } from '@mikro-orm/postgresql';
import { CostEntry, CostKind, Customer, Order, ScoreSnapshot, ServiceTier } from '../../src/entities/index.js';

const DAY = 86_400_000;

/**
 * A basic-tier account that loses money by its figures (orders with 2,500 margin each, 30,000
 * of support in the last month) and by its last nightly score, so its account review, which
 * rescores it, finds it loss-making too. Its ID.
 */
export async function lossMakingAccount(em: EntityManager, name: string): Promise<string> {
  const c = em.create(Customer, { name, email: `${name.toLowerCase()}@example.com`, acquiredAt: '2024-01-01', serviceTier: ServiceTier.Basic });
  for (let i = 1; i <= 4; i++) em.create(Order, { customer: c, orderedAt: new Date(Date.now() - i * 60 * DAY), amountMinor: 10_000, marginMinor: 2_500 });
  em.create(CostEntry, { customer: c, occurredAt: new Date(Date.now() - 30 * DAY).toISOString().slice(0, 10), kind: CostKind.SupportMinutes, amountMinor: 30_000 });
  em.create(ScoreSnapshot, { customer: c, computedAt: new Date(), scores: { profitability: { value: -14_000, band: 'loss-making', modelVersion: 'test', reasons: ['test'] } } });
  await em.flush();
  return c.id;
}
