import { Migration } from '@mikro-orm/migrations';

/**
 * Since when this installation's runs name the campaign whose start created them
 * (`playbook_run.campaign_id`, written from the release of 3 December 2026), recorded as the deployment
 * setting `runs-name-campaign-since`: a campaign's outcome counts a run without a campaign that started
 * before it by the old rule (joined if it started before enrolment), one since as a start without a
 * campaign (the sweep's, a person's). It was a constant, that release's commit time: an installation
 * upgraded later had runs its campaigns started between that time and its upgrade without their campaign,
 * counted as in the playbook elsewhere.
 *
 * The time is this database's upgrade to that release: when it applied the first migration that came
 * with it (`Migration20261205010000_audit_unknown_outcome`; the migration job runs before the code that
 * names campaigns starts). No migration came with the change itself (commit 8e6070e, merged 2026-12-03 03:59 UTC): that one
 * arrived about 1.5 h later (05:30), so an installation deployed from a commit in between got a cut-off later than when its
 * runs began to name their campaign, and its campaign-less sweep or hand-started runs of that gap are judged by the old rule
 * (a tiny window, corrected as below if it matters). A database without a run started before then (a fresh one; one installed at
 * that release or later) has every run name its campaign: `-infinity`. An operator who knows better
 * (a rolling deploy whose older processes kept starting runs after the migration job) can correct it:
 * `update deployment_setting set value = '<ISO time>' where name = 'runs-name-campaign-since'`. API and worker refuse
 * to start while it holds anything else than an ISO time or `-infinity` (src/app/process-database.ts).
 */
export class Migration20261216000000_runs_name_campaign_since extends Migration {
  override name = 'Migration20261216000000_runs_name_campaign_since';

  override up(): void | Promise<void> {
    this.addSql(`
      with upgraded as (
        select min(executed_at::timestamptz) as at from mikro_orm_migrations where name = 'Migration20261205010000_audit_unknown_outcome'
      )
      insert into deployment_setting (name, value, recorded_at)
      select 'runs-name-campaign-since',
             case when exists (select 1 from playbook_run r where r.started_at < coalesce(u.at, now()))
                  then to_char(coalesce(u.at, now()) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
                  else '-infinity' end,
             now()
        from upgraded u
      on conflict (name) do nothing;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`delete from deployment_setting where name = 'runs-name-campaign-since';`);
  }
}
