import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, type RawBuilder } from 'kysely';
import type { ScoreKind } from '../../domain/scoring/score-kind.js';
import { CurrentScore, ScoreSnapshot, type SnapshotScore } from '../../entities/index.js';
import { encodeCursor, pageWindow, scopedTag, windowCursor, windowPage, type Page, type PageArgs } from '../common/pagination.js';
import { PaginationException, PaginationExceptionCode } from '../common/pagination.exception.js';
import { projection, projectionKey, rowMapper, selectColumns } from '../common/read-model.js';

export const MAX_SCORE_HISTORY = 100;

/** One score of a customer's history: its entry in a snapshot, with when it was computed and the day it is as of. */
export interface ScoreRecord extends SnapshotScore {
  /** The snapshot it is an entry of. */
  snapshotId: string;
  customer: { id: string };
  kind: ScoreKind;
  computedAt: Date;
  asOf: string;
}

/** Where a page of a score history ends: its last value's day, when it was computed, and its ID (the Score's, `<snapshot>/<kind>`). */
export interface HistoryPosition {
  asOf: string;
  computedAt: Date;
  id: string;
}

/** A position as the history's keyset compares it, times as ISO text. */
interface HistoryKeyset {
  asOf: string;
  computedAt: string;
  snapshotId: string;
}

/** A history asked for: customer, kind, length, `before` (ISO) and `after`, as its loader's key. */
type HistoryKey = [string, ScoreKind, number, string | null, HistoryKeyset | null];

/** A page of a history as a connection reads it: customer, kind, rows to read (the page's size + 1), backward, and the cursor's keyset. */
type HistoryPageKey = [string, ScoreKind, number, boolean, HistoryKeyset | null];

/** Which rows of one history a statement reads: from a position, in the history's order or against it, how many, computed before when. */
interface HistoryRead {
  limit: number;
  backward: boolean;
  from: HistoryKeyset | null;
  computedBefore: string | null;
}

/** A history connection's cursor: the value's asOf, computedAt and snapshot, sealed under the customer and kind. */
const HISTORY_CURSOR = ['day', 'time', 'uuid'] as const;
const historyTag = (customerId: string, kind: ScoreKind) => scopedTag('score-history', { customerId, kind });

const SCORE_ID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(\/[a-z-]+)?$/i;

/** A score as a customer's page shows it: the current value (from current_score) or one entry of its history. */
export type ScoreView = CurrentScore | ScoreRecord;

/** A customer's latest scores, with the current_score properties read (null: all). */
interface LatestKey {
  customerId: string;
  properties: readonly string[] | null;
}
const KIND = ['kind'];
const KIND_AND_SNAPSHOT = ['kind', 'snapshotId'];
const latestKeyOf = (k: LatestKey) => `${k.customerId}|${projectionKey(k.properties)}`;

export class ScoreService {
  private readonly latest: DataLoader<LatestKey, CurrentScore[], string>;
  /** Keyed by customer, kind, length and position; one statement per kind, length and position asked for in a request. */
  private readonly history: DataLoader<string, ScoreRecord[]>;
  /** A history connection's pages, keyed as `HistoryPageKey`; one statement per kind and window asked for in a request. */
  private readonly historyPages: DataLoader<string, ScoreRecord[]>;
  /** How many values each customer's history of a kind holds, keyed `[customer, kind]`; counted only when asked for. */
  private readonly historyCounts: DataLoader<string, number>;
  private readonly toSnapshot: (row: Record<string, unknown>) => ScoreSnapshot;
  /** Reasons and model version live on the snapshot (its scores by kind): read only when a client asks for them. */
  private readonly snapshots: DataLoader<string, Record<string, SnapshotScore> | null>;
  private readonly toCurrent: (row: Record<string, unknown>) => CurrentScore;
  /** Latest scores read by a customers page's own statement: answered at once, without a loader's promise. */
  private readonly primedLatest = new Map<string, CurrentScore[]>();

  constructor(private readonly em: EntityManager) {
    this.toCurrent = rowMapper(em, CurrentScore);
    this.toSnapshot = rowMapper(em, ScoreSnapshot);
    this.latest = new DataLoader(
      async (keys) => {
        const found = new Map<string, CurrentScore[]>();
        for (const group of Map.groupBy(keys, (k) => projectionKey(k.properties)).values()) {
          const { properties } = group[0];
          // current_score holds each current value: read by key, whatever the history's length.
          const { rows } = await sql<Record<string, unknown>>`
            select cs.customer_id as _customer, ${selectColumns(em, CurrentScore, 'cs', properties)} from current_score cs
             where cs.customer_id = any(${group.map((k) => k.customerId)}::uuid[])
             order by cs.customer_id, cs.kind`.execute(this.em.getKysely());
          for (const [customerId, own] of Map.groupBy(rows, (row) => row._customer as string)) {
            found.set(latestKeyOf({ customerId, properties }), this.toScores(customerId, own));
          }
        }
        return keys.map((k) => found.get(latestKeyOf(k)) ?? []);
      },
      { cacheKeyFn: latestKeyOf },
    );
    this.snapshots = new DataLoader(async (ids) => {
      const { rows } = await sql<{ id: string; scores: Record<string, SnapshotScore> }>`
        select id, scores from score_snapshot where id = any(${[...ids]}::uuid[])`.execute(this.em.getKysely());
      const byId = new Map(rows.map((row) => [row.id, row.scores]));
      return ids.map((id) => byId.get(id) ?? null);
    });
    this.history = new DataLoader(async (keys) => {
      const wanted = keys.map((k) => JSON.parse(k) as HistoryKey);
      const found = new Map<string, ScoreRecord[]>();
      for (const group of new Set(wanted.map(([, ...rest]) => JSON.stringify(rest)))) {
        const [kind, limit, before, after] = JSON.parse(group) as [ScoreKind, number, string | null, HistoryKeyset | null];
        const ids = wanted.filter(([, ...rest]) => JSON.stringify(rest) === group).map(([id]) => id);
        for (const [customerId, records] of await this.readHistories(ids, kind, { limit, backward: false, from: after, computedBefore: before })) {
          found.set(JSON.stringify([customerId, kind, limit, before, after]), records);
        }
      }
      return keys.map((k) => found.get(k) ?? []);
    });
    this.historyPages = new DataLoader(async (keys) => {
      const wanted = keys.map((k) => JSON.parse(k) as HistoryPageKey);
      const found = new Map<string, ScoreRecord[]>();
      // Customers asking for the same window share one statement (a first page of each customer of a page; a cursor is one customer's).
      for (const group of new Set(wanted.map(([, ...rest]) => JSON.stringify(rest)))) {
        const [kind, limit, backward, from] = JSON.parse(group) as [ScoreKind, number, boolean, HistoryKeyset | null];
        const ids = wanted.filter(([, ...rest]) => JSON.stringify(rest) === group).map(([id]) => id);
        for (const [customerId, records] of await this.readHistories(ids, kind, { limit, backward, from, computedBefore: null })) {
          found.set(JSON.stringify([customerId, kind, limit, backward, from]), records);
        }
      }
      return keys.map((k) => found.get(k) ?? []);
    });
    this.historyCounts = new DataLoader(async (keys) => {
      const wanted = keys.map((k) => JSON.parse(k) as [string, ScoreKind]);
      const counts = new Map<string, number>();
      for (const [kind, group] of Map.groupBy(wanted, ([, kind]) => kind)) {
        const { rows } = await sql<{ customer_id: string; n: string }>`
          select customer_id, count(*) as n from score_snapshot where customer_id = any(${group.map(([id]) => id)}::uuid[]) and scores ? ${kind} group by 1`.execute(this.em.getKysely());
        for (const row of rows) counts.set(JSON.stringify([row.customer_id, kind]), Number(row.n));
      }
      return keys.map((k) => counts.get(k) ?? 0);
    });
  }

  /**
   * Each customer's values of one score from a position (exclusive; null: from the newest, or going backward from the
   * oldest), in the history's order (backward: against it, nearest the position first), by customer. The history's order:
   * by the day a snapshot describes (a backfill of a past day among that day's neighbours, however late it ran), newest
   * first, then by when computed and by ID; snapshots without this kind skipped (a rescore after an event writes a few kinds).
   */
  private async readHistories(customerIds: string[], kind: ScoreKind, read: HistoryRead): Promise<Map<string, ScoreRecord[]>> {
    const dir = sql.raw(read.backward ? 'asc' : 'desc');
    const { from } = read;
    const { rows } = await sql<Record<string, unknown>>`
      select s.id, s.customer_id, s.computed_at, s.as_of, s.score from unnest(${customerIds}::uuid[]) as c(id)
      cross join lateral (select id, customer_id, computed_at, as_of, scores -> ${kind} as score from score_snapshot
                           where customer_id = c.id and scores ? ${kind}
                             ${read.computedBefore ? sql`and computed_at < ${read.computedBefore}::timestamptz` : sql``}
                             ${from ? sql`and (as_of, computed_at, id) ${sql.raw(read.backward ? '>' : '<')} (${from.asOf}::date, ${from.computedAt}::timestamptz, ${from.snapshotId}::uuid)` : sql``}
                           order by as_of ${dir}, computed_at ${dir}, id ${dir} limit ${read.limit}) s
      order by s.customer_id, s.as_of ${dir}, s.computed_at ${dir}, s.id ${dir}`.execute(this.em.getKysely());
    const found = new Map<string, ScoreRecord[]>();
    for (const row of rows) {
      const { id: snapshotId, customer, computedAt, asOf } = this.toSnapshot(row);
      const record: ScoreRecord = { snapshotId, customer, kind, computedAt, asOf, ...(row.score as SnapshotScore) };
      found.set(customer.id, [...(found.get(customer.id) ?? []), record]);
    }
    return found;
  }

  /**
   * One score's history of a customer as a connection, in the history's order (newest day first, then by when computed,
   * then by snapshot), paged either way with cursors sealed under the customer and kind (another history's is refused);
   * batched across a page of customers.
   */
  async historyPage(customerId: string, kind: ScoreKind, args: PageArgs): Promise<Page<ScoreRecord>> {
    const window = pageWindow(args);
    const tag = historyTag(customerId, kind);
    const cursor = windowCursor(window, tag, HISTORY_CURSOR) as [string, string, string] | null;
    const from = cursor && { asOf: cursor[0], computedAt: cursor[1], snapshotId: cursor[2] };
    const key: HistoryPageKey = [customerId, kind, window.size + 1, window.backward, from];
    const rows = await this.historyPages.load(JSON.stringify(key));
    return windowPage(
      rows,
      window,
      () => this.historyCounts.load(JSON.stringify([customerId, kind])),
      (record) => encodeCursor(tag, [record.asOf, record.computedAt.toISOString(), record.snapshotId]),
    );
  }

  /**
   * The last `limit` values of one score of a customer, by the day they describe (`asOf`), newest
   * first, then by when they were computed (and the snapshot, for a stable order); batched across
   * a page of customers. `after`: the last value of the previous page, to page further back
   * (keyset). `before`: only values computed before that time (a filter, not a position in this order).
   */
  async historyFor(customerId: string, kind: ScoreKind, limit: number, { before = null, after = null }: { before?: Date | null; after?: HistoryPosition | null } = {}): Promise<ScoreRecord[]> {
    if (!(Number.isInteger(limit) && limit >= 1 && limit <= MAX_SCORE_HISTORY)) {
      throw new PaginationException(PaginationExceptionCode.InvalidPageSize, `last must be between 1 and ${MAX_SCORE_HISTORY}`, { last: limit, field: 'last' });
    }
    let position: HistoryKeyset | null = null;
    if (after) {
      const [, snapshotId, ownKind] = SCORE_ID.exec(after.id) ?? [];
      const notOfThisHistory = () => new PaginationException(PaginationExceptionCode.InvalidCursor, `after.id must be the id of a value of this customer's ${kind} history`, { field: 'after.id' });
      if (!snapshotId) throw new PaginationException(PaginationExceptionCode.InvalidCursor, 'after.id must be the id of a score of the history', { field: 'after.id' });
      // As the other lists refuse a cursor of another parent: a position from another customer's or another score's
      // history (a front end mixing up two "load more" buttons) would page from wherever its keys fall.
      if (ownKind && ownKind !== `/${kind}`) throw notOfThisHistory();
      // One thinned away since the page was read (the nightly thinning) is gone: its keys still say where the page ended.
      const { rows } = await sql<{ own: boolean; same: boolean }>`
        select customer_id = ${customerId}::uuid and scores ? ${kind} as own, as_of = ${after.asOf}::date and computed_at = ${after.computedAt.toISOString()}::timestamptz as same
          from score_snapshot where id = ${snapshotId.toLowerCase()}::uuid`.execute(this.em.getKysely());
      if (rows.length && !rows[0].own) throw notOfThisHistory();
      // One still stored is where it is: keys filled in from elsewhere (the current score's day, a date picker) would page
      // from another place, repeating the value itself or skipping the whole history, so they are refused as a doctored cursor is.
      if (rows.length && !rows[0].same) {
        throw new PaginationException(PaginationExceptionCode.InvalidCursor, 'after must be a value of the history as listed: its asOf and computedAt are not those of the value its id names', { field: 'after' });
      }
      position = { asOf: after.asOf, computedAt: after.computedAt.toISOString(), snapshotId: snapshotId.toLowerCase() };
    }
    const key: HistoryKey = [customerId, kind, limit, before?.toISOString() ?? null, position];
    return this.history.load(JSON.stringify(key));
  }

  /** The band of a customer's current score of one kind; null when unscored. */
  async currentBand(customerId: string, kind: string): Promise<string | null> {
    return (await this.currentBands(customerId, [kind]))[0];
  }

  /** The bands of a customer's current scores of these kinds, in their order (null: unscored), in one statement. */
  async currentBands(customerId: string, kinds: readonly string[]): Promise<(string | null)[]> {
    const { rows } = await sql<{ kind: string; band: string | null }>`
      select kind, band from current_score where customer_id = ${customerId}::uuid and kind = any(${kinds}::text[])`.execute(this.em.getKysely());
    return kinds.map((kind) => rows.find((r) => r.kind === kind)?.band ?? null);
  }

  /**
   * The current value of each score of a customer, by kind (batched across a page of
   * customers). With `fields` (of ScoreView), only what those need is read.
   */
  latestFor(customerId: string, fields?: readonly string[]): CurrentScore[] | Promise<CurrentScore[]> {
    const key = { customerId, properties: this.latestProperties(fields) };
    return this.primedLatest.get(latestKeyOf(key)) ?? this.latest.load(key);
  }

  /** The facts behind a score and the model that computed it (batched: one statement for a page's scores). */
  async explain(score: ScoreView): Promise<{ reasons: string[]; modelVersion: string }> {
    if ('reasons' in score) return score;
    const own = (await this.snapshots.load(score.snapshotId))?.[score.kind];
    // current_score only ever points at a written snapshot holding its kind; a missing one is a fault, not an empty explanation.
    if (!own) throw new Error(`score snapshot ${score.snapshotId} of customer ${score.customer.id} has no ${score.kind} score`);
    return own;
  }

  /** The latest scores of the customer `customerId` (a column of the caller's query) as one JSON column, for `primeLatest`; `fields` as for `latestFor`. */
  latestColumn(customerId: RawBuilder<unknown>, fields?: readonly string[]): RawBuilder<unknown> {
    const columns = selectColumns(this.em, CurrentScore, 'cs', this.latestProperties(fields));
    // row_to_json costs PostgreSQL half of what json_build_object over the same columns does.
    return sql`(select coalesce(json_agg(row_to_json(cs) order by cs.kind), '[]') from (select ${columns} from current_score cs where cs.customer_id = ${customerId}) cs)`;
  }

  /** Takes a customer's latest scores read with `latestColumn` (in the customers page's statement), so `latestFor` with the same fields reads nothing. */
  primeLatest(customerId: string, fields: readonly string[] | undefined, rows: Record<string, unknown>[]): void {
    this.primedLatest.set(latestKeyOf({ customerId, properties: this.latestProperties(fields) }), this.toScores(customerId, rows));
  }

  private toScores(customerId: string, rows: Record<string, unknown>[]): CurrentScore[] {
    const customer = { id: customerId } as CurrentScore['customer'];
    return rows.map((row) => {
      const score = this.toCurrent(row);
      score.customer = customer;
      return score;
    });
  }

  /** The current_score properties that ScoreView fields need: reasons and model version are read from the snapshot it points at, which names the score too (`id`). */
  private latestProperties(fields: readonly string[] | undefined): readonly string[] | null {
    if (!fields) return null;
    return projection(this.em, CurrentScore, fields, ['reasons', 'modelVersion', 'id'].some((f) => fields.includes(f)) ? KIND_AND_SNAPSHOT : KIND);
  }
}
