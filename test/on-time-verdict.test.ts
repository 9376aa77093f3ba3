import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { defaultPaymentLoyaltyPolicy, onTimeVerdict, type PaymentLoyaltyPolicy } from '../src/domain/scoring/payment-loyalty.js';
import { onTimeVerdictSql } from '../src/services/facts/invoice-facts.js';

/**
 * Paid on time is one rule: the payment-loyalty score judges each invoice in TypeScript, the
 * campaign comparison in SQL over many members. On the real PostgreSQL both give the same verdict,
 * under the default policy and under one with grace days, so a change on one side fails here.
 */
const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1 }) }) });
afterAll(() => db.destroy());

it('judges an invoice on time, late or not yet alike in TypeScript and in SQL', async () => {
  const { today } = (await sql<{ today: string }>`select current_date::text as today`.execute(db)).rows[0];
  const daysAgo = (n: number) => new Date(Date.parse(today) - n * 86_400_000).toISOString().slice(0, 10);
  // [days ago due, days ago paid (null: open; negative: a paid day after today, not yet paid as of today)]
  const cases: Array<[number, number | null]> = [
    [-5, null], [0, null], [1, null], [3, null], [4, null], [30, null], [31, null], [40, null],
    [10, 12], [10, 10], [10, 8], [10, 7], [10, 6], [3, 0], [40, 1], [5, -1],
  ];
  const policies: Pick<PaymentLoyaltyPolicy, 'graceDays' | 'openOverdueCountsAfterDays'>[] = [defaultPaymentLoyaltyPolicy, { graceDays: 3, openOverdueCountsAfterDays: 5 }];
  // Disputes: [days ago disputed, days ago resolved (null: open), upheld, days its earlier disputes left out]; their days are
  // left out (the due day judged later).
  const disputes: Array<[number, number | null, boolean, number] | null> = [
    null, [45, null, false, 0], [45, 2, false, 0], [35, 20, false, 0], [2, null, false, 0], [38, 0, false, 0], [35, 20, true, 0], [5, null, false, 30], [4, 2, false, 35],
  ];
  for (const policy of policies) {
    for (const [due, paid] of cases) {
      for (const dispute of disputes) {
        const invoice = {
          dueAt: daysAgo(due),
          paidAt: paid === null ? null : daysAgo(paid),
          disputedFrom: dispute ? daysAgo(dispute[0]) : null,
          disputeResolvedAt: dispute?.[1] != null ? daysAgo(dispute[1]) : null,
          disputeUpheld: dispute?.[2] ?? false,
          disputedDaysBefore: dispute?.[3] ?? 0,
        };
        const { rows } = await sql<{ verdict: string | null }>`
          select ${onTimeVerdictSql(policy)} as verdict from (select ${invoice.dueAt}::date as due_at, ${invoice.paidAt}::date as paid_at,
            (${invoice.disputedFrom}::date + time '12:00') at time zone 'UTC' as disputed_at, (${invoice.disputeResolvedAt}::date + time '12:00') at time zone 'UTC' as dispute_resolved_at,
            case when ${invoice.disputeUpheld}::boolean then 'upheld' when ${invoice.disputeResolvedAt}::date is not null then 'rejected' end as dispute_outcome,
            ${invoice.disputedDaysBefore}::int as disputed_days_before) i`.execute(db);
        expect([policy.graceDays, due, paid, dispute, rows[0].verdict]).toEqual([policy.graceDays, due, paid, dispute, onTimeVerdict(invoice, today, policy)]);
      }
    }
  }
  // The cases reach every verdict under both policies.
  for (const policy of policies) {
    const verdicts = new Set(cases.map(([due, paid]) => onTimeVerdict({ dueAt: daysAgo(due), paidAt: paid === null ? null : daysAgo(paid) }, today, policy)));
    expect([...verdicts].sort()).toEqual(['late', 'on-time', null].sort());
  }
});
