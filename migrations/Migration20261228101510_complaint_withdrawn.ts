import { Migration } from '@mikro-orm/migrations';

/**
 * A complaint filed by mistake (on the wrong customer, twice) is withdrawn: kept, with who withdrew it, when and why, but
 * counted nowhere a complaint counts (a persistent issue, the open-complaint guard, the topics report). The three are set
 * together or not at all.
 */
export class Migration20261228101510_complaint_withdrawn extends Migration {
  override name = 'Migration20261228101510_complaint_withdrawn';

  override up(): void | Promise<void> {
    this.addSql(`alter table "complaint" add column "withdrawn_at" timestamptz(3) null, add column "withdrawn_by" text null, add column "withdrawn_reason" text null;`);
    this.addSql(
      `alter table "complaint" add constraint "complaint_withdrawn_whole" check (("withdrawn_at" is null) = ("withdrawn_by" is null) and ("withdrawn_at" is null) = ("withdrawn_reason" is null));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "complaint" drop constraint "complaint_withdrawn_whole", drop column "withdrawn_at", drop column "withdrawn_by", drop column "withdrawn_reason";`);
  }
}
