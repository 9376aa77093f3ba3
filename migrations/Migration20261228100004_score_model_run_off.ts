import { Migration } from '@mikro-orm/migrations';

/**
 * Each fitted model keeps the shape parameters that ran off towards 0 or infinity (beyond e^±10), as the orders-file
 * fit reports them: the optimiser can stop there and say it converged while the data pins down at most their ratio
 * (BG/NBD's a and b doubling night after night on a base where hardly anyone seems to drop out), so the API must not
 * show them as estimates. The check reads nothing but the parameters, so the fits stored before get it from theirs,
 * as the rescore works it out: r, a, b of BG/NBD and p, q of Gamma-Gamma, in that order (the scales alpha and gamma
 * are left out, as their size depends on the units). Not null from then on: a worker of the version before, writing a fit
 * without it, is refused and its step retried (without limit) until an updated worker fits it, so no fit is stored unchecked.
 */
export class Migration20261228100004_score_model_run_off extends Migration {
  override name = 'Migration20261228100004_score_model_run_off';

  override up(): void | Promise<void> {
    this.addSql(`alter table "score_model" add column "run_off" jsonb null;`);
    this.addSql(`update "score_model" m set "run_off" = coalesce((
      select jsonb_agg(u.k order by u.n)
        from unnest(case m."kind" when 'bgnbd' then array['r', 'a', 'b'] when 'gamma-gamma' then array['p', 'q'] else array[]::text[] end) with ordinality u(k, n)
        cross join lateral (select case when jsonb_typeof(m."params" -> u.k) = 'number' then (m."params" ->> u.k)::float8 end as v) p
       where p.v = 0 or (p.v > 0 and abs(ln(p.v)) > 10)), '[]'::jsonb);`);
    this.addSql(`alter table "score_model" alter column "run_off" set not null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "score_model" drop column "run_off";`);
  }
}
