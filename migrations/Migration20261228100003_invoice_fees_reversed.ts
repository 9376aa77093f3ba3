import { Migration } from '@mikro-orm/migrations';

/**
 * The reminder fees of an invoice the billing system cancelled are reversed: it was never owed, so the fees charged for
 * chasing it stand no more. The invoice keeps what was charged (fee_charged_minor, its history) and what of it was
 * reversed (fee_reversed_minor); each reminder's booking keeps its own reversed part (reversed_minor), so the fairness
 * report shows a reversed fee under the band it was charged to. Invoices already cancelled with fees charged have them
 * reversed here, each audited as `invoice.fees-reversed`, as an import that cancels one does from now on.
 */
export class Migration20261228100003_invoice_fees_reversed extends Migration {
  override name = 'Migration20261228100003_invoice_fees_reversed';

  override up(): void | Promise<void> {
    this.addSql(`alter table "invoice" add column "fee_reversed_minor" bigint not null default '0';`);
    this.addSql(`alter table "reminder_booking" add column "reversed_minor" bigint not null default '0';`);
    this.addSql(`with due as (
        select i.id, i.fee_charged_minor as charged, i.cancelled_at from invoice i where i.cancelled_at is not null and i.fee_charged_minor > 0
      ), bookings as (
        update reminder_booking r set reversed_minor = r.charged_minor from due d where r.invoice_id = d.id and r.charged_minor > 0
      ), reversed as (
        update invoice i set fee_reversed_minor = d.charged from due d where i.id = d.id returning i.id, d.charged, d.cancelled_at
      )
      insert into audit_entry (id, at, actor, action, entity_type, entity_id, before, after)
      select gen_random_uuid(), now(), 'system:migration', 'invoice.fees-reversed', 'invoice', r.id::text,
             jsonb_build_object('feeChargedMinor', r.charged, 'feeReversedMinor', 0),
             jsonb_build_object('feeChargedMinor', r.charged, 'feeReversedMinor', r.charged, 'reversedMinor', r.charged, 'cancelledAt', r.cancelled_at)
        from reversed r;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "reminder_booking" drop column "reversed_minor";`);
    this.addSql(`alter table "invoice" drop column "fee_reversed_minor";`);
  }
}
