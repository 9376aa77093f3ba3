import { Migration } from '@mikro-orm/migrations';

/**
 * An invoice of amount 0 is paid on the day it was issued (QA 59 F1): nothing is owed on it. The
 * invoices import stored such an invoice open (an import without `paid_at`), so it went overdue, a fair
 * reminder asked the customer to pay €0.00, and payment loyalty counted it late. Those stored open and not
 * cancelled are paid on their issue day now, and the reminders still queued for them are held back
 * (`invoice-paid`), as the import does for an invoice it leaves paid: the templates that chase payment,
 * not sent, not held back, or held back by a promise to pay (src/domain/messages/catalogue.ts,
 * `untilPaidTemplates`, `INVOICE_PAID`, `PROMISED_TO_PAY`; written out here as they are today).
 * A reminder run still under way for one ends at the next run reconciliation, as for an invoice
 * paid any other way; the customers' stored payment loyalty is corrected at their next rescore.
 *
 * down() leaves them paid: an invoice imported with its `paid_at` on the issue day cannot be told apart
 * from one made paid here.
 */
export class Migration20261215000000_zero_invoices_paid extends Migration {
  override name = 'Migration20261215000000_zero_invoices_paid';

  override up(): void | Promise<void> {
    this.addSql(`
      with settled as (
        update invoice set paid_at = issued_at where amount_minor = 0 and paid_at is null and cancelled_at is null returning id
      )
      update outbox_message m set suppressed_at = now(), suppressed_reason = 'invoice-paid: the invoice was paid; nothing chasing it goes out after payment'
       where m.invoice_id in (select id from settled)
         and m.sent_at is null and (m.suppressed_at is null or starts_with(m.suppressed_reason, 'promise-to-pay:'))
         and m.template in ('reminder-friendly', 'reminder-gentle', 'call-personal', 'call-follow-up', 'reminder-standard-1', 'reminder-standard-2', 'reminder-standard-3', 'collections-handover');`);
  }

  override down(): void | Promise<void> {
    // The invoices stay paid (see above).
  }
}
