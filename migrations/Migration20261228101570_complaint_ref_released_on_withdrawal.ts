import { Migration } from '@mikro-orm/migrations';

/**
 * A complaint withdrawn as filed on the wrong customer no longer holds its CRM reference: the complaint recorded on the
 * right customer (recordComplaint, the CRM's corrected export) takes it. The withdrawn one keeps it on its row (it is
 * still shown and audited under it), so the reference is unique among the complaints that are not withdrawn only.
 */
export class Migration20261228101570_complaint_ref_released_on_withdrawal extends Migration {
  override name = 'Migration20261228101570_complaint_ref_released_on_withdrawal';

  override up(): void | Promise<void> {
    this.addSql(`alter table "complaint" drop constraint "complaint_external_ref_unique";`);
    this.addSql(`create unique index "complaint_external_ref_unique" on "complaint" ("external_ref") where "withdrawn_at" is null;`);
  }

  override down(): void | Promise<void> {
    // Fails while a withdrawn complaint's reference is taken by another complaint (give one of them another reference first).
    this.addSql(`drop index "complaint_external_ref_unique";`);
    this.addSql(`alter table "complaint" add constraint "complaint_external_ref_unique" unique ("external_ref");`);
  }
}
