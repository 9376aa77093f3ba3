import { Migration } from '@mikro-orm/migrations';

/**
 * The reference the import derives for an order without `order_ref` (a payment without `payment_ref`)
 * is made from the values as read, no longer from the cells' text as written (QA 54 F1): the same export
 * saved again by a spreadsheet (`29.30` as `29.3`, `2026-03-02` as `2026-03-02T00:00:00Z`) added every
 * such order and payment a second time. The references derived before are made again the new way from
 * the stored rows, so a file imported before the upgrade matches its rows after it:
 * `derived:` || md5(owner's reference | instant | amount in minor units `m` | occurrence), the instant an
 * order's time in UTC to the millisecond (`2026-03-02T00:00:00.000Z`), a payment's day (`2026-03-02`),
 * the occurrence numbered per owner, instant and amount in the order the rows were stored (created_at, id),
 * as the import numbers the rows without a reference in file order; rows of one import share created_at, so
 * identical ones are numbered in no particular order (a re-import may swap their margins, never their sum). The same text as
 * src/services/import/import-sql.ts (`derivedRefSql`); test/migrations.test.ts holds the two equal.
 *
 * Rows of the same purchase written two ways, which the old references stored twice, stay two rows
 * (occurrences 1 and 2): which one is a duplicate is not known here. An order of an erased customer keeps its
 * reference (their CRM reference, part of it, is gone); a payment is recomputed whenever its invoice has a
 * reference (an invoice keeps it after its customer's erasure).
 *
 * down() leaves the references as they are: the cells' text they were made from was never stored, so the
 * old ones cannot be made again. Code of before this migration then derives other references than the
 * stored ones and would import a file's orders and payments without references once more.
 */
export class Migration20261214000000_derived_refs_as_read extends Migration {
  override name = 'Migration20261214000000_derived_refs_as_read';

  override up(): void | Promise<void> {
    this.addSql(`
      update customer_order o set external_ref = n.ref
        from (
          select o.id, 'derived:' || md5(c.external_ref || '|' || to_char(o.ordered_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '|' || o.amount_minor::text || 'm|'
                 || (row_number() over (partition by c.id, o.ordered_at, o.amount_minor order by o.created_at, o.id))::text) as ref
            from customer_order o join customer c on c.id = o.customer_id
           where starts_with(o.external_ref, 'derived:') and c.external_ref is not null
        ) n
       where n.id = o.id and o.external_ref <> n.ref;`);
    this.addSql(`
      update payment p set external_ref = n.ref
        from (
          select p.id, 'derived:' || md5(i.external_ref || '|' || to_char(p.paid_at, 'YYYY-MM-DD') || '|' || p.amount_minor::text || 'm|'
                 || (row_number() over (partition by i.id, p.paid_at, p.amount_minor order by p.created_at, p.id))::text) as ref
            from payment p join invoice i on i.id = p.invoice_id
           where starts_with(p.external_ref, 'derived:') and i.external_ref is not null
        ) n
       where n.id = p.id and p.external_ref <> n.ref;`);
  }

  override down(): void | Promise<void> {
    // The references stay as up() made them (see above).
  }
}
