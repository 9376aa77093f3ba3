import { Migration } from '@mikro-orm/migrations';

/**
 * The last day `endOffer` gave an offer here, until the source system's exports agree: an
 * export still carrying a later last day (or none) does not open the offer again; once one
 * carries that day or an earlier one, the source's word counts again. Offers whose last day is
 * still the one their latest end gave take it, unless an offers import ran after that end (the
 * source may have agreed then, which left no trace per offer: its next extension is taken, as before).
 */
export class Migration20261211000000_offer_ended_here_on extends Migration {
  override name = 'Migration20261211000000_offer_ended_here_on';

  override up(): void | Promise<void> {
    this.addSql(`alter table "offer" add column "ended_here_on" date null;`);
    this.addSql(`
      update offer o set ended_here_on = e.valid_until
        from (select distinct on (a.entity_id) a.entity_id, a.at, (a.after ->> 'validUntil')::date as valid_until from audit_entry a
               where a.entity_type = 'offer' and a.action = 'offer.end' order by a.entity_id, a.at desc, a.id desc) e
       where e.entity_id = o.id::text and o.valid_until = e.valid_until
         and not exists (select 1 from audit_entry i where i.action = 'import.offers' and i.at > e.at);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "offer" drop column "ended_here_on";`);
  }
}
