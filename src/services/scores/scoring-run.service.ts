import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, type RawBuilder } from 'kysely';
import {
  ScoringException,
  ScoringExceptionCode,
  fitBgNbd,
  fitGammaGamma,
  scoreCustomer,
  type FittedModels,
  type ScoringPolicy,
  type UnconvergedFit,
} from '../../domain/scoring/index.js';
import { runOffParameters } from '../../domain/scoring/optimize.js';
import { ScoringRun, ScoringRunStatus } from '../../entities/index.js';
import { encodeCursor, pageWindow, windowCursor, windowPage, type Page, type PageArgs } from '../common/pagination.js';
import { rowMapper } from '../common/read-model.js';
import { factsColumns, invoiceDays, purchaseAggregates, toFacts, writeSnapshots, type Row, type ScoreRow } from './score-sql.js';

/** A fitted model as the run stores and the API shows it. */
export interface ModelFit {
  kind: 'bgnbd' | 'gamma-gamma';
  modelVersion: string;
  params: Record<string, number>;
  logLikelihood: number;
  customers: number;
  converged: boolean;
  /**
   * The shape parameters (r, a, b; p, q) that ran off towards 0 or infinity (runOffParameters), usually none: the
   * likelihood kept rising along a ridge, so the data pins down at most their ratio, not each one, whatever `converged` says.
   */
  runOff: string[];
  fittedAt: Date;
  runId: string;
  /** The day the run scored as of. */
  asOf: string;
  /**
   * The earlier converged fit of the same kind and model version the run scored with, because this one did not
   * converge (the newest one of a run as of this run's day or before); null: the run scored with this fit.
   */
  scoredWith: ModelFit | null;
}

export interface RunModels {
  models: FittedModels;
  fits: ModelFit[];
  /** Why a model could not be fitted (e.g. no repeat purchase in the base). */
  notFitted: { kind: string; reason: string }[];
}

export interface PageResult {
  customers: number;
  /** Scores written (one per customer and kind). */
  snapshots: number;
}

const BGNBD = 'bgnbd';
const GAMMA_GAMMA = 'gamma-gamma';

/**
 * Rescoring the whole base, step by step, each step idempotent so a workflow can
 * retry or resume any of them: record the run, gather every customer's purchase
 * aggregates and RFM ranks in one set-based statement (and their invoices in another),
 * fit the purchase models on them, score the base page by page (one snapshot per run
 * and customer, holding its scores), and complete; and the models fitted, for the API and
 * single customers' rescores (CustomerRescoreService).
 */
export class ScoringRunService {
  private readonly toRun: (row: Row) => ScoringRun;

  constructor(
    private readonly em: EntityManager,
    private readonly policy: ScoringPolicy,
  ) {
    this.toRun = rowMapper(em, ScoringRun);
  }

  private get db() {
    return this.em.getKysely();
  }

  /** Records the run as the API starts it (or finds it recorded by the run itself: a small base's may have ended already). */
  async recordStart(input: { runId: string; trigger: string; asOf: string }): Promise<ScoringRun> {
    await sql`insert into scoring_run (id, trigger, as_of, status, started_at)
              values (${input.runId}, ${input.trigger}, ${input.asOf}::date, 'running', now())
              on conflict (id) do nothing`.execute(this.db);
    return this.getRun(input.runId);
  }

  /**
   * The run's first step: records it (or finds it recorded, by the API's start or an earlier attempt). One whose
   * record has ended is refused (`stillRunning`): its workflow was reset in the engine after the run ended.
   */
  async begin(input: { runId: string; trigger: string; asOf: string }): Promise<ScoringRun> {
    return stillRunning(await this.recordStart(input));
  }

  /**
   * Purchase aggregates and RFM ranks of every customer acquired by the run's day, in one
   * statement over all orders, and their invoices, in one over all invoices: side by side on
   * two connections, each written whole or not at all, so a retry does only what is missing.
   * And where each page of `pageSize` customers (by ID) starts.
   */
  async prepare(runId: string, pageSize: number): Promise<{ population: number; buyers: number; pageStarts: (string | null)[] }> {
    const run = stillRunning(await this.getRun(runId));
    const { rows: gathered } = await sql<{ purchases: boolean; invoices: boolean }>`
      select exists (select 1 from scoring_work where run_id = ${runId}) as purchases,
             exists (select 1 from scoring_invoice_work where run_id = ${runId}) as invoices`.execute(this.db);
    await Promise.all([
      !gathered[0].purchases &&
        sql`
          insert into scoring_work (run_id, customer_id, purchase_days, first_day, last_day, revenue_minor, margin_minor, margined_revenue_minor, margined_orders,
                                    repeat_spend_minor, mean_gap_days, gap_sd_days, window_margin_minor, window_unmargined_minor, r_below, r_equal, f_below, f_equal, m_below, m_equal)
          select ${runId}, b.*,
                 -- Strictly worse and equal buyers per dimension: recency ranks better for a later last purchase. The quintile
                 -- is by the strictly worse alone (rfm.ts: ties at their lower bound, as percent_rank()); equal bounds the position.
                 (rank() over (order by last_day) - 1)::int, (count(*) over (partition by last_day))::int,
                 (rank() over (order by purchase_days) - 1)::int, (count(*) over (partition by purchase_days))::int,
                 (rank() over (order by revenue_minor) - 1)::int, (count(*) over (partition by revenue_minor))::int
            from (${purchaseAggregates(run.asOf, sql`true`, this.policy)}) b`.execute(this.db),
      !gathered[0].invoices &&
        sql`
          insert into scoring_invoice_work (run_id, customer_id, invoices)
          select ${runId}, i.customer_id, ${invoiceDays(sql`i`)}
            from invoice i join customer c on c.id = i.customer_id and c.acquired_at <= ${run.asOf}::date
           where i.issued_at <= ${run.asOf}::date and i.cancelled_at is null group by i.customer_id`.execute(this.db),
    ]);
    const { rows } = await sql<Row>`
      update scoring_run set
        population = (select count(*) from customer c where ${inRunBase(run)}),
        buyers = (select count(*) from scoring_work where run_id = ${runId}),
        ${baseMarginColumns(runId)}
      where id = ${runId} returning population, buyers`.execute(this.db);
    const starts = await sql<Row>`
      select id from (select c.id, row_number() over (order by c.id) as n from customer c where ${inRunBase(run)}) c
       where n % ${pageSize} = 0 and n < ${rows[0].population} order by id`.execute(this.db);
    return { population: rows[0].population, buyers: rows[0].buyers, pageStarts: [null, ...starts.rows.map((r) => r.id as string)] };
  }

  /** BG/NBD on every buyer's (x, t_x, T) in weeks; Gamma-Gamma on repeat buyers' mean spend. Fitted once per run. */
  async fitModels(runId: string): Promise<RunModels> {
    const run = stillRunning(await this.getRun(runId));
    const stored = await this.fitsOfRun(runId);
    if (stored.length === 0) {
      // A sample on a large base: the estimates barely move, the fit takes seconds. Drawn by the customers alone, so
      // each run over the same data fits the same sample (one seeded by the run would move bands with nothing changed).
      const { rows } = await sql<Row>`
        select purchase_days - 1 as x, (last_day - first_day) as tx_days, (${run.asOf}::date - first_day) as t_days, repeat_spend_minor
          from scoring_work where run_id = ${runId}
         order by md5(customer_id::text), customer_id limit ${this.policy.fitSampleSize}`.execute(this.db);
      const fits: Omit<ModelFit, 'runId' | 'fittedAt' | 'asOf' | 'scoredWith'>[] = [];
      const summaries = rows.map((r) => ({ x: r.x, tx: r.tx_days / 7, T: r.t_days / 7 }));
      const bg = attempt(() => fitBgNbd(summaries));
      // The same run-off check as the orders-file fit, on the shape parameters only (the scales depend on the units).
      if (bg) fits.push({ kind: BGNBD, modelVersion: bg.modelVersion, params: { ...bg.params }, logLikelihood: bg.logLikelihood, customers: bg.customers, converged: bg.converged, runOff: runOffParameters({ r: bg.params.r, a: bg.params.a, b: bg.params.b }) });
      const gg = attempt(() => fitGammaGamma(rows.map((r) => ({ x: r.x, zbar: r.repeat_spend_minor === null ? 0 : Math.max(0, r.repeat_spend_minor / 100) }))));
      if (gg) fits.push({ kind: GAMMA_GAMMA, modelVersion: gg.modelVersion, params: { ...gg.params }, logLikelihood: gg.logLikelihood, customers: gg.customers, converged: gg.converged, runOff: runOffParameters({ p: gg.params.p, q: gg.params.q }) });
      for (const f of fits) {
        // A fit that did not converge stopped where the optimiser's budget ran out, not at an estimate (one outlier order
        // took the spend model off to p → ∞ for every customer): the run scores with the newest earlier converged fit of
        // the model, if there is one, chosen here once, so a retried or resumed run scores with the same.
        await sql`insert into score_model (id, run_id, kind, model_version, params, log_likelihood, customers, converged, run_off, fitted_at, scored_with_id)
                  select ${randomUUID()}, ${runId}, ${f.kind}, ${f.modelVersion}, ${JSON.stringify(f.params)}::jsonb, ${f.logLikelihood}, ${f.customers}, ${f.converged}, ${JSON.stringify(f.runOff)}::jsonb, now(),
                         case when ${f.converged}::boolean then null else (
                           select m.id from score_model m join scoring_run r on r.id = m.run_id
                            where m.kind = ${f.kind} and m.model_version = ${f.modelVersion} and m.converged and m.run_id <> ${runId} and r.status = ${ScoringRunStatus.Completed} and r.as_of <= ${run.asOf}::date
                            order by r.as_of desc, m.fitted_at desc limit 1) end
                  on conflict (run_id, kind) do nothing`.execute(this.db);
      }
    }
    return toRunModels(await this.fitsOfRun(runId));
  }

  /**
   * Scores the page of customers (by ID) after `after` up to and including `until` (`pageRanges`) and writes their
   * snapshots; a retried page writes nothing twice. A page scheduled before pages had an upper bound (no `until`) ends
   * after `limit` customers (the workflow sends both, so a worker not yet updated pages as it did).
   */
  async scorePage(input: { runId: string; after: string | null; until?: string | null; limit?: number; models: FittedModels }): Promise<PageResult> {
    const startsAfter = input.after ?? '';
    const done = await this.scoredPage(this.em, input.runId, startsAfter);
    if (done) return done;
    const run = stillRunning(await this.getRun(input.runId));
    const page = sql`select c.id, c.service_tier, c.acquired_at from customer c
                      where ${inRunBase(run)} ${input.after ? sql`and c.id > ${input.after}::uuid` : sql``}
                            ${input.until ? sql`and c.id <= ${input.until}::uuid` : sql``}
                      order by c.id ${input.until === undefined ? sql`limit ${input.limit ?? 0}` : sql``}`;
    // The work rows of the page's range only, stated on each work table: the join's p.id = customer_id does not carry the
    // page's bounds over to them, and without them every page read and sorted the whole run's work rows (all the base's
    // buyers, twice) to keep its own, a cost that grew with the base times its pages.
    const inPage = (customerId: RawBuilder<unknown>) =>
      sql`${input.after ? sql`and ${customerId} > ${input.after}::uuid` : sql``} ${input.until ? sql`and ${customerId} <= ${input.until}::uuid` : sql``}`;
    const { rows } = await sql<Row>`
      select p.id, p.service_tier, p.acquired_at::text as acquired_at, w.purchase_days, w.first_day::text as first_day, w.last_day::text as last_day,
             w.revenue_minor, w.margin_minor, w.margined_revenue_minor, w.margined_orders, w.repeat_spend_minor, w.mean_gap_days, w.gap_sd_days,
             coalesce(w.window_margin_minor, 0)::bigint as window_margin, coalesce(w.window_unmargined_minor, 0)::bigint as window_unmargined,
             w.r_below, w.r_equal, w.f_below, w.f_equal, w.m_below, w.m_equal, coalesce(iw.invoices, '[]') as invoices,
             ${factsColumns(run.asOf, this.policy, input.runId)}
        from (${page}) p left join scoring_work w on w.run_id = ${input.runId} and w.customer_id = p.id ${inPage(sql.ref('w.customer_id'))}
             left join scoring_invoice_work iw on iw.run_id = ${input.runId} and iw.customer_id = p.id ${inPage(sql.ref('iw.customer_id'))}
       order by p.id`.execute(this.db);
    const buyers = run.buyers ?? 0;
    // The base's margin share from the run's record (the workflow's models do not carry it; a run gathered before it was recorded takes it now).
    const models = { ...input.models, ...(await this.baseMarginShare(run)) };
    const scores: ScoreRow[] = [];
    for (const row of rows) {
      const facts = toFacts(row, run.asOf);
      if (facts.purchases) facts.ranks = { r: { below: row.r_below, equal: row.r_equal }, f: { below: row.f_below, equal: row.f_equal }, m: { below: row.m_below, equal: row.m_equal }, buyers };
      for (const s of scoreCustomer(facts, models, this.policy)) scores.push({ customer_id: row.id, ...s });
    }
    const result = { customers: rows.length, snapshots: scores.length };
    // The ledger row and the snapshots commit together; a concurrent retry of the page waits on the row, then finds it.
    return this.em.transactional(async (em) => {
      // A run ended meanwhile (abandoned once its workflow was terminated, its work rows dropped) takes no more pages,
      // so a page still in flight then writes nothing; ending a run waits for a page being written, which it counts.
      const { rows: open } = await sql`select 1 from scoring_run where id = ${input.runId} and status = 'running' for share`.execute(em.getKysely());
      if (open.length === 0) return { customers: 0, snapshots: 0 };
      const claimed = await sql`insert into scoring_page (run_id, starts_after, customers, snapshots, scored_at)
                                values (${input.runId}, ${startsAfter}, ${result.customers}, ${result.snapshots}, now())
                                on conflict do nothing returning run_id`.execute(em.getKysely());
      if (claimed.rows.length === 0) return (await this.scoredPage(em, input.runId, startsAfter))!;
      await writeSnapshots(em, scores, { computedAt: run.startedAt, asOf: run.asOf, runId: input.runId });
      return result;
    });
  }

  private async scoredPage(em: EntityManager, runId: string, startsAfter: string): Promise<PageResult | null> {
    const { rows } = await sql<PageResult>`select customers, snapshots from scoring_page where run_id = ${runId} and starts_after = ${startsAfter}`.execute(em.getKysely());
    return rows[0] ?? null;
  }

  /**
   * Sums what the run's pages wrote, marks it completed and drops its work rows (purchases, invoices) and page ledger.
   * Completing again (a retried step) keeps its totals; a run that ended otherwise (abandoned, cancelled) is refused.
   */
  async complete(runId: string): Promise<ScoringRun> {
    const run = await this.finish(runId, ScoringRunStatus.Completed);
    return run.status === ScoringRunStatus.Completed ? run : stillRunning(run);
  }

  /**
   * Ends a run stopped before its last page (cancelled by an operator): what its pages
   * wrote stays (each page's snapshots are whole scores), its totals say how far it got,
   * and its work rows go, as after completing.
   */
  cancel(runId: string): Promise<ScoringRun> {
    return this.finish(runId, ScoringRunStatus.Cancelled);
  }

  /**
   * Ends a run whose workflow ended without completing it (terminated, failed), as `cancel` does; `ended` is called in
   * the same transaction when this ended it (not when it had ended before), to audit it.
   */
  abandon(runId: string, ended?: (em: EntityManager, run: { scoredCustomers: number; snapshots: number }) => void): Promise<ScoringRun> {
    return this.finish(runId, ScoringRunStatus.Abandoned, ended);
  }

  /** The runs of this day recorded as running. */
  async runningRunIdsOf(asOf: string): Promise<string[]> {
    const { rows } = await sql<{ id: string }>`select id from scoring_run where status = 'running' and as_of = ${asOf}::date order by started_at`.execute(this.db);
    return rows.map((r) => r.id);
  }

  /** IDs of the runs recorded as running. */
  async runningRunIds(): Promise<string[]> {
    const { rows } = await sql<{ id: string }>`select id from scoring_run where status = 'running' order by started_at`.execute(this.db);
    return rows.map((r) => r.id);
  }

  private async finish(runId: string, status: ScoringRunStatus, ended?: (em: EntityManager, run: { scoredCustomers: number; snapshots: number }) => void): Promise<ScoringRun> {
    await this.em.transactional(async (em) => {
      const db = em.getKysely();
      // The run's row first, in a statement of its own: it waits for a page being written (which holds it for share), and
      // the sums below, read by the next statement, count that page too (read in the same statement, they missed it).
      await sql`select 1 from scoring_run where id = ${runId} for update`.execute(db);
      const { rows: updated } = await sql<{ scored_customers: number; snapshots: number }>`
                update scoring_run r set status = ${status}::scoring_run_status, finished_at = now(), scored_customers = s.customers, snapshots = s.snapshots
                from (select coalesce(sum(customers), 0)::int as customers, coalesce(sum(snapshots), 0)::int as snapshots from scoring_page where run_id = ${runId}) s
                where r.id = ${runId} and r.status = 'running' returning r.scored_customers, r.snapshots`.execute(db);
      if (updated.length > 0) ended?.(em, { scoredCustomers: updated[0].scored_customers, snapshots: updated[0].snapshots });
      await sql`delete from scoring_work where run_id = ${runId}`.execute(db);
      await sql`delete from scoring_invoice_work where run_id = ${runId}`.execute(db);
      await sql`delete from scoring_page where run_id = ${runId}`.execute(db);
    });
    return this.getRun(runId);
  }

  getRun = async (runId: string): Promise<ScoringRun> => {
    const run = await this.findRun(runId);
    if (!run) throw new ScoringException(ScoringExceptionCode.RunNotFound, `No scoring run ${runId}`, { id: runId });
    return run;
  };

  async findRun(runId: string): Promise<ScoringRun | null> {
    const { rows } = await sql<Row>`select * from scoring_run where id = ${runId}`.execute(this.db);
    return rows.length ? this.toRun(rows[0]) : null;
  }

  /** Scoring runs, newest first. */
  async listRuns(args: PageArgs): Promise<Page<ScoringRun>> {
    const window = pageWindow(args);
    const [startedAt, id] = windowCursor(window, 'scoring-runs', ['time', 'text']) ?? [null, null];
    // Backward, the page before the cursor is read oldest first (windowPage turns it round).
    const [op, dir] = window.backward ? [sql.raw('>'), sql.raw('asc')] : [sql.raw('<'), sql.raw('desc')];
    const { rows } = await sql<Row>`
      select * from scoring_run ${startedAt ? sql`where (started_at, id) ${op} (${startedAt}::timestamptz, ${id})` : sql``}
      order by started_at ${dir}, id ${dir} limit ${window.size + 1}`.execute(this.db);
    const total = async () => Number((await sql<Row>`select count(*) as n from scoring_run`.execute(this.db)).rows[0].n);
    return windowPage(rows.map(this.toRun), window, total, (r) => encodeCursor('scoring-runs', [r.startedAt.toISOString(), r.id]));
  }

  /** The models of the completed run of the latest day that fitted them (event rescores and `scoreModels` use them). */
  async latestFits(): Promise<ModelFit[]> {
    // Latest by the day a run scored as of: a rescore of a past day, run later, fitted the models of that day.
    const { rows } = await sql<Row>`
      select distinct on (m.kind) m.*, r.as_of::text as as_of from score_model m join scoring_run r on r.id = m.run_id
       where r.status = ${ScoringRunStatus.Completed} order by m.kind, r.as_of desc, m.fitted_at desc`.execute(this.db);
    return this.withScoredWith(rows);
  }

  /** The fitted models of `latestFits`, as the scoring models take them, with the base's margin share of the run that fitted the spend model. */
  async latestModels(): Promise<FittedModels> {
    const fits = await this.latestFits();
    const spendFit = fits.find((f) => f.kind === GAMMA_GAMMA);
    const run = spendFit ? await this.findRun(spendFit.runId) : null;
    return { ...toRunModels(fits).models, ...(run ? marginShareOf(run) : { baseMarginShare: null }) };
  }

  /**
   * The base's margin share as of the run (`FittedModels.baseMarginShare`); recorded as it gathers, or now, from its work
   * rows, for a run under way gathered before that (none of whose buyers has a margin share: none to record).
   */
  private async baseMarginShare(run: ScoringRun): Promise<Pick<FittedModels, 'baseMarginShare' | 'baseMarginShareIsMedian'>> {
    if (run.baseMarginShare != null || (run.baseMarginedRevenueMinor != null && Number(run.baseMarginedRevenueMinor) <= 0)) return marginShareOf(run);
    const { rows } = await sql<Row>`update scoring_run set ${baseMarginColumns(run.id)} where id = ${run.id}
                                    returning base_margin_share`.execute(this.db);
    return { baseMarginShare: rows[0].base_margin_share == null ? null : Number(rows[0].base_margin_share), baseMarginShareIsMedian: true };
  }

  /** The models one run fitted (none before it has fitted them, or when none could be), each with the earlier fit it scored with, if any. */
  async fitsOfRun(runId: string): Promise<ModelFit[]> {
    const { rows } = await sql<Row>`
      select m.*, r.as_of::text as as_of from score_model m join scoring_run r on r.id = m.run_id where m.run_id = ${runId} order by m.kind`.execute(this.db);
    return this.withScoredWith(rows);
  }

  /** The fits of these rows, each with the earlier fit it scored with, if any. */
  private async withScoredWith(rows: Row[]): Promise<ModelFit[]> {
    const ids = rows.map((r) => r.scored_with_id as string | null).filter((id) => id !== null);
    const { rows: used } = ids.length
      ? await sql<Row>`select m.*, r.as_of::text as as_of from score_model m join scoring_run r on r.id = m.run_id where m.id in (${sql.join(ids)})`.execute(this.db)
      : { rows: [] };
    return rows.map((r) => {
      const scoredWith = used.find((u) => u.id === r.scored_with_id);
      return { ...toFit(r), scoredWith: scoredWith ? { ...toFit(scoredWith), scoredWith: null } : null };
    });
  }

}


/**
 * From the run's work rows (an `update scoring_run set` list): the base's margin share, the median of its buyers' own
 * margin shares, each within ±100% (`baseMarginShareOf`, which says why a median; one sort of the buyers with a margined
 * revenue in the same statement, no query per customer); and the margin of all their orders that carry one, and their revenue.
 */
const baseMarginColumns = (runId: string) =>
  sql`(base_margin_minor, base_margined_revenue_minor, base_margin_share) = (
        select coalesce(sum(margin_minor), 0), coalesce(sum(margined_revenue_minor), 0),
               percentile_cont(0.5) within group (order by greatest(-1, least(1, margin_minor::float8 / margined_revenue_minor::float8)))
                 filter (where margined_revenue_minor > 0)
          from scoring_work where run_id = ${runId})`;

type RunMargins = { baseMarginShare?: number | string | null; baseMarginMinor?: string | number | null; baseMarginedRevenueMinor?: string | number | null };

/**
 * The base's margin share the run recorded (`FittedModels.baseMarginShare`): the median of its buyers' own; for a run
 * gathered before that was recorded, margin over the revenue of the orders that carry one, as it scored. Null without
 * such revenue (no order carries a margin, or only free ones do).
 */
function marginShareOf(run: RunMargins): Pick<FittedModels, 'baseMarginShare' | 'baseMarginShareIsMedian'> {
  if (run.baseMarginShare != null) return { baseMarginShare: Number(run.baseMarginShare), baseMarginShareIsMedian: true };
  const revenue = Number(run.baseMarginedRevenueMinor ?? 0);
  return { baseMarginShare: revenue > 0 ? Number(run.baseMarginMinor ?? 0) / revenue : null };
}

function attempt<T>(fit: () => T): T | null {
  try {
    return fit();
  } catch (error) {
    if (error instanceof ScoringException && error.code === ScoringExceptionCode.NotIdentifiable) return null;
    throw error;
  }
}

function toFit(r: Row): Omit<ModelFit, 'scoredWith'> {
  return {
    kind: r.kind,
    modelVersion: r.model_version,
    params: r.params,
    logLikelihood: r.log_likelihood,
    customers: r.customers,
    converged: r.converged,
    runOff: r.run_off,
    fittedAt: r.fitted_at instanceof Date ? r.fitted_at : new Date(r.fitted_at),
    runId: r.run_id,
    asOf: r.as_of,
  };
}

/** The models the run scores with (a fit that did not converge replaced by the earlier converged one it names), and which did not converge. */
function toRunModels(fits: ModelFit[]): RunModels {
  const bgFit = fits.find((f) => f.kind === BGNBD);
  const ggFit = fits.find((f) => f.kind === GAMMA_GAMMA);
  const bg = bgFit && (bgFit.scoredWith ?? bgFit);
  const gg = ggFit && (ggFit.scoredWith ?? ggFit);
  const unconverged = (fit: ModelFit | undefined): UnconvergedFit | undefined =>
    fit && !fit.converged ? { asOf: fit.asOf, fallbackAsOf: fit.scoredWith?.asOf ?? null } : undefined;
  const notes = { ...(unconverged(bgFit) && { bgnbd: unconverged(bgFit) }), ...(unconverged(ggFit) && { gammaGamma: unconverged(ggFit) }) };
  const notFitted = [
    ...(bg ? [] : [{ kind: BGNBD, reason: 'no repeat purchase in the base: churn risk and CLV need one' }]),
    ...(gg ? [] : [{ kind: GAMMA_GAMMA, reason: 'fewer than two repeat buyers with different spend: CLV needs them' }]),
  ];
  return {
    models: {
      bgnbd: bg ? { r: bg.params.r, alpha: bg.params.alpha, a: bg.params.a, b: bg.params.b } : null,
      gammaGamma: gg ? { p: gg.params.p, q: gg.params.q, gamma: gg.params.gamma } : null,
      // Only when a fit did not converge: the models of a run whose fits converged read as before.
      ...(Object.keys(notes).length > 0 && { unconverged: notes }),
    },
    fits,
    notFitted,
  };
}


/**
 * The customers a run scores (`c`, its population): acquired by its day, and recorded by the time it started. One recorded
 * since (an import during the night) is not in the purchases it gathered: scored, they would read as not having bought
 * (their orders left out); they are the next run's, as after any import. An erased customer is not profiled any more:
 * their scores stay as they were at the erasure (the gathering still counts their purchases in the base's ranks and fits,
 * as their orders stay under the ID).
 */
function inRunBase(run: ScoringRun) {
  return sql<boolean>`c.acquired_at <= ${run.asOf}::date and c.created_at <= ${run.startedAt} and c.status <> 'erased'`;
}

/**
 * The run, while its record says running. A step of a run whose record has ended (abandoned once its workflow was
 * terminated, cancelled, completed) is refused: its workflow runs again only because someone reset it in the engine,
 * and its work rows are gone, so a page would score customers as if they had never bought. The rescore's
 * activities end its workflow as failed on this, saying to start another rescore.
 */
function stillRunning(run: ScoringRun): ScoringRun {
  if (run.status === ScoringRunStatus.Running) return run;
  throw new ScoringException(
    ScoringExceptionCode.RunAlreadyFinished,
    `Scoring run ${run.id} has already ended (${run.status}${run.finishedAt ? ` at ${new Date(run.finishedAt).toISOString()}` : ''}): its workflow runs again after a reset in Temporal, which cannot resume a rescore whose record ended (its gathered work is gone). Start another rescore (startRescore) to score the day`,
    { id: run.id, status: run.status },
  );
}
