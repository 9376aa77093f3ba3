import DataLoader from 'dataloader';
import type { EntityDictionary } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { ScoreSnapshot } from '../../entities/index.js';

export class ScoreService {
  private readonly latest: DataLoader<string, ScoreSnapshot[]>;

  constructor(private readonly em: EntityManager) {
    this.latest = new DataLoader(async (customerIds) => {
      const { rows } = await sql<Record<string, unknown>>`
        select distinct on (customer_id, kind) * from score_snapshot
        where customer_id = any(${[...customerIds]}::uuid[])
        order by customer_id, kind, computed_at desc`.execute(this.em.getKysely());
      const snapshots = rows.map((row) => this.em.map(ScoreSnapshot, row as EntityDictionary<ScoreSnapshot>));
      return customerIds.map((id) => snapshots.filter((s) => s.customer.id === id));
    });
  }

  /** The newest snapshot of each score of a customer (batched across a page of customers). */
  latestFor(customerId: string): Promise<ScoreSnapshot[]> {
    return this.latest.load(customerId);
  }
}
