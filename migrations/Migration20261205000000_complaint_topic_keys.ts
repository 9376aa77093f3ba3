import { Migration } from '@mikro-orm/migrations';

/**
 * The import took any text as a complaint's topic ("app login", "billing_error"), which the
 * fix-issue playbook cannot key a run by: a campaign enrolling such a customer failed for
 * ever. Such topics become keys ("app-login", "billing-error"; one of nothing but signs,
 * "other"), as the import and recordComplaint now require.
 */
export class Migration20261205000000_complaint_topic_keys extends Migration {
  override name = 'Migration20261205000000_complaint_topic_keys';

  override up(): void | Promise<void> {
    this.addSql(`
      update "complaint"
      set "topic" = coalesce(nullif(btrim(regexp_replace(lower("topic"), '[^a-z0-9]+', '-', 'g'), '-'), ''), 'other')
      where "topic" !~ '^[a-z0-9]+(-[a-z0-9]+)*$';`);
  }

  // The old spelling is not kept: the keys stay (they group the same complaints as before, or more).
  override down(): void | Promise<void> {}
}
