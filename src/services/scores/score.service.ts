import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { ScoreSnapshot } from '../../entities/index.js';
import { PaginationException, PaginationExceptionCode } from '../common/pagination.js';
import { rowMapper } from '../common/read-model.js';

export const MAX_SCORE_HISTORY = 100;

export class ScoreService {
  private readonly latest: DataLoader<string, ScoreSnapshot[]>;
  /** Keyed by customer, kind and length; one statement per kind and length asked for in a request. */
  private readonly history: DataLoader<string, ScoreSnapshot[]>;

  constructor(private readonly em: EntityManager) {
    const toModel = rowMapper(em, ScoreSnapshot);
    this.latest = new DataLoader(async (customerIds) => {
      // current_score points at each newest snapshot: read by key, whatever the history's length.
      const { rows } = await sql<Record<string, unknown>>`
        select s.* from current_score cs join score_snapshot s on s.id = cs.snapshot_id
         where cs.customer_id = any(${[...customerIds]}::uuid[])
         order by cs.customer_id, cs.kind`.execute(this.em.getKysely());
      const byCustomer = new Map<string, ScoreSnapshot[]>();
      for (const row of rows) {
        const snapshot = toModel(row);
        byCustomer.set(snapshot.customer.id, [...(byCustomer.get(snapshot.customer.id) ?? []), snapshot]);
      }
      return customerIds.map((id) => byCustomer.get(id) ?? []);
    });
    this.history = new DataLoader(async (keys) => {
      const wanted = keys.map((k) => JSON.parse(k) as [string, string, number]);
      const found = new Map<string, ScoreSnapshot[]>();
      for (const group of new Set(wanted.map(([, kind, limit]) => JSON.stringify([kind, limit])))) {
        const [kind, limit] = JSON.parse(group) as [string, number];
        const ids = wanted.filter(([, k, l]) => k === kind && l === limit).map(([id]) => id);
        const { rows } = await sql<Record<string, unknown>>`
          select s.* from unnest(${ids}::uuid[]) as c(id)
          cross join lateral (select * from score_snapshot where customer_id = c.id and kind = ${kind} order by computed_at desc limit ${limit}) s
          order by s.customer_id, s.computed_at desc`.execute(this.em.getKysely());
        for (const row of rows) {
          const snapshot = toModel(row);
          const key = JSON.stringify([snapshot.customer.id, kind, limit]);
          found.set(key, [...(found.get(key) ?? []), snapshot]);
        }
      }
      return keys.map((k) => found.get(k) ?? []);
    });
  }

  /** The last `limit` snapshots of one score of a customer, newest first (batched across a page of customers). */
  historyFor(customerId: string, kind: string, limit: number): Promise<ScoreSnapshot[]> {
    if (!(Number.isInteger(limit) && limit >= 1 && limit <= MAX_SCORE_HISTORY)) {
      throw new PaginationException(PaginationExceptionCode.InvalidPageSize, `last must be between 1 and ${MAX_SCORE_HISTORY}`, { last: limit });
    }
    return this.history.load(JSON.stringify([customerId, kind, limit]));
  }

  /** The band of a customer's current score of one kind; null when unscored. */
  async currentBand(customerId: string, kind: string): Promise<string | null> {
    const { rows } = await sql<{ band: string | null }>`select band from current_score where customer_id = ${customerId}::uuid and kind = ${kind}`.execute(this.em.getKysely());
    return rows[0]?.band ?? null;
  }

  /** The newest snapshot of each score of a customer (batched across a page of customers). */
  latestFor(customerId: string): Promise<ScoreSnapshot[]> {
    return this.latest.load(customerId);
  }
}
