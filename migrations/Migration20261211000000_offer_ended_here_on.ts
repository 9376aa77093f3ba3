import { Migration } from '@mikro-orm/migrations';

/**
 * The last day `endOffer` gave an offer here, until the source system's exports agree: an
 * export still carrying a later last day (or none) does not open the offer again; once one
 * carries that day or an earlier one, the source's word counts again. Offers whose last day is
 * still the one their latest end gave take it.
 */
export class Migration20261211000000_offer_ended_here_on extends Migration {
  override name = 'Migration20261211000000_offer_ended_here_on';

  override up(): void | Promise<void> {
    this.addSql(`alter table "offer" add column "ended_here_on" date null;`);
    this.addSql(`
      update offer o set ended_here_on = o.valid_until
       where o.valid_until = (
         select (a.after ->> 'validUntil')::date from audit_entry a
          where a.entity_type = 'offer' and a.entity_id = o.id::text and a.action = 'offer.end'
          order by a.at desc, a.id desc limit 1);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "offer" drop column "ended_here_on";`);
  }
}
