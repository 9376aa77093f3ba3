import type { EntityManager } from '@mikro-orm/postgresql';
import { Mutex } from 'async-mutex';
import { sql } from 'kysely';
import { ScoringException, ScoringExceptionCode, concentrationByPeriod, concentrationWindow, type ConcentrationPolicy, type ConcentrationScore } from '../../domain/scoring/index.js';
import { scoreDistribution, type BandCountRow, type ScoreDistribution } from '../../domain/scoring/score-distribution.js';
import { ScoreKind } from '../../domain/scoring/score-kind.js';
import { SCORE_BANDS } from '../../domain/scoring/score-bands.js';
import { dayNumber, isCalendarDay } from '../../domain/dates.js';
import { workflowIdProblem } from '../../domain/ids.js';
import { beforeEarliestDay, pastDayProblem, tooEarly } from '../../domain/earliest-day.js';
import type { RescorePolicy } from '../../domain/scoring/scoring-policy.js';
import type { AuditService } from '../audit/audit.service.js';
import { engineMayHaveTakenIt } from '../engines/engine-errors.js';
import { ScoringRunStatus, type ScoringRun } from '../../entities/index.js';
import { mapPage, type Page, type PageArgs } from '../common/pagination.js';
import { assertCustomerFilter, customerWhere, type CustomerFilter } from '../customers/customer-query.js';
import type { RescoreEnd, RescoreProgressView, RescoreReset, ScoringEngine } from '../engines/scoring-engine.js';
import type { ModelFit, ScoringRunService } from './scoring-run.service.js';
import { echoed } from '../../domain/text.js';
import { engineActor } from '../../domain/auth/roles.js';

/**
 * A process's rescore starts take turns before they take a database connection: each start holds one while it waits for
 * the other processes' (the advisory lock) and needs a second for the run's record, so a burst of starts waiting with a
 * connection each emptied the pool, and every request of the process stalled until the record's wait for one timed out.
 */
const startsOfThisProcess = new Mutex();

/** A scoring run as the database records it and, while it runs, as its workflow reports it. */
export interface ScoringRunView {
  id: string;
  record: ScoringRun | null;
  progress: RescoreProgressView | null;
  /** Its workflow could not say its progress just now (no worker taking the work, or Temporal away): shown as its record says. */
  progressUnavailable?: boolean;
}

export const MAX_CONCENTRATION_MONTHS = 60;

/** How old a start by hand not settled must be before it is settled: a request under way settles its own. */
const UNSETTLED_START_SETTLES_AFTER_MS = 5 * 60_000;
const UNSETTLED_STARTS_PER_PASS = 50;
/** How far back resets of rescores made in the Temporal UI or CLI are looked for (a margin for a reconciliation that was off, as for playbook runs). */
const RESET_LOOKED_FOR_DAYS = 7;

/** What an admin or analyst does with scores: start a rescore, follow runs, read the fitted models and the base's concentration. */
export class ScoringService {
  constructor(
    private readonly em: EntityManager,
    private readonly runs: ScoringRunService,
    private readonly engine: ScoringEngine,
    private readonly rescorePolicy: RescorePolicy,
    private readonly audit: AuditService,
    /** The concentration report's bands (the scoring policy's). */
    private readonly concentrationPolicy: ConcentrationPolicy,
  ) {}

  /** Each score's bands, in order (none for CLV, a value without bands): what a filter offers. */
  bandsOfEachScore(): { kind: ScoreKind; bands: readonly string[] }[] {
    return Object.values(ScoreKind).map((kind) => ({ kind, bands: SCORE_BANDS[kind] }));
  }

  /**
   * Starts a rescore of `asOf` (default today), recorded before this answers, so its ID names a
   * run at once (`scoringRun`, `cancelRescore`); refused while a rescore of that day is under way
   * (CONFLICT): a second one would write the same day's scores again. Audited before the engine is
   * asked, pending until it answers (AuditService.recordCall): a rescore the engine took stays
   * audited even when recording it here fails after (then OUTCOME_UNKNOWN, naming the run).
   */
  async startRescore(callerId: string, asOf?: string | null): Promise<ScoringRunView> {
    if (asOf != null) {
      if (!isCalendarDay(asOf)) throw new ScoringException(ScoringExceptionCode.InvalidInput, `asOf "${echoed(asOf)}" is not a date (YYYY-MM-DD)`, { field: 'asOf' });
      if (dayNumber(asOf) > dayNumber(new Date())) {
        throw new ScoringException(ScoringExceptionCode.InvalidInput, `asOf must be a past day as YYYY-MM-DD (got "${asOf}")`, { field: 'asOf' });
      }
      if (beforeEarliestDay(asOf)) throw new ScoringException(ScoringExceptionCode.InvalidInput, tooEarly('asOf'), { field: 'asOf' });
    }
    const day = asOf ?? new Date().toISOString().slice(0, 10);
    const runId = this.engine.newRescoreId();
    const audited = await this.audit.recordCall(this.em, [{ actor: callerId, action: 'scoring-run.start', entityType: 'scoring_run', entityId: runId, after: { asOf: asOf ?? null } }]);
    let calling = false;
    let engineTookIt = false;
    try {
      await startsOfThisProcess.runExclusive(() =>
        this.em.transactional(async (em) => {
          // One start at a time: two at the same moment (or aliased in one request) see each other's run.
          await em.execute(`select pg_advisory_xact_lock(hashtext('scoring-run.start'))`);
          await this.refuseWhileUnderWay(day);
          calling = true;
          await this.engine.startRescore({ runId, trigger: callerId, asOf: day, policy: this.rescorePolicy });
          engineTookIt = true;
          // The run records itself as it begins too (the same row): this one is there before the answer.
          await this.runs.recordStart({ runId, trigger: callerId, asOf: day });
        }),
      );
      await this.audit.callTaken(this.em, audited);
    } catch (error) {
      if (engineTookIt) {
        // The rescore runs (it records itself as it begins); only recording it here failed: starting the day again would score it twice.
        throw new ScoringException(ScoringExceptionCode.OutcomeUnknown, `Rescore ${runId} was started, but recording it failed: follow it with scoringRun before starting another`, { id: runId });
      }
      const mayHaveTakenIt = calling && engineMayHaveTakenIt(error);
      await this.audit.callFailed(this.em, audited, mayHaveTakenIt);
      if (!mayHaveTakenIt) throw error;
      throw new ScoringException(ScoringExceptionCode.OutcomeUnknown, `Temporal did not say in time whether it started rescore ${runId}: follow it with scoringRun before starting another`, { id: runId });
    }
    return { id: runId, record: await this.runs.findRun(runId), progress: null };
  }

  /**
   * Starts by hand the API did not settle (it died, the database failed once the engine took it, or the
   * engine did not answer in time), older than a few minutes: taken when the run is recorded or the engine
   * has it (under way or ended), not taken otherwise. Each rescore does this as it begins.
   */
  async settleUnsettledStarts(): Promise<void> {
    for (const call of await this.audit.unsettledCalls(this.em, 'scoring_run', UNSETTLED_START_SETTLES_AFTER_MS, UNSETTLED_STARTS_PER_PASS)) {
      const taken = (await this.runs.findRun(call.entityId)) !== null || (await this.engine.rescoreExists(call.entityId));
      await this.audit.settleCall(this.em, call.auditId, taken ? 'taken' : 'not-taken');
    }
  }

  /** CONFLICT while a run of the day still runs; one recorded running whose workflow stopped does not count (the next run's start ends it as abandoned). */
  private async refuseWhileUnderWay(asOf: string): Promise<void> {
    for (const id of await this.runs.runningRunIdsOf(asOf)) {
      if (!(await this.engine.isRescoreRunning(id))) continue;
      // Cancelled a moment ago: its pages in flight are written before it ends, then the day may start again.
      const [cancelled] = await this.em.execute<{ at: Date }[]>(`select at from audit_entry where entity_type = 'scoring_run' and entity_id = ? and action = 'scoring-run.cancel' limit 1`, [id]);
      if (cancelled) {
        throw new ScoringException(
          ScoringExceptionCode.RunInProgress,
          `Rescore ${id} of ${asOf} was cancelled and stops once the step under way (a page, or gathering) is done: start again when scoringRun says Cancelled`,
          { id, asOf, cancelling: true },
        );
      }
      throw new ScoringException(ScoringExceptionCode.RunInProgress, `Rescore ${id} of ${asOf} is under way: follow it with scoringRun, or cancel it first`, { id, asOf });
    }
  }

  /**
   * An admin stops a rescore under way (as the Temporal UI's cancel does): the pages scored
   * so far stand, and the run ends as cancelled once the pages in flight are written. Audited.
   */
  async cancelRescore(callerId: string, id: string): Promise<ScoringRunView> {
    assertWorkflowId(id);
    const record = await this.runs.findRun(id);
    if (!record) throw new ScoringException(ScoringExceptionCode.RunNotFound, `No scoring run ${id}`, { id, field: 'id' });
    const finished = () => new ScoringException(ScoringExceptionCode.RunAlreadyFinished, `Scoring run ${id} has already finished`, { id });
    if (record.status !== ScoringRunStatus.Running) throw finished();
    // Audited before the engine is asked, as a start is (AuditService.recordCall).
    const audited = await this.audit.recordCall(this.em, [{ actor: callerId, action: 'scoring-run.cancel', entityType: 'scoring_run', entityId: id, before: { status: record.status } }]);
    let cancelled: boolean;
    try {
      cancelled = await this.engine.cancelRescore(id);
    } catch (error) {
      await this.audit.callFailed(this.em, audited, engineMayHaveTakenIt(error));
      throw error;
    }
    if (!cancelled) {
      await this.audit.callNotTaken(this.em, audited);
      throw finished();
    }
    await this.audit.callTaken(this.em, audited);
    return { id, record, progress: await this.engine.rescoreProgress(id) };
  }

  /**
   * Runs recorded as running whose workflow has ended without completing them (terminated
   * in the Temporal UI, failed) are ended as abandoned: totals so far, work rows dropped.
   * Each rescore does this as it begins, and the run reconciliation every few minutes. Returns their IDs.
   */
  async endAbandonedRuns(unknownToEngineToo = true): Promise<string[]> {
    const abandoned: string[] = [];
    for (const id of await this.runs.runningRunIds()) {
      const end = await this.engine.rescoreEnd(id);
      if (!end || (end.status === 'unknown' && !unknownToEngineToo)) continue;
      await this.abandonEnded(id, end);
      abandoned.push(id);
    }
    return abandoned;
  }

  /**
   * The run reconciliation's share: runs whose workflow the engine says ended without completing them (terminated,
   * failed, timed out), ended as abandoned and audited. A run the engine does not know (its history deleted) is left to
   * the next rescore's start and to its next read, as before.
   */
  recordEndedInEngine(): Promise<string[]> {
    return this.endAbandonedRuns(false);
  }

  /**
   * Ends the run as abandoned, its workflow having ended so in the engine, audited once (when this ended it) as
   * `scoring-run.ended-in-engine` by `temporal:<identity>` with how and why it ended, as a playbook run's or a
   * campaign's end in the engine is (an admin terminating the nightly rescore left no trace).
   */
  private abandonEnded(id: string, end: RescoreEnd): Promise<ScoringRun> {
    return this.runs.abandon(id, (em, totals) =>
      this.audit.record(em, {
        actor: engineActor(end.by),
        action: 'scoring-run.ended-in-engine',
        entityType: 'scoring_run',
        entityId: id,
        before: { status: ScoringRunStatus.Running },
        after: { status: ScoringRunStatus.Abandoned, endedInEngine: end.status, reason: end.reason, closedAt: end.closedAt?.toISOString() ?? null, ...totals },
      }),
    );
  }

  /**
   * Rescores reset in the Temporal UI or CLI within the last days (a reset execution of their
   * workflow), audited once each as `scoring-run.reset-in-engine` by `temporal:<identity>`, with
   * the reason, the execution and whether it resumes the run. A reset cannot resume a rescore
   * whose record has ended (abandoned once terminated, cancelled, completed: its gathered work is
   * gone): the record keeps how it ended, and the reset execution fails at its next step, saying to
   * start another rescore. One reset while its record still said running (before anything noticed
   * the termination) carries on the run. The run IDs audited.
   */
  async recordResetInEngine(withinDays = RESET_LOOKED_FOR_DAYS): Promise<string[]> {
    const executions = await this.engine.rescoreExecutionsSince(new Date(Date.now() - withinDays * 86_400_000));
    if (executions.length === 0) return [];
    const perRun = new Map<string, number>();
    for (const e of executions) perRun.set(e.runId, (perRun.get(e.runId) ?? 0) + 1);
    // Candidates: an execution of a run with several (a reset adds one, as a continue-as-new does), or one started after
    // the run's record ended; none audited before. The engine says which a reset started.
    const { rows } = await sql<{ run_id: string; execution_id: string }>`
      select e.run_id, e.execution_id
        from unnest(${executions.map((e) => e.runId)}::text[], ${executions.map((e) => e.executionId)}::text[], ${executions.map((e) => e.startedAt.toISOString())}::timestamptz[],
                    ${executions.map((e) => perRun.get(e.runId)!)}::int[]) as e(run_id, execution_id, started_at, executions)
        join scoring_run r on r.id = e.run_id
       where (e.executions > 1 or (r.finished_at is not null and e.started_at > r.finished_at))
         and not exists (select 1 from audit_entry a where a.entity_type = 'scoring_run' and a.entity_id = e.run_id and a.action = 'scoring-run.reset-in-engine' and a.after ->> 'executionId' = e.execution_id)`.execute(
      this.em.getKysely(),
    );
    const audited: string[] = [];
    for (const { run_id: runId, execution_id: executionId } of rows) {
      const reset = await this.engine.rescoreReset(runId, executionId);
      if (reset && (await this.auditReset(runId, executionId, reset))) audited.push(runId);
    }
    return audited;
  }

  private auditReset(runId: string, executionId: string, reset: RescoreReset): Promise<boolean> {
    return this.em.transactional(async (em) => {
      const [run] = await em.execute<{ status: ScoringRunStatus; finished_at: Date | null }[]>(`select status, finished_at from scoring_run where id = ? for update`, [runId]);
      if (!run) return false;
      if (await this.audit.hasEntry(em, { entityType: 'scoring_run', entityId: runId, action: 'scoring-run.reset-in-engine', after: ['executionId', executionId] })) return false;
      // It resumed the run when the record had not ended by the reset (one reset before anything recorded a termination):
      // the reset execution carries the run on, and may have completed it since.
      const resumes = run.finished_at === null || new Date(run.finished_at) > reset.at;
      this.audit.record(em, {
        actor: engineActor(reset.by),
        action: 'scoring-run.reset-in-engine',
        entityType: 'scoring_run',
        entityId: runId,
        after: {
          executionId,
          reason: reset.reason,
          resetAt: reset.at.toISOString(),
          status: run.status,
          resumes,
          ...(resumes ? {} : { note: 'a reset cannot resume a rescore whose record ended: its reset execution fails at its next step; start another rescore' }),
        },
      });
      return true;
    });
  }

  async run(id: string): Promise<ScoringRunView | null> {
    assertWorkflowId(id);
    const record = await this.runs.findRun(id);
    // A finished run's record says all; its workflow may be gone.
    if (record && record.status !== ScoringRunStatus.Running) return { id, record, progress: null };
    let progress: RescoreProgressView | null;
    try {
      progress = await this.engine.rescoreProgress(id);
    } catch (error) {
      // Its workflow cannot answer now (no worker taking the work, Temporal away): a recorded run still shows as its record
      // says (its status, day, start and counts so far), as a campaign does, with its live progress unknown.
      if (record && engineUnavailable(error)) return { id, record, progress: null, progressUnavailable: true };
      throw error;
    }
    // It may have ended (completed or cancelled) between the two reads; the workflow says so only after the record has its totals.
    if (progress?.phase === 'completed' || progress?.phase === 'cancelled') {
      const finished = await this.runs.findRun(id);
      if (finished && finished.status !== ScoringRunStatus.Running) return { id, record: finished, progress: null };
    }
    // Recorded as running, but its workflow has stopped without ending it (terminated in the Temporal UI, failed, timed
    // out: it runs no code of its own any more): it is not scoring. Ended as abandoned now, as the next rescore would (once), audited.
    const end = record ? await this.engine.rescoreEnd(id) : null;
    if (record && end) return { id, record: await this.abandonEnded(id, end), progress: null };
    return record || progress ? { id, record, progress } : null;
  }

  /**
   * The runs, newest first; one still running shows its progress as `run` does (and one whose workflow stopped
   * is ended there as abandoned), so the list and `scoringRun` agree. Few run at once: one engine call each. One
   * that cannot say its progress now (the engine or its worker away) is listed as its record says.
   */
  async listRuns(args: PageArgs): Promise<Page<ScoringRunView>> {
    const page = await this.runs.listRuns(args);
    const running = new Map<string, ScoringRunView | null>();
    for (const { node } of page.edges) if (node.status === ScoringRunStatus.Running) running.set(node.id, await this.run(node.id).catch(progressUnknown));
    return mapPage(page, (record) => running.get(record.id) ?? { id: record.id, record, progress: null, progressUnavailable: record.status === ScoringRunStatus.Running });
  }

  scoreModels(): Promise<ModelFit[]> {
    return this.runs.latestFits();
  }

  /** The models one run fitted and scored with: those of a rescore of a past day too, which `scoreModels` does not show. */
  runModels(runId: string): Promise<ModelFit[]> {
    return this.runs.fitsOfRun(runId);
  }

  /**
   * The base (or a segment) by its current scores, or by those as of a past day (each customer's
   * newest snapshot up to it, for customers acquired by then): per score, customers per band and
   * the values' mean and median, and how many customers the segment holds.
   */
  async distribution(input: { filter?: CustomerFilter | null; asOf?: string | null }): Promise<{ population: number; scores: ScoreDistribution[] }> {
    const db = this.em.getKysely();
    assertCustomerFilter(input.filter ?? {});
    const asOf = input.asOf ?? null;
    if (asOf !== null) assertPastDay(asOf, 'asOf');
    const where = sql<boolean>`${customerWhere(input.filter ?? {})} ${asOf === null ? sql`` : sql`and c.acquired_at <= ${asOf}::date`}`;
    // Each (customer, kind): its current score, or the newest snapshot's up to the day.
    const scored =
      asOf === null
        ? sql`select customer_id, kind, value, band from current_score`
        : sql`select distinct on (s.customer_id, k.kind) s.customer_id, k.kind, (k.score ->> 'value')::float8 as value, k.score ->> 'band' as band
                from score_snapshot s cross join lateral jsonb_each(s.scores) as k(kind, score)
               where s.as_of <= ${asOf}::date
               order by s.customer_id, k.kind, s.as_of desc, s.computed_at desc`;
    const { rows } = await sql<BandCountRow>`
      select s.kind, s.band, count(*)::int as customers, count(s.value)::int as valued, coalesce(sum(s.value), 0)::float8 as "valueSum"
        from (${scored}) s join customer c on c.id = s.customer_id where ${where} group by 1, 2`.execute(db);
    const { rows: medians } = await sql<{ kind: ScoreKind; median: number }>`
      select s.kind, percentile_cont(0.5) within group (order by s.value) as median
        from (${scored}) s join customer c on c.id = s.customer_id where ${where} and s.value is not null group by 1`.execute(db);
    const { rows: population } = await sql<{ n: number }>`select count(*)::int as n from customer c where ${where}`.execute(db);
    return { population: population[0].n, scores: scoreDistribution(rows, new Map(medians.map((m) => [m.kind, m.median]))) };
  }

  /**
   * How concentrated revenue is, month by month over `months` months up to the month of
   * `until` (default: the current month, under way): top-20% share, Lorenz curve and Gini, for
   * the whole base or the customers matching a filter (a segment, today's members). An earlier
   * `until` reads the revenue of earlier months, or data that ended in the past.
   */
  async concentration(input: { months: number; until?: string | null; filter?: CustomerFilter | null }): Promise<ConcentrationScore> {
    if (!(Number.isInteger(input.months) && input.months >= 1 && input.months <= MAX_CONCENTRATION_MONTHS)) {
      throw new ScoringException(ScoringExceptionCode.InvalidInput, `months must be between 1 and ${MAX_CONCENTRATION_MONTHS}`, { field: 'months' });
    }
    const now = new Date();
    const until = input.until ?? null;
    if (until !== null) assertPastDay(until, 'until');
    assertCustomerFilter(input.filter ?? {});
    // Every month of the window is reported, those without orders too, so a chart has no gaps; those from the UTC month under way on are to date.
    const { periods, underWayFrom, endsBefore } = concentrationWindow(input.months, until, now);
    // Each month's customers' revenues as one array: grouped by the month's timestamp (labelled once per month, not per order).
    // Summed exactly (numeric); each reaches JS as the nearest number, exact below 2^53 minor units, as the month's total is.
    const { rows } = await sql<{ period: string; revenues: number[] }>`
      select to_char(month, 'YYYY-MM') as period, array_agg(revenue) as revenues
        from (select date_trunc('month', o.ordered_at at time zone 'UTC') as month, sum(o.amount_minor) as revenue
                from customer_order o join customer c on c.id = o.customer_id
               where o.ordered_at >= (${`${periods[0]}-01`}::date)::timestamp at time zone 'UTC'
                 and o.ordered_at < (${endsBefore}::date)::timestamp at time zone 'UTC'
                 and ${customerWhere(input.filter ?? {})}
               group by 1, o.customer_id) per_customer
       group by month`.execute(this.em.getKysely());
    // This month is under way: the headline is the last complete month. A past month is complete.
    return concentrationByPeriod(new Map(rows.map((r) => [r.period, r.revenues])), { periods, underWayFrom }, this.concentrationPolicy);
  }
}

/** A scoring run's ID is its workflow's: one longer than Temporal takes names no run. */
function assertWorkflowId(id: string): void {
  const problem = workflowIdProblem(id, 'id');
  if (problem) throw new ScoringException(ScoringExceptionCode.InvalidInput, problem, { field: 'id' });
}

/** A day a report reads up to or from: a real day, not after today, not before the earliest day kept (`pastDayProblem`). */
export function assertPastDay(day: string, field: string): void {
  const problem = pastDayProblem(day, field);
  if (problem) throw new ScoringException(ScoringExceptionCode.InvalidInput, problem, { field });
}

/** A run the engine cannot say the progress of now: shown as its record says (null: no view from the engine). */
/** The engine (or its worker) could not answer now: a passing condition. */
function engineUnavailable(error: unknown): boolean {
  return error instanceof ScoringException && error.code === ScoringExceptionCode.EngineUnavailable;
}

/** Null (progress unknown) when the engine could not answer now; any other failure is thrown. */
function progressUnknown(error: unknown): null {
  if (engineUnavailable(error)) return null;
  throw error;
}
