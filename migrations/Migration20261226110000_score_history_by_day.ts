import { Migration } from '@mikro-orm/migrations';

/**
 * A customer's score history is listed by the day each value describes (as_of), then by when
 * it was computed and the snapshot, so a backfill of a past day stands among that day's
 * neighbours instead of above today's. The per-customer index follows that order, so a page
 * of a history still reads only its own rows; it replaces the one by computed_at, which only
 * the history read (and a customer's deletion, which the new one's customer_id serves too).
 */
export class Migration20261226110000_score_history_by_day extends Migration {
  override name = 'Migration20261226110000_score_history_by_day';

  override up(): void | Promise<void> {
    this.addSql(`create index "score_snapshot_customer_id_as_of_computed_at_id_index" on "score_snapshot" ("customer_id", "as_of", "computed_at", "id");`);
    this.addSql(`drop index "score_snapshot_customer_id_computed_at_index";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`create index "score_snapshot_customer_id_computed_at_index" on "score_snapshot" ("customer_id", "computed_at");`);
    this.addSql(`drop index "score_snapshot_customer_id_as_of_computed_at_id_index";`);
  }
}
