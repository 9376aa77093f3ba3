import { sql, type RawBuilder } from 'kysely';
import type { CustomerStatus, ServiceTier } from '../../entities/index.js';
import { bandMoveProblem, bandsProblem, SCORE_BANDS, valueBoundProblem } from '../../domain/scoring/score-bands.js';
import { ScoreKind } from '../../domain/scoring/score-kind.js';
import { scopedTag, type CursorPart } from '../common/pagination.js';
import { CustomerException, CustomerExceptionCode } from './customer.exception.js';
import { characterCount, echoedList } from '../../domain/text.js';
import { hasOpenComplaint, hasOpenIssue } from '../facts/customer-facts.js';
import { beforeEarliestDay, tooEarly } from '../../domain/earliest-day.js';

/** Who to list; every field narrows the list (AND). */
export interface CustomerFilter {
  status?: CustomerStatus[] | null;
  serviceTier?: ServiceTier[] | null;
  /** Case-insensitive "contains" on name and e-mail address. */
  search?: string | null;
  hasOpenComplaint?: boolean | null;
  /** A complaint or a persistent issue's fix case is open: what the contact guard holds marketing back for (`open-complaint`). */
  hasOpenIssue?: boolean | null;
  marketingConsent?: boolean | null;
  /** RFM segment names (latest RFM score's band), e.g. "Champions", "At risk". */
  segment?: string[] | null;
  /** Churn-risk bands (latest churn-risk score's band), e.g. "high". */
  riskBand?: string[] | null;
  /** Conditions on current scores, all of which must hold. */
  scores?: ScoreCondition[] | null;
  acquiredFrom?: string | null;
  acquiredTo?: string | null;
  /** Customers whose score moved between bands lately ("became high churn risk this week"). */
  bandMoved?: BandMoveCondition | null;
}

/**
 * A customer whose score of `kind` moved out of one of `from` into one of `to` (each
 * optional) in the last `withinDays` days: relative, so a saved segment keeps meaning
 * "lately" as the days pass.
 */
export interface BandMoveCondition {
  kind: ScoreKind;
  from?: string[] | null;
  to?: string[] | null;
  withinDays: number;
  /** Only a customer's latest move of the score counts: those who have moved back since are out. */
  latestOnly?: boolean | null;
}

/** How far back a band move may be looked for (a year and a day). */
export const MAX_BAND_MOVE_DAYS = 366;
/** Longest text search: names and e-mail addresses are shorter, and a longer one would be stored with every segment and campaign that keeps it. */
export const MAX_SEARCH_LENGTH = 200;

/** A customer whose current score of `kind` has one of `bands` (or, `withoutBand`, none) and a value within [min, max] (each optional). */
export interface ScoreCondition {
  kind: ScoreKind;
  bands?: string[] | null;
  /** The score has no band (scoreDistribution's `withoutBand`: profitability not judged, RFM not ranked, CLV). */
  withoutBand?: boolean | null;
  min?: number | null;
  max?: number | null;
}

/** One condition per score kind is all a filter needs. */
export const MAX_SCORE_CONDITIONS = Object.keys(SCORE_BANDS).length;

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

/**
 * `column = any(values)`, but a plain equality for one value: only that lets PostgreSQL read
 * a (band, created_at) index in list order instead of filtering the newest customers one by one.
 */
const isOneOf = (column: RawBuilder<unknown>, values: string[]) =>
  values.length === 1 ? sql`${column} = ${values[0]}` : sql`${column} = any(${values}::text[])`;

/** A sort field as the API spells it (its enum's name: `Name`, not `name`). */
const sortFieldName = (field: CustomerSortField) => Object.entries(CustomerSortField).find(([, value]) => value === field)?.[0] ?? field;

/** A score kind names which score to sort by: given with another sort it would be ignored, and a client would believe it sorted by it. */
export function assertCustomerSort(sort: CustomerSort): void {
  if (sort.scoreKind && sort.field !== CustomerSortField.Score) {
    throw new CustomerException(CustomerExceptionCode.InvalidInput, `scoreKind sorts by a score: give it with field Score, not ${sortFieldName(sort.field)}`, { field: 'sort.scoreKind' });
  }
}

/**
 * Refuses a filter naming a segment or band that does not exist (a typo would otherwise
 * match nobody, and a campaign on it would quietly reach no one), and score conditions
 * that cannot hold.
 */
export function assertCustomerFilter(filter: CustomerFilter): void {
  const invalid = (field: string, message: string) => new CustomerException(CustomerExceptionCode.InvalidInput, message, { field: `filter.${field}` });
  const check = (field: string, values: readonly string[] | null | undefined, known: readonly string[], what = field) => {
    const unknown = values?.filter((v) => !known.includes(v)) ?? [];
    if (unknown.length) throw invalid(field, `Unknown ${what} ${echoedList(unknown)}; one of: ${known.join(', ')}`);
  };
  if (filter.search && characterCount(filter.search) > MAX_SEARCH_LENGTH) {
    throw invalid('search', `search is longer than ${MAX_SEARCH_LENGTH} characters`);
  }
  check('segment', filter.segment, SCORE_BANDS[ScoreKind.Rfm]);
  // A day before 1900 is a typo (0001 for 2001), as for every business date: kept, acquiredFrom would quietly take in the
  // whole base (a campaign meant for one cohort reaching everybody).
  for (const field of ['acquiredFrom', 'acquiredTo'] as const) {
    const day = filter[field];
    if (day && beforeEarliestDay(day)) throw invalid(field, tooEarly(field));
  }
  if (filter.acquiredFrom && filter.acquiredTo && filter.acquiredFrom > filter.acquiredTo) {
    throw invalid('acquiredFrom', `acquiredFrom (${filter.acquiredFrom}) is after acquiredTo (${filter.acquiredTo})`);
  }
  check('riskBand', filter.riskBand, SCORE_BANDS[ScoreKind.ChurnRisk]);
  const conditions = filter.scores ?? [];
  if (conditions.length > MAX_SCORE_CONDITIONS) throw invalid('scores', `At most ${MAX_SCORE_CONDITIONS} score conditions`);
  conditions.forEach((c, i) => {
    const at = `scores.${i}`;
    if (c.withoutBand && c.bands?.length) throw invalid(`${at}.withoutBand`, 'withoutBand selects customers whose score has no band: give it or bands, not both');
    if (c.bands?.length) {
      const problem = bandsProblem(c.kind, c.bands);
      if (problem) throw invalid(`${at}.bands`, SCORE_BANDS[c.kind].length ? problem : `${problem}; filter it by min and max`);
    }
    for (const bound of ['min', 'max'] as const) {
      if (c[bound] != null && !Number.isFinite(c[bound])) throw invalid(`${at}.${bound}`, `${bound} must be a finite number`);
      const outOfRange = c[bound] != null ? valueBoundProblem(c.kind, c[bound]) : null;
      if (outOfRange) throw invalid(`${at}.${bound}`, `${bound}: ${outOfRange}`);
    }
    if (c.min != null && c.max != null && c.min > c.max) throw invalid(`${at}.min`, `min (${c.min}) is above max (${c.max})`);
  });
  if (filter.bandMoved) {
    const { withinDays } = filter.bandMoved;
    const problem = bandMoveProblem(filter.bandMoved);
    if (problem) throw invalid(`bandMoved.${problem.field}`, problem.message);
    if (!(Number.isInteger(withinDays) && withinDays >= 1 && withinDays <= MAX_BAND_MOVE_DAYS)) {
      throw invalid('bandMoved.withinDays', `withinDays must be a whole number of days from 1 to ${MAX_BAND_MOVE_DAYS}`);
    }
  }
}

/** Whose stored filter: a saved segment's or a campaign's. */
export interface FilterOwner {
  kind: 'segment' | 'campaign';
  id: string;
  /** How the user puts it right (default: give it a filter without the refused value, updateSegment or updateCampaign). */
  fix?: string;
}

/**
 * A stored filter (a saved segment's, a campaign's copy) about to select customers: checked by
 * `assertCustomerFilter`, as a filter given now would be. One saved before a check it now fails
 * (an acquiredFrom of 0001-12-01, kept before days before 1900 were refused) still reads as it
 * is, but selects nobody: a preview, a launch, a segment's customers or reports, or a campaign
 * made from the segment would take in whom the check was made to keep out (the whole base).
 * The refusal has the check's code and names the owner's stored field (`segment.filter.acquiredFrom`,
 * not an input the caller sent) and the change that fixes it.
 */
export function assertStoredFilter(filter: CustomerFilter, owner: FilterOwner): void {
  try {
    assertCustomerFilter(filter);
  } catch (error) {
    if (!(error instanceof CustomerException) || error.code !== CustomerExceptionCode.InvalidInput) throw error;
    const fix = owner.fix ?? `give the ${owner.kind} a filter without it (${owner.kind === 'segment' ? 'updateSegment' : 'updateCampaign'}) before selecting customers by it`;
    throw new CustomerException(
      CustomerExceptionCode.InvalidInput,
      `The filter stored with ${owner.kind} ${owner.id} is refused now: ${error.message}; ${fix}`,
      { ...error.details, field: `${owner.kind}.${String(error.details.field)}`, [`${owner.kind}Id`]: owner.id },
    );
  }
}

/** Customers whose current score of the condition's kind meets it (current_score's key finds it; its (kind, band) and (kind, value) indexes serve selective ones). */
function scoreMeets(c: ScoreCondition): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [sql`s.customer_id = c.id`, sql`s.kind = ${c.kind}`];
  if (c.bands?.length) parts.push(isOneOf(sql`s.band`, c.bands));
  // The score is there (a row of current_score) without a band: what scoreDistribution counts as `withoutBand`.
  if (c.withoutBand) parts.push(sql`s.band is null`);
  if (c.min != null) parts.push(sql`s.value >= ${c.min}`);
  if (c.max != null) parts.push(sql`s.value <= ${c.max}`);
  return sql`exists (select 1 from current_score s where ${sql.join(parts, sql` and `)})`;
}

/** Customers with a recorded move of the condition's score (score_band_change's key finds a customer's). */
function bandMoved(m: BandMoveCondition): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [sql`b.customer_id = c.id`, sql`b.kind = ${m.kind}`, sql`b.changed_at >= now() - make_interval(days => ${m.withinDays}::int)`];
  if (m.from?.length) parts.push(sql`b.previous = any(${m.from}::text[])`);
  if (m.to?.length) parts.push(sql`b.band = any(${m.to}::text[])`);
  if (m.latestOnly) parts.push(sql`not exists (select 1 from score_band_change later where later.customer_id = b.customer_id and later.kind = b.kind and later.changed_at > b.changed_at)`);
  return sql`exists (select 1 from score_band_change b where ${sql.join(parts, sql` and `)})`;
}

/**
 * The text a search looks for: a line break or tab (pasted from a spreadsheet or a text area)
 * is a space, so it neither bridges the name and the e-mail, which the search keeps apart with
 * one, nor misses "Anna Larsen" for "Anna<line break>Larsen"; trimmed; in Unicode NFC, as names
 * and e-mail addresses are stored, so "gru\u0308nwald" typed on a Mac finds "Grünwald".
 */
const searchText = (search: string | null | undefined): string | undefined => search?.replace(/[\t\n\v\f\r]+/g, ' ').trim().normalize('NFC');

/**
 * A filter as it is kept (a saved segment): only the conditions given, in a fixed order, so
 * two equal filters are stored and compared alike whatever order or nulls they came with.
 */
export function storedFilter(filter: CustomerFilter): CustomerFilter {
  const kept = (value: unknown) => value != null && !(Array.isArray(value) && value.length === 0) && value !== '';
  const compact = <T extends object>(o: T, keys: readonly (keyof T)[]): T => Object.fromEntries(keys.filter((k) => kept(o[k])).map((k) => [k, o[k]])) as T;
  const search = searchText(filter.search);
  const stored = compact({ ...filter, search }, FILTER_FIELDS);
  // withoutBand false says nothing: kept only when true, so a filter with it false is stored as one without.
  if (stored.scores) stored.scores = stored.scores.map((c) => compact({ ...c, withoutBand: c.withoutBand || null }, ['kind', 'bands', 'withoutBand', 'min', 'max']));
  if (stored.bandMoved) stored.bandMoved = compact(stored.bandMoved, ['kind', 'from', 'to', 'withinDays', 'latestOnly']);
  return stored;
}

const FILTER_FIELDS = ['status', 'serviceTier', 'search', 'hasOpenComplaint', 'hasOpenIssue', 'marketingConsent', 'segment', 'riskBand', 'scores', 'acquiredFrom', 'acquiredTo', 'bandMoved'] as const satisfies readonly (keyof CustomerFilter)[];

/**
 * The SQL condition for a filter, on table alias `c`. Filters from clients go through
 * `assertCustomerFilter` first, stored ones (a segment's, a campaign's) `assertStoredFilter` where they select customers.
 */
export function customerWhere(filter: CustomerFilter = {}): RawBuilder<boolean> {
  const parts: RawBuilder<unknown>[] = [sql`true`];
  if (filter.status?.length) parts.push(sql`c.status = any(${filter.status}::customer_status[])`);
  if (filter.serviceTier?.length) parts.push(sql`c.service_tier = any(${filter.serviceTier}::service_tier[])`);
  const search = searchText(filter.search);
  if (search) {
    // Same expression as the trigram index customer_search_trgm_index: name and e-mail apart, so "larsen david" finds no David Larsen.
    parts.push(sql`(lower(c.name) || chr(10) || lower(c.email)) like ${`%${escapeLike(search.toLowerCase())}%`}`);
  }
  if (filter.hasOpenComplaint != null) {
    const open = hasOpenComplaint('c.id');
    parts.push(filter.hasOpenComplaint ? open : sql`not ${open}`);
  }
  if (filter.hasOpenIssue != null) {
    const open = hasOpenIssue('c.id');
    parts.push(filter.hasOpenIssue ? open : sql`not ${open}`);
  }
  if (filter.marketingConsent != null) parts.push(sql`c.marketing_consent = ${filter.marketingConsent}`);
  // Copies of the current RFM and churn-risk bands on the customer row, kept by triggers on current_score.
  if (filter.segment?.length) parts.push(isOneOf(sql`c.rfm_segment`, filter.segment));
  if (filter.riskBand?.length) parts.push(isOneOf(sql`c.churn_band`, filter.riskBand));
  for (const condition of filter.scores ?? []) parts.push(scoreMeets(condition));
  if (filter.acquiredFrom) parts.push(sql`c.acquired_at >= ${filter.acquiredFrom}::date`);
  if (filter.acquiredTo) parts.push(sql`c.acquired_at <= ${filter.acquiredTo}::date`);
  if (filter.bandMoved) parts.push(bandMoved(filter.bandMoved));
  return sql<boolean>`(${sql.join(parts, sql` and `)})`;
}

export interface SortKey {
  /** Expression on alias `c`, never null. */
  expr: RawBuilder<unknown>;
  /** SQL type the cursor's text value is cast back to. */
  type: string;
  /** What that value must look like when a cursor comes back. */
  cursor: CursorPart;
}

/**
 * Names the list, its order and its filter inside cursors, so a cursor of another order or
 * another filter is refused: a list whose filter changed starts again from its top instead of
 * somewhere in its middle. An unfiltered list's tag names no filter.
 */
export function customerListTag(sort: CustomerSort, filter: CustomerFilter = {}): string {
  // Lists in any order (of values, of score conditions) are the same filter.
  // The RFM sort went by its code before it went by segment: a cursor of then is refused, not read in the new order.
  const kind = sort.scoreKind === ScoreKind.Rfm ? 'rfm-segment' : sort.scoreKind;
  return scopedTag(`customers:${sort.field}${kind ? `:${kind}` : ''}:${sort.direction}`, { ...storedFilter(filter) });
}

/**
 * Where a customer's RFM score places them when customers are sorted by it: by segment (descending, Champions first and
 * Lost last, in the model's order of segments), then by the code within it. By the code alone, recency decided: a one-off
 * buyer of last week ranked above a loyal customer, and "Can't lose them" below Hibernating. The same expression as the
 * index of migration 20261228101390 (current_score_rfm_segment_order_index), which serves its pages.
 */
export function rfmSegmentOrder(alias: string): RawBuilder<number> {
  const segments = SCORE_BANDS[ScoreKind.Rfm];
  const n = segments.length + 1;
  const names = segments.map((segment) => `'${segment.replace(/'/g, "''")}'`).join(', ');
  return sql<number>`((${sql.lit(n)} - coalesce(array_position(array[${sql.raw(names)}]::text[], ${sql.ref(`${alias}.band`)}), ${sql.lit(n)})) * 1000 + ${sql.ref(`${alias}.value`)})`;
}

/** The sort expression on the customer row; null for scores, which a two-part keyset over current_score serves. */
export function customerSortKey(sort: CustomerSort): SortKey | null {
  switch (sort.field) {
    case CustomerSortField.CreatedAt:
      return { expr: sql`c.created_at`, type: 'timestamptz', cursor: 'time' };
    case CustomerSortField.Name:
      return { expr: sql`(c.name collate "und-x-icu")`, type: 'text', cursor: 'text' };
    case CustomerSortField.AcquiredAt:
      return { expr: sql`c.acquired_at`, type: 'date', cursor: 'day' };
    case CustomerSortField.Revenue:
      // Kept current by triggers on orders, indexed with the ID for keyset paging.
      return { expr: sql`c.revenue_minor`, type: 'bigint', cursor: 'integer' };
    case CustomerSortField.Score:
      return null;
  }
}

export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}
