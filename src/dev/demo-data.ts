import type { EntityManager } from '@mikro-orm/postgresql';
import { Customer, CustomerStatus, ServiceTier } from '../entities/index.js';

/** Small deterministic PRNG (mulberry32) so the demo data set is the same on every machine. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['Anna', 'Ben', 'Chloé', 'David', 'Elif', 'Finn', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kofi', 'Lena', 'Mateo', 'Nora', 'Omar', 'Priya'];
const LAST = ['Schmidt', 'Okafor', 'Dubois', 'Nakamura', 'Yilmaz', 'García', 'Larsen', 'Novak', 'Rossi', 'Kowalski', 'Haddad', 'Müller'];
const ZONES = ['Europe/Berlin', 'Europe/London', 'America/New_York', 'Asia/Tokyo', 'Europe/Istanbul'];
const TIERS = [ServiceTier.Basic, ServiceTier.Standard, ServiceTier.Standard, ServiceTier.Premium];

export interface DemoCustomer {
  externalRef: string;
  name: string;
  email: string;
  timeZone: string;
  serviceTier: ServiceTier;
  marketingConsent: boolean;
  acquiredAt: string;
}

/** `count` reproducible demo customers acquired over the three years before `asOf`. */
export function demoCustomers(count: number, seed = 42, asOf = new Date('2026-11-01T00:00:00Z')): DemoCustomer[] {
  const random = seededRandom(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  return Array.from({ length: count }, (_, i) => {
    const first = pick(FIRST);
    const last = pick(LAST);
    const acquired = new Date(asOf.getTime() - Math.floor(random() * 3 * 365) * 86_400_000);
    return {
      externalRef: `DEMO-${String(i + 1).padStart(6, '0')}`,
      name: `${first} ${last}`,
      email: `${first}.${last}.${i + 1}@example.com`.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, ''),
      timeZone: pick(ZONES),
      serviceTier: pick(TIERS),
      marketingConsent: random() < 0.7,
      acquiredAt: acquired.toISOString().slice(0, 10),
    };
  });
}

/** Loads the demo customers when the database has none; returns how many were written. */
export async function loadDemoDataIfEmpty(em: EntityManager, count = 250): Promise<number> {
  if ((await em.count(Customer)) > 0) return 0;
  for (const data of demoCustomers(count)) em.create(Customer, { ...data, status: CustomerStatus.Active });
  await em.flush();
  return count;
}
