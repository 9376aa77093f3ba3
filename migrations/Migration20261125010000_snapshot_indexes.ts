import { Migration } from '@mikro-orm/migrations';

/** Filters and sorts by score read current_score; the snapshot history no longer needs its own (kind, value) index, which cost every rescore write. */
export class Migration20261125010000_snapshot_indexes extends Migration {
  override name = 'Migration20261125010000_snapshot_indexes';

  override up(): void | Promise<void> {
    this.addSql(`drop index if exists "score_snapshot_kind_value_index";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`create index "score_snapshot_kind_value_index" on "score_snapshot" ("kind", "value");`);
  }
}
