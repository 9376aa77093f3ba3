import { Migration } from '@mikro-orm/migrations';

/**
 * A worker of the version before `fix_case.team` (still running while a deploy rolls out)
 * opens cases without it: the database gives such a case its owner as its team, the topic's
 * first owner, as the new version would.
 */
export class Migration20261210020000_fix_case_team_default extends Migration {
  override name = 'Migration20261210020000_fix_case_team_default';

  override up(): void | Promise<void> {
    this.addSql(`
      create function fix_case_team() returns trigger language plpgsql as $$
      begin
        new.team := coalesce(new.team, new.owner);
        return new;
      end $$;`);
    this.addSql(`create trigger fix_case_team before insert on fix_case for each row execute function fix_case_team();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger fix_case_team on fix_case;`);
    this.addSql(`drop function fix_case_team();`);
  }
}
