/**
 * Reproducible demo data with the patterns the playbooks need. Personas (share of customers):
 * - loyal (28%): buys regularly, pays every invoice on time
 * - one-late (10%): like loyal, but one invoice was paid late
 * - silent-loyal (10%): customer for 2+ years, on-time payer, never complained, buys quietly
 * - persistent-issue (8%): 3+ complaints on one topic in the last 80 days, one of them reopened
 * - unprofitable (8%): premium tier whose support time, returns and discounts exceed the margin
 * - drifting (14%): bought regularly, then stopped 4-10 months ago
 * - occasional (22%): buys now and then, pays late now and then
 * One customer in ten was referred by an earlier one. Everything is derived from
 * (seed, customer index), so any table can be regenerated row for row, in any pass.
 */

/** Small deterministic PRNG (mulberry32). */
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

export type Persona = 'loyal' | 'one-late' | 'silent-loyal' | 'persistent-issue' | 'unprofitable' | 'drifting' | 'occasional';
const PERSONAS: Array<[Persona, number]> = [
  ['loyal', 0.28],
  ['one-late', 0.1],
  ['silent-loyal', 0.1],
  ['persistent-issue', 0.08],
  ['unprofitable', 0.08],
  ['drifting', 0.14],
  ['occasional', 0.22],
];

const FIRST = ['Anna', 'Ben', 'Chloé', 'David', 'Elif', 'Finn', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kofi', 'Lena', 'Mateo', 'Nora', 'Omar', 'Priya'];
const LAST = ['Schmidt', 'Okafor', 'Dubois', 'Nakamura', 'Yilmaz', 'García', 'Larsen', 'Novak', 'Rossi', 'Kowalski', 'Haddad', 'Müller'];
const ZONES = ['Europe/Berlin', 'Europe/London', 'America/New_York', 'Asia/Tokyo', 'Europe/Istanbul'];
/** The language of a customer in each zone (German in Berlin, so the demo shows messages in both languages). */
const LOCALE_BY_ZONE: Record<string, string> = { 'Europe/Berlin': 'de', 'Europe/London': 'en-GB' };
/**
 * A phone number where the customer lives, only where a range is kept for drama and examples (London's 020 7946 0xxx,
 * North America's 555-01xx), so no real line is rung from the demo; customers elsewhere have none.
 */
const PHONE_BY_ZONE: Record<string, (n: number) => string> = {
  'Europe/London': (n) => `+44 20 7946 0${String(n % 1000).padStart(3, '0')}`,
  'America/New_York': (n) => `+1 212 555 01${String(n % 100).padStart(2, '0')}`,
};
/** The share of demo customers in those places with a phone number on record (the others show what a call task says without one). */
const WITH_PHONE = 0.6;
const TOPICS = ['delivery-delay', 'billing-error', 'product-defect', 'app-login', 'rude-support'];
const DAY = 86_400_000;

export interface DemoOptions {
  customers: number;
  /** Average orders per customer over the whole base (personas vary around it). */
  ordersPerCustomer?: number;
  seed?: number;
  asOf?: Date;
}

export interface DemoCustomer {
  index: number;
  persona: Persona;
  id: string;
  externalRef: string;
  name: string;
  email: string;
  timeZone: string;
  locale: string;
  /** Null for about two in five: call tasks about them say what to do without a number. */
  phone: string | null;
  serviceTier: 'basic' | 'standard' | 'premium';
  marketingConsent: boolean;
  referrerId: string | null;
  acquiredAt: string;
  createdAt: Date;
  orders: Array<{ id: string; externalRef: string; orderedAt: Date; amountMinor: number; marginMinor: number }>;
  invoices: Array<{ id: string; externalRef: string; issuedAt: string; dueAt: string; amountMinor: number; paidAt: string | null; remindersSent: number; feeChargedMinor: number }>;
  payments: Array<{ id: string; externalRef: string; invoiceId: string; paidAt: string; amountMinor: number }>;
  complaints: Array<{ id: string; externalRef: string; topic: string; severity: string; openedAt: Date; resolvedAt: Date | null; reopenedCount: number; handlingCostMinor: number; productDefect: boolean }>;
  costs: Array<{ id: string; externalRef: string; occurredAt: string; kind: string; amountMinor: number; quantity: number | null }>;
}

const isoDay = (t: number) => new Date(t).toISOString().slice(0, 10);

function uuidFrom(random: () => number): string {
  const bytes = Array.from({ length: 16 }, () => Math.floor(random() * 256));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * A Gamma(shape, rate) draw (Marsaglia and Tsang, 2000) from uniform draws; shape >= 1.
 * Spend follows the Gamma-Gamma model's own assumptions, so its fit on the demo finds them.
 */
export function gammaDraw(random: () => number, shape: number, rate: number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    // A standard normal by Box-Muller (1 - u keeps the logarithm finite).
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const v = (1 + c * z) ** 3;
    if (v > 0 && Math.log(1 - random()) < 0.5 * z * z + d - d * v + d * Math.log(v)) return (d * v) / rate;
  }
}

/** Spend per order, minor units: Gamma(SPEND_P, nu) around each customer's mean p / nu, with nu ~ Gamma(SPEND_Q, SPEND_GAMMA) across customers (mean about 80.00). */
export const DEMO_SPEND = { p: 8, q: 4, gamma: 3_000 };

/** The customer's own PRNG: the same customer comes out the same in every pass. */
const customerRandom = (seed: number, index: number) => seededRandom((seed * 0x9e3779b1 + index * 0x85ebca6b) >>> 0);

/**
 * The customer's phone number, or none: drawn from a stream of its own (by seed and index), so adding it changed none of
 * the demo's other draws: its customers, orders and invoices are what they were for the same seed.
 */
function demoPhone(seed: number, index: number, timeZone: string): string | null {
  const random = seededRandom(((seed * 0x9e3779b1 + index * 0x85ebca6b) ^ 0x27d4eb2f) >>> 0);
  if (random() >= WITH_PHONE) return null;
  return PHONE_BY_ZONE[timeZone]?.(Math.floor(random() * 10_000)) ?? null;
}

/** The ID of customer `index` without generating the rest (referrers point back to earlier customers). */
function demoCustomerId(seed: number, index: number): string {
  return uuidFrom(customerRandom(seed, index));
}

export function demoCustomer(index: number, options: DemoOptions): DemoCustomer {
  const seed = options.seed ?? 42;
  const asOf = (options.asOf ?? new Date('2026-11-01T00:00:00Z')).getTime();
  // Persona rates give 13.15 orders per customer on average at scale 1 (measured over 5,000 customers).
  const scale = (options.ordersPerCustomer ?? 6) / 13.15;
  const random = customerRandom(seed, index);
  const id = uuidFrom(random);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  const between = (lo: number, hi: number) => lo + random() * (hi - lo);
  const r = random();
  let acc = 0;
  const persona = PERSONAS.find(([, share]) => (acc += share) > r)?.[0] ?? 'occasional';
  const child = () => uuidFrom(random);

  const tenureDays = persona === 'silent-loyal' ? between(2 * 365, 6 * 365) : between(60, 4 * 365);
  const acquired = asOf - Math.floor(tenureDays) * DAY;
  const first = pick(FIRST);
  const last = pick(LAST);
  const ref = `DEMO-${String(index + 1).padStart(7, '0')}`;
  const referred = index > 0 && random() < 0.1;
  const referrerIndex = referred ? Math.floor(random() * index) : -1;
  const timeZone = pick(ZONES);
  const customer: DemoCustomer = {
    index,
    persona,
    id,
    externalRef: ref,
    name: `${first} ${last}`,
    email: `${first}.${last}.${index + 1}@example.com`.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, ''),
    timeZone,
    locale: LOCALE_BY_ZONE[timeZone] ?? 'en',
    phone: demoPhone(seed, index, timeZone),
    serviceTier: persona === 'unprofitable' ? 'premium' : pick(['basic', 'standard', 'standard', 'premium'] as const),
    marketingConsent: random() < 0.7,
    referrerId: referrerIndex >= 0 ? demoCustomerId(seed, referrerIndex) : null,
    acquiredAt: isoDay(acquired),
    createdAt: new Date(acquired + index),
    orders: [],
    invoices: [],
    payments: [],
    complaints: [],
    costs: [],
  };

  // Purchase rhythm: orders per year by persona; drifting customers stopped a while ago.
  const perYear = { loyal: 8, 'one-late': 8, 'silent-loyal': 5, 'persistent-issue': 6, unprofitable: 6, drifting: 9, occasional: 2 }[persona] * scale;
  const stop = persona === 'drifting' ? asOf - between(120, 300) * DAY : asOf;
  const nu = gammaDraw(random, DEMO_SPEND.q, DEMO_SPEND.gamma);
  let t = acquired;
  let n = 0;
  while (true) {
    t += (-Math.log(1 - random()) / perYear) * 365 * DAY;
    if (t >= stop) break;
    const amount = Math.max(100, Math.round(gammaDraw(random, DEMO_SPEND.p, nu)));
    n++;
    customer.orders.push({
      id: child(),
      externalRef: `${ref}-O${n}`,
      orderedAt: new Date(Math.floor(t)),
      amountMinor: amount,
      marginMinor: Math.round(amount * (persona === 'unprofitable' ? 0.08 : between(0.2, 0.35))),
    });
  }

  // One invoice per order, due 14 days later; how it was paid depends on the persona.
  // The one late payment falls on an invoice old enough to have been settled by asOf.
  const settled = customer.orders.filter((o) => o.orderedAt.getTime() < asOf - 60 * DAY).length;
  const lateOne = persona === 'one-late' && settled > 0 ? Math.floor(random() * settled) : -1;
  customer.orders.forEach((order, k) => {
    const issued = order.orderedAt.getTime();
    const due = issued + 14 * DAY;
    let paid: number | null;
    if (k === lateOne) paid = due + between(5, 30) * DAY;
    else if (persona === 'occasional' && random() < 0.2) paid = due + between(3, 45) * DAY;
    else paid = issued + between(1, 12) * DAY;
    if (paid > asOf) paid = random() < 0.5 ? null : asOf - DAY; // recent invoices may still be open
    const late = paid !== null && paid > due;
    const invoice = {
      id: child(),
      externalRef: `${ref}-I${k + 1}`,
      issuedAt: isoDay(issued),
      dueAt: isoDay(due),
      amountMinor: order.amountMinor,
      paidAt: paid === null ? null : isoDay(Math.max(paid, issued)),
      remindersSent: late ? 1 : 0,
      feeChargedMinor: late && persona !== 'one-late' ? 500 : 0,
    };
    customer.invoices.push(invoice);
    if (invoice.paidAt) customer.payments.push({ id: child(), externalRef: `${ref}-P${k + 1}`, invoiceId: invoice.id, paidAt: invoice.paidAt, amountMinor: invoice.amountMinor });
  });

  // Complaints: persistent issues repeat one topic within a year; silent loyal customers never complain.
  const complaintTimes: Array<[number, string]> = [];
  if (persona === 'persistent-issue') {
    // Within the last 80 days: a persistent issue by the scoring policy's 90-day window, on the reference day and for ten days after.
    const topic = pick(TOPICS);
    const start = Math.max(acquired, asOf - 80 * DAY);
    for (let k = 0, count = 3 + Math.floor(random() * 3); k < count; k++) complaintTimes.push([start + between(0, asOf - start - DAY), topic]);
  } else if (persona !== 'silent-loyal' && random() < 0.15) {
    complaintTimes.push([acquired + between(0, asOf - acquired - DAY), pick(TOPICS)]);
  }
  complaintTimes
    .sort((a, b) => a[0] - b[0])
    .forEach(([opened, topic], k, all) => {
      const open = k === all.length - 1 && persona === 'persistent-issue' && random() < 0.5;
      customer.complaints.push({
        id: child(),
        externalRef: `${ref}-C${k + 1}`,
        topic,
        severity: pick(['low', 'medium', 'medium', 'high', 'critical']),
        openedAt: new Date(Math.floor(opened)),
        resolvedAt: open ? null : new Date(Math.floor(Math.min(asOf, opened + between(1, 20) * DAY))),
        reopenedCount: persona === 'persistent-issue' && k === 1 ? 1 : 0,
        handlingCostMinor: Math.round(between(500, 4_000)),
        productDefect: topic === 'product-defect',
      });
    });

  // Cost to serve over the last year; unprofitable accounts cost more than their margin.
  const yearMargin = customer.orders.filter((o) => o.orderedAt.getTime() > asOf - 365 * DAY).reduce((s, o) => s + o.marginMinor, 0);
  const costEntries = persona === 'unprofitable' ? 4 + Math.floor(random() * 4) : random() < 0.3 ? 1 : 0;
  const unprofitableTotal = persona === 'unprofitable' ? yearMargin + between(5_000, 30_000) : 0;
  for (let k = 0; k < costEntries; k++) {
    const kind = persona === 'unprofitable' ? (['support_minutes', 'return', 'discount'] as const)[k % 3] : pick(['support_minutes', 'return', 'discount', 'reminder'] as const);
    const amount = persona === 'unprofitable' ? Math.ceil(unprofitableTotal / costEntries) : Math.round(between(200, 3_000));
    customer.costs.push({
      id: child(),
      externalRef: `${ref}-K${k + 1}`,
      // Within the last year, and not before the customer joined.
      occurredAt: isoDay(Math.max(acquired, asOf - between(1, 360) * DAY)),
      kind,
      amountMinor: amount,
      quantity: kind === 'support_minutes' ? Math.round(amount / 80) : null,
    });
  }
  return customer;
}

export function* demoCustomers(options: DemoOptions): Generator<DemoCustomer> {
  for (let i = 0; i < options.customers; i++) yield demoCustomer(i, options);
}

/** Offers: what the company offers whom, including a new-customer deal better than anything for existing ones; named in German too, for the demo's customers in Berlin. */
export function demoOffers(asOf = new Date('2026-11-01T00:00:00Z')) {
  const day = (offset: number) => isoDay(asOf.getTime() + offset * DAY);
  return [
    { code: 'WELCOME30', name: '30% off your first three months', translatedNames: { de: '30 % Rabatt auf die ersten drei Monate' }, audience: 'new', discountPercent: 30, serviceTier: null, validFrom: day(-60), validUntil: day(60) },
    { code: 'LOYAL10', name: '10% loyalty discount', translatedNames: { de: '10 % Treuerabatt' }, audience: 'existing', discountPercent: 10, serviceTier: null, validFrom: day(-365), validUntil: null },
    { code: 'SPRING5', name: '5% spring sale', translatedNames: { de: '5 % Frühlingsrabatt' }, audience: 'all', discountPercent: 5, serviceTier: null, validFrom: day(-200), validUntil: day(-100) },
    { code: 'STANDARD-SWITCH', name: 'Same service, standard tier, 20% cheaper', translatedNames: { de: 'Gleicher Service im Standard-Tarif, 20 % günstiger' }, audience: 'existing', discountPercent: 20, serviceTier: 'standard', validFrom: day(-30), validUntil: null },
    { code: 'BASIC-SELF-SERVICE', name: 'Self-service basic tier', translatedNames: { de: 'Basis-Tarif zur Selbstbedienung' }, audience: 'all', discountPercent: 35, serviceTier: 'basic', validFrom: day(-30), validUntil: null },
  ] as const;
}

/** Saved segments a marketing team would keep: who to look after first, in the stored filter's form. */
export function demoSegments() {
  return [
    {
      name: 'Loyal payers at risk',
      description: 'Pay on time, but their buying has slowed: thank them before they drift away',
      filter: { status: ['active'], riskBand: ['high', 'medium'], scores: [{ kind: 'payment-loyalty', bands: ['loyal'] }] },
    },
    {
      name: 'Loss-making accounts',
      description: 'Cost more to serve than they bring: propose a better-fitting service, never drop them abruptly',
      filter: { status: ['active'], scores: [{ kind: 'profitability', bands: ['loss-making'] }] },
    },
    {
      name: 'Persistent issues',
      description: 'The same complaint again and again: fix it before they leave',
      filter: { status: ['active'], scores: [{ kind: 'persistent-issue', bands: ['persistent'] }] },
    },
    {
      name: 'Became high churn risk this week',
      description: 'Their churn risk turned high in the last 7 days and still is: a repeating campaign reaches each of them early (empty until a nightly rescore has moved someone)',
      filter: { status: ['active'], bandMoved: { kind: 'churn-risk', to: ['high'], withinDays: 7, latestOnly: true } },
    },
  ];
}
