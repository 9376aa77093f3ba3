import { Migration } from '@mikro-orm/migrations';

/**
 * An offer's name in other languages than its own (`{"de": "Treuerabatt"}`), keyed by language: a
 * message in German quotes the offer by its German name, not by the name a marketer wrote in English.
 * Null: only the one name.
 */
export class Migration20261224000000_offer_translated_names extends Migration {
  override name = 'Migration20261224000000_offer_translated_names';

  override up(): void | Promise<void> {
    this.addSql(`alter table "offer" add column "translated_names" jsonb null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "offer" drop column "translated_names";`);
  }
}
