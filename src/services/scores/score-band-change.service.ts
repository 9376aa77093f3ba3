import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { bandMoveProblem } from '../../domain/scoring/score-bands.js';
import type { ScoreKind } from '../../domain/scoring/score-kind.js';
import { ScoringException, ScoringExceptionCode } from '../../domain/scoring/scoring.exception.js';
import { encodeCursor, pageWindow, scopedTag, windowCursor, windowPage, type Page, type PageArgs } from '../common/pagination.js';
import { assertPastDay } from './scoring.service.js';
import { assertCustomerFilter, customerWhere, storedFilter, type CustomerFilter } from '../customers/customer-query.js';

/** Which moves of one score to list: since a day, optionally only from or to some bands, for the whole base or a segment. */
export interface BandChangeQuery {
  kind: ScoreKind;
  /** First day (YYYY-MM-DD, UTC). */
  since: string;
  from?: string[] | null;
  to?: string[] | null;
  /** Only each customer's latest move of this score: the band they are in now. */
  latestOnly?: boolean | null;
  filter?: CustomerFilter | null;
}

/** A customer's score moved from one band to another when a scoring ran. */
export interface BandChange {
  customerId: string;
  kind: ScoreKind;
  previous: string | null;
  band: string | null;
  changedAt: Date;
}

/** The cursor's tag: the list of that query (a cursor taken with another score, band, day or filter is refused). */
const tagOf = (query: BandChangeQuery) =>
  scopedTag('band-changes', { kind: query.kind, since: query.since, from: query.from, to: query.to, latestOnly: query.latestOnly || null, filter: query.filter ? storedFilter(query.filter) : null });

/**
 * Who moved between bands across the base ("became high churn risk this week", "no longer
 * a loyal payer"): the moves current_score recorded as scorings ran, newest first. What a
 * retention team looks at each morning, and what a segment of today's bands cannot show.
 */
export class ScoreBandChangeService {
  constructor(private readonly em: EntityManager) {}

  async list(query: BandChangeQuery, args: PageArgs): Promise<Page<BandChange>> {
    const window = pageWindow(args);
    assertBandChangeQuery(query);
    const tag = tagOf(query);
    const [at, customerId] = windowCursor(window, tag, ['time', 'uuid']) ?? [null, null];
    // Newest first; backward, the page before the cursor is read oldest first (windowPage turns it round).
    const [op, dir] = window.backward ? [sql.raw('>'), sql.raw('asc')] : [sql.raw('<'), sql.raw('desc')];
    const db = this.em.getKysely();
    const where = sql.join(
      [
        sql`b.kind = ${query.kind}`,
        sql`b.changed_at >= ${query.since}::date::timestamp at time zone 'UTC'`,
        query.from?.length ? sql`b.previous = any(${query.from}::text[])` : sql`true`,
        query.to?.length ? sql`b.band = any(${query.to}::text[])` : sql`true`,
        query.latestOnly ? sql`not exists (select 1 from score_band_change later where later.customer_id = b.customer_id and later.kind = b.kind and later.changed_at > b.changed_at)` : sql`true`,
        query.filter ? sql`exists (select 1 from customer c where c.id = b.customer_id and ${customerWhere(query.filter)})` : sql`true`,
      ],
      sql` and `,
    );
    const { rows } = await sql<{ customer_id: string; previous: string | null; band: string | null; changed_at: Date }>`
      select b.customer_id, b.previous, b.band, b.changed_at from score_band_change b
       where ${where} ${at ? sql`and (b.changed_at, b.customer_id) ${op} (${at}::timestamptz, ${customerId}::uuid)` : sql``}
       order by b.changed_at ${dir}, b.customer_id ${dir} limit ${window.size + 1}`.execute(db);
    const changes = rows.map((r) => ({ customerId: r.customer_id, kind: query.kind, previous: r.previous, band: r.band, changedAt: new Date(r.changed_at) }));
    const total = async () => (await sql<{ n: number }>`select count(*)::int as n from score_band_change b where ${where}`.execute(db)).rows[0].n;
    return windowPage(changes, window, total, (c) => encodeCursor(tag, [c.changedAt.toISOString(), c.customerId]));
  }
}

/** Refuses a score without bands, a day that is not one, and bands the score does not have (a typo would list nobody). */
function assertBandChangeQuery(query: BandChangeQuery): void {
  const invalid = (field: string, message: string) => new ScoringException(ScoringExceptionCode.InvalidInput, message, { field });
  const problem = bandMoveProblem(query);
  if (problem) throw invalid(problem.field, problem.message);
  // As concentration's `until` and scoreDistribution's `asOf`: a day to come lists nothing, one before 1900 is a typo.
  assertPastDay(query.since, 'since');
  if (query.filter) assertCustomerFilter(query.filter);
}
