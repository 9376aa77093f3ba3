import { sql, type RawBuilder } from 'kysely';
import type { CustomerStatus, ServiceTier } from '../../entities/index.js';
import { ScoreKind } from '../../domain/scoring/score-kind.js';

/** Who to list; every field narrows the list (AND). */
export interface CustomerFilter {
  status?: CustomerStatus[] | null;
  serviceTier?: ServiceTier[] | null;
  /** Case-insensitive "contains" on name and e-mail address. */
  search?: string | null;
  hasOpenComplaint?: boolean | null;
  marketingConsent?: boolean | null;
  /** RFM segment names (latest RFM score's band), e.g. "Champions", "At risk". */
  segment?: string[] | null;
  /** Churn-risk bands (latest churn-risk score's band), e.g. "high". */
  riskBand?: string[] | null;
  acquiredFrom?: string | null;
  acquiredTo?: string | null;
}

export enum CustomerSortField {
  CreatedAt = 'createdAt',
  Name = 'name',
  AcquiredAt = 'acquiredAt',
  Revenue = 'revenue',
  Score = 'score',
}

export interface CustomerSort {
  field: CustomerSortField;
  direction: 'asc' | 'desc';
  /** Which score, when sorting by score. */
  scoreKind?: ScoreKind | null;
}

export const defaultCustomerSort: CustomerSort = { field: CustomerSortField.CreatedAt, direction: 'desc' };

const latestScore = (kind: ScoreKind, column: 'value' | 'band') =>
  sql`(select s.${sql.ref(column)} from score_snapshot s where s.customer_id = c.id and s.kind = ${kind} order by s.computed_at desc limit 1)`;

/** The SQL condition for a filter, on table alias `c`. */
export function customerWhere(filter: CustomerFilter = {}): RawBuilder<boolean> {
  const parts: RawBuilder<unknown>[] = [sql`true`];
  if (filter.status?.length) parts.push(sql`c.status = any(${filter.status}::customer_status[])`);
  if (filter.serviceTier?.length) parts.push(sql`c.service_tier = any(${filter.serviceTier}::service_tier[])`);
  if (filter.search?.trim()) {
    // Same expression as the trigram index customer_search_trgm_index.
    parts.push(sql`(lower(c.name) || ' ' || lower(c.email)) like ${`%${escapeLike(filter.search.trim().toLowerCase())}%`}`);
  }
  if (filter.hasOpenComplaint != null) {
    const open = sql`exists (select 1 from complaint k where k.customer_id = c.id and k.resolved_at is null)`;
    parts.push(filter.hasOpenComplaint ? open : sql`not ${open}`);
  }
  if (filter.marketingConsent != null) parts.push(sql`c.marketing_consent = ${filter.marketingConsent}`);
  if (filter.segment?.length) parts.push(sql`${latestScore(ScoreKind.Rfm, 'band')} = any(${filter.segment}::text[])`);
  if (filter.riskBand?.length) parts.push(sql`${latestScore(ScoreKind.ChurnRisk, 'band')} = any(${filter.riskBand}::text[])`);
  if (filter.acquiredFrom) parts.push(sql`c.acquired_at >= ${filter.acquiredFrom}::date`);
  if (filter.acquiredTo) parts.push(sql`c.acquired_at <= ${filter.acquiredTo}::date`);
  return sql<boolean>`(${sql.join(parts, sql` and `)})`;
}

export interface SortKey {
  /** Expression on alias `c`, never null. */
  expr: RawBuilder<unknown>;
  /** SQL type the cursor's text value is cast back to. */
  type: string;
  /** Names list and order inside cursors. */
  tag: string;
}

/** The sort expression; nulls (no score yet) sort last in either direction. */
export function customerSortKey(sort: CustomerSort): SortKey {
  const tag = `customers:${sort.field}${sort.scoreKind ? `:${sort.scoreKind}` : ''}:${sort.direction}`;
  switch (sort.field) {
    case CustomerSortField.CreatedAt:
      return { expr: sql`c.created_at`, type: 'timestamptz', tag };
    case CustomerSortField.Name:
      return { expr: sql`lower(c.name)`, type: 'text', tag };
    case CustomerSortField.AcquiredAt:
      return { expr: sql`c.acquired_at`, type: 'date', tag };
    case CustomerSortField.Revenue:
      // Kept current by triggers on orders, indexed with the ID for keyset paging.
      return { expr: sql`c.revenue_minor`, type: 'bigint', tag };
    case CustomerSortField.Score: {
      const last = sort.direction === 'desc' ? sql.lit('-Infinity') : sql.lit('Infinity');
      return { expr: sql`coalesce(${latestScore(sort.scoreKind ?? ScoreKind.ChurnRisk, 'value')}, ${last}::double precision)`, type: 'double precision', tag };
    }
  }
}

export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}
