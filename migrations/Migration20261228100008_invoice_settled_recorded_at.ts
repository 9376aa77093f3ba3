import { Migration } from '@mikro-orm/migrations';

/**
 * When the platform learnt that an invoice was paid, or cancelled by the billing system: kept by a trigger whatever sets
 * the day (recordPayment, an import through the API or the command line), as the invoice keeps only the day. The
 * customer's timeline places the payment or cancellation then when that was on its day in the customer's time zone, so
 * it follows the reminders sent before anyone knew, rather than at 00:00 UTC below them (or, east of UTC, in the future).
 * Invoices paid or cancelled before it keep none: nothing recorded when, and they stay at their day's start.
 */
export class Migration20261228100008_invoice_settled_recorded_at extends Migration {
  override name = 'Migration20261228100008_invoice_settled_recorded_at';

  override up(): void | Promise<void> {
    this.addSql(`alter table "invoice" add column "paid_recorded_at" timestamptz(3) null, add column "cancelled_recorded_at" timestamptz(3) null;`);
    this.addSql(`
      create function invoice_settled_recorded_at() returns trigger language plpgsql as $$
      begin
        if new.paid_at is null then new.paid_recorded_at := null;
        elsif tg_op = 'INSERT' or old.paid_at is distinct from new.paid_at then new.paid_recorded_at := now(); end if;
        if new.cancelled_at is null then new.cancelled_recorded_at := null;
        elsif tg_op = 'INSERT' or old.cancelled_at is distinct from new.cancelled_at then new.cancelled_recorded_at := now(); end if;
        return new;
      end $$;`);
    this.addSql(`create trigger invoice_settled_recorded_at before insert or update of paid_at, cancelled_at on invoice for each row execute function invoice_settled_recorded_at();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger invoice_settled_recorded_at on invoice;`);
    this.addSql(`drop function invoice_settled_recorded_at();`);
    this.addSql(`alter table "invoice" drop column "paid_recorded_at", drop column "cancelled_recorded_at";`);
  }
}
