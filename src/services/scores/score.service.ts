import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { ScoreSnapshot } from '../../entities/index.js';
import { rowMapper } from '../common/read-model.js';

export class ScoreService {
  private readonly latest: DataLoader<string, ScoreSnapshot[]>;

  constructor(private readonly em: EntityManager) {
    const toModel = rowMapper(em, ScoreSnapshot);
    this.latest = new DataLoader(async (customerIds) => {
      const { rows } = await sql<Record<string, unknown>>`
        select distinct on (customer_id, kind) * from score_snapshot
        where customer_id = any(${[...customerIds]}::uuid[])
        order by customer_id, kind, computed_at desc`.execute(this.em.getKysely());
      const byCustomer = new Map<string, ScoreSnapshot[]>();
      for (const row of rows) {
        const snapshot = toModel(row);
        byCustomer.set(snapshot.customer.id, [...(byCustomer.get(snapshot.customer.id) ?? []), snapshot]);
      }
      return customerIds.map((id) => byCustomer.get(id) ?? []);
    });
  }

  /** The newest snapshot of each score of a customer (batched across a page of customers). */
  latestFor(customerId: string): Promise<ScoreSnapshot[]> {
    return this.latest.load(customerId);
  }
}
