import { Migration } from '@mikro-orm/migrations';

/**
 * A campaign's name is stored as people read it (`readableName`, as segment and API key names are: NFKC, a run of spaces as
 * one, trimmed) and is unique among all campaigns whatever its case: "Thanks Q4" and "thanks  q4" were two campaigns a
 * marketer could not tell apart in the list, the audit log, a data export or Temporal's UI, and pause or cancel the wrong
 * one. Ended campaigns keep their names too (their outcome and history are read by them); a discarded draft is deleted, so
 * its name is free again.
 *
 * A database may hold such clashes already: the migration does not fail on them. Every name is put in that form (cut to
 * the 100 characters a name may have). Of names that then read the same in any case, one keeps it: a launched campaign
 * before a draft (a launched one's name is in the audit log, exports and its run's summary already), then one already in
 * that form, then the oldest; the others get the first 8 characters of their ID after it, as segments did
 * (`Thanks Q4 (1a2b3c4d)`), their name cut so that it stays within the 100 characters. Each rename is audited as
 * `campaign.rename` by `system:migration` (`before.name`, `after.name`, and `after.sameNameAs`: the ID of the campaign
 * that kept the name, for a marked one). The summary a run already shows in Temporal's UI keeps the old name. down()
 * drops the index and leaves the names as they are now (the old forms are in the audit entries).
 */
export class Migration20261228101360_campaign_name_unique extends Migration {
  override name = 'Migration20261228101360_campaign_name_unique';

  override up(): void | Promise<void> {
    const readable = `rtrim(left(btrim(regexp_replace(normalize(name, NFKC), ' {2,}', ' ', 'g')), 100))`;
    this.addSql(`
      create temporary table campaign_renamed on commit drop as
      with named as (
        select id, status, name, created_at, ${readable} as readable from campaign
      ), ranked as (
        select id, name, readable,
               first_value(id) over w as keeper, row_number() over w as nth
          from named
        window w as (partition by lower(readable) order by status <> 'draft' desc, name = readable desc, created_at, id)
      ), renamed as (
        select id, name as old_name, case when nth > 1 then rtrim(left(readable, 89)) || ' (' || left(id::text, 8) || ')' else readable end as new_name,
               case when nth > 1 then keeper end as same_name_as
          from ranked
      )
      select * from renamed where new_name <> old_name;`);
    this.addSql(`update campaign c set name = r.new_name from campaign_renamed r where r.id = c.id;`);
    this.addSql(`
      insert into audit_entry (id, at, actor, action, entity_type, entity_id, before, after)
      select gen_random_uuid(), now(), 'system:migration', 'campaign.rename', 'campaign', r.id::text,
             jsonb_build_object('name', r.old_name), jsonb_build_object('name', r.new_name, 'sameNameAs', r.same_name_as)
        from campaign_renamed r;`);
    this.addSql(`create unique index "campaign_name_unique" on "campaign" (lower("name"));`);
  }

  override down(): void | Promise<void> {
    // The names stay as people read them (see above).
    this.addSql(`drop index "campaign_name_unique";`);
  }
}
