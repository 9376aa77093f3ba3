import { Migration } from '@mikro-orm/migrations';

/**
 * Every time is kept to the millisecond, as the API reads and writes it (JavaScript dates, ISO
 * text). Times written in SQL (`now()`, an import's timestamps) carried microseconds, which a
 * page's cursor could not hold: rows sharing a millisecond at a page's end were skipped on the
 * next page. `timestamptz(3)` rounds whatever is written, so no writer can bring them back.
 */
export class Migration20261205030000_millisecond_times extends Migration {
  override name = 'Migration20261205030000_millisecond_times';

  override up(): void | Promise<void> {
    this.addSql(precision('timestamptz(3)', `atttypmod = -1`));
  }

  override down(): void | Promise<void> {
    this.addSql(precision('timestamptz', `atttypmod = 3`));
  }
}

/** Changes every timestamptz column of the project's tables whose precision matches `which` to `type`, one statement per table. */
function precision(type: string, which: string): string {
  return `
    do $$
    declare t record;
    begin
      for t in
        select c.relname as table_name, string_agg(format('alter column %I type ${type}', a.attname), ', ') as changes
          from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = current_schema() and c.relkind = 'r' and c.relname <> 'mikro_orm_migrations'
           and a.attnum > 0 and not a.attisdropped and a.atttypid = 'timestamptz'::regtype and a.${which}
         group by c.relname
      loop
        execute format('alter table %I %s', t.table_name, t.changes);
      end loop;
    end $$;`;
}
