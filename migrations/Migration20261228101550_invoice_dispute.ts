import { Migration } from '@mikro-orm/migrations';

/**
 * A customer may dispute an invoice (wrong amount, goods not received): the dispute is kept on the invoice, so its
 * reminders hold, the operators' queue says why it is open, and payment loyalty leaves the disputed days out. The
 * columns hold the dispute now (or the last one, once resolved); each dispute and resolution is in the audit log too.
 */
export class Migration20261228101550_invoice_dispute extends Migration {
  override name = 'Migration20261228101550_invoice_dispute';

  override up(): void | Promise<void> {
    this.addSql(`alter table "invoice" add column "disputed_at" timestamptz(3) null, add column "dispute_reason" text null, add column "dispute_resolved_at" timestamptz(3) null, add column "dispute_outcome" text null;`);
    this.addSql(`alter table "invoice" add constraint "invoice_dispute_outcome" check ("dispute_outcome" is null or "dispute_outcome" in ('upheld', 'rejected'));`);
    this.addSql(`alter table "invoice" add constraint "invoice_dispute_resolved" check (("dispute_resolved_at" is null) = ("dispute_outcome" is null) and ("dispute_resolved_at" is null or "disputed_at" is not null));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "invoice" drop constraint "invoice_dispute_resolved", drop constraint "invoice_dispute_outcome";`);
    this.addSql(`alter table "invoice" drop column "disputed_at", drop column "dispute_reason", drop column "dispute_resolved_at", drop column "dispute_outcome";`);
  }
}
