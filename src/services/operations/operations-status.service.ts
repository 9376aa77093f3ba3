import { Playbook } from '../../domain/playbooks/playbook.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { leftToPeople, openInvoiceSql } from '../facts/invoice-facts.js';
import { givenUpSql } from '../facts/outbox-facts.js';
import type { DeliveryPolicy } from '../../domain/messages/delivery-policy.js';
import type { TriggerPolicy } from '../../domain/playbooks/triggers.js';
import type { DataRetentionPolicy } from '../../domain/customers/data-retention.js';
import { PAST_RETENTION } from '../customers/customer-erasure.service.js';

/** The workers taking this deployment's work, as the workflow engine sees them polling its task queue. */
export interface WorkerPresence {
  workers(): Promise<Workers>;
}

export interface Workers {
  /** Workers that polled the task queue recently (the engine keeps a poller for a few minutes after its last poll). */
  polling: number;
  /** How long ago the latest poll this process has seen was, seconds (still growing once the engine no longer lists the worker); null when none was seen since it started. */
  lastPollSecondsAgo: number | null;
}

/**
 * The deployment's own schedules in the workflow engine (the trigger sweep, the run
 * reconciliation, the nightly rescore, the retention sweep, the history thinning), as the
 * engine describes them: an operator can pause or delete one there, and nothing else says so.
 */
export interface PlatformSchedules {
  schedules(): Promise<PlatformSchedule[]>;
}

export interface PlatformSchedule {
  /** The schedule's ID in the engine (`run-reconciliation/<task queue>`, ...). */
  id: string;
  /** What it does: `playbook-triggers`, `run-reconciliation`, `rescore`, `data-retention`, `score-history`. */
  name: string;
  /** False: deleted in the engine (the worker puts it back as it starts) or switched off in the configuration. */
  exists: boolean;
  /** Paused in the engine: it starts nothing until unpaused (null when it does not exist). */
  paused: boolean | null;
  /** The note the engine keeps with it (why it was paused, as given); null without one. */
  note: string | null;
  /** When it last started its workflow (the engine keeps its latest few); null when it has not since it was created. */
  lastRunAt: Date | null;
  /** When it starts it next; null while paused, or when it does not exist. */
  nextRunAt: Date | null;
}

/** One model the latest completed rescore fitted: whether its fit converged and, when not, what the run scored with instead. */
export interface RescoreFit {
  /** `bgnbd` (churn risk, expected purchases) or `gamma-gamma` (spend, for CLV). */
  kind: 'bgnbd' | 'gamma-gamma';
  modelVersion: string;
  /**
   * False: the optimiser stopped before an estimate, so the run scored with the converged fit of an earlier rescore
   * (scoredWithAsOf) or, without one, with the parameters where it stopped (uncertain values); the scores' reasons say which.
   */
  converged: boolean;
  /** The day of the earlier rescore whose converged fit the run scored with instead of this one; null when it scored with this one (it converged, or no earlier fit did). */
  scoredWithAsOf: string | null;
  /** Its shape parameters that ran off towards 0 or infinity (usually none): the data pins down at most their ratio, converged or not. */
  runOff: string[];
}

/** What operators alert on: is delivery keeping up, did the nightly rescore run, and with converged models, how much work is open, do workers run. */
export interface OperationsStatus {
  /** Messages waiting for their first attempt now (delivery keeps this near zero). */
  dueMessages: number;
  /**
   * How long the oldest message due now, or being retried, has waited; 0 without one (a growing value: delivery stalls,
   * or the channel fails). One being retried has waited since it first became due, its back-offs included.
   */
  oldestDueMessageSeconds: number;
  /**
   * Being retried after a failed attempt (the channel refused it for now, did not answer, could not be reached), not
   * given up yet: whether its back-off is running or over. Above zero for long, the channel is failing.
   */
  retryingMessages: number;
  /**
   * Held until later, none of their attempts failed: quiet hours, an earlier reminder of their run not gone out yet. Not a
   * message over the contact budget: the guard holds it back for good (suppressed, never sent; fairnessReport.messagesSuppressed).
   */
  deferredMessages: number;
  /** Refused for good, or so often that delivery gave up: they wait for a person (undeliverableMessages). */
  undeliverableMessages: number;
  /** When the latest completed rescore finished; null before the first. */
  lastRescoreCompletedAt: Date | null;
  /** The models that rescore fitted, by kind, each whether it converged; none before the first (nor a model the base gave nothing to fit, e.g. no repeat purchase). */
  latestRescoreFits: RescoreFit[];
  openFixCases: number;
  /** Past-due invoices nothing chases, left to a person (`leftToPeople`: past the sweep's window with no reminder run, or whose newest run ended short or with a person). */
  overdueInvoicesLeftToPeople: number;
  /**
   * Offboarded customers past the retention period whose personal data is still kept (PAST_RETENTION): those the nightly
   * sweep left for later because a playbook run of theirs is under way (its warning in the worker's log names them and
   * the runs), and those who passed it since the last sweep. Not falling after a sweep: runs hold them, or the sweep fails.
   */
  customersPastRetention: number;
  runningPlaybookRuns: { playbook: string; runs: number }[];
  /** Null when the engine could not be asked (or this process does not know it). */
  workers: Workers | null;
  /** Whether the engine answered this read (within its time); null where this process does not ask it. */
  engineReachable: boolean | null;
  /** The deployment's schedules in the engine; null when the engine could not be asked (or this process does not ask it). */
  schedules: PlatformSchedule[] | null;
}

/** The part of the operations status the workflow engine gives: read apart from the database's, so one source down hides nothing of the other. */
export type EngineOperationsStatus = Pick<OperationsStatus, 'workers' | 'engineReachable' | 'schedules'>;

/** The part of the operations status the database gives. */
export type DatabaseOperationsStatus = Omit<OperationsStatus, keyof EngineOperationsStatus>;

/** How long the status's statements may run or wait for a lock, milliseconds (the database cancels them then). */
const STATUS_READ_TIMEOUT_MS = 5_000;

/**
 * Reads the operations status in two statements, bounded in time, and one question to the workflow engine (for metrics
 * scraped every few seconds); each part can be read alone, so the metrics of one source stand while the other is down.
 */
export class OperationsStatusService {
  constructor(
    private readonly em: EntityManager,
    /** When delivery gives up on a message (the delivery policy); which invoices the trigger sweep leaves to a person (the trigger policy's bound). */
    private readonly policies: { delivery: Pick<DeliveryPolicy, 'maxAttempts'>; triggers: Pick<TriggerPolicy, 'maxDaysOverdue'>; dataRetention: Pick<DataRetentionPolicy, 'eraseOffboardedAfterDays'> },
    /** Null where this process cannot ask the engine. */
    private readonly presence: WorkerPresence | null,
    /** Null where this process does not ask the engine. */
    private readonly platformSchedules: PlatformSchedules | null = null,
  ) {}

  /** Both parts, asked at once; it fails when the database cannot be read (the engine being down only nulls its part). */
  async status(now = new Date()): Promise<OperationsStatus> {
    // The engine being down must not hide what the database says.
    const engine = this.engine();
    return { ...(await this.database(now)), ...(await engine) };
  }

  /** What the workflow engine says: never fails, an engine that cannot be asked leaves its figures null (engineReachable false). */
  async engine(): Promise<EngineOperationsStatus> {
    const workers = this.presence ? this.presence.workers().catch(() => null) : Promise.resolve(null);
    const schedules = this.platformSchedules ? this.platformSchedules.schedules().catch(() => null) : Promise.resolve(null);
    return { workers: await workers, engineReachable: this.presence ? (await workers) !== null : null, schedules: await schedules };
  }

  /** What the database says; fails when it cannot be read (down, or the statements cancelled at their timeout). */
  async database(now = new Date()): Promise<DatabaseOperationsStatus> {
    // The unsent messages, read through the outbox's partial index of them.
    const unsent = sql`from outbox_message where sent_at is null and suppressed_at is null`;
    // Delivery gave up on a message refused too often, refused for good once, or whose hand-over was interrupted.
    const givenUp = sql.raw<boolean>(givenUpSql('outbox_message', this.policies.delivery.maxAttempts));
    // Apart: one whose attempt failed (retrying, whenever its back-off ends), one due for its first attempt, one held before
    // it or held again after a failed attempt (quiet hours: `due_since` then is the hold's end), which no alert should count.
    const heldAfterFailing = sql`due_since > ${now}`;
    const retrying = sql`not ${givenUp} and attempts > 0 and not coalesce(${heldAfterFailing}, false)`;
    const due = sql`not ${givenUp} and attempts = 0 and (send_after is null or send_after <= ${now})`;
    const deferred = sql`not ${givenUp} and ((attempts = 0 and send_after > ${now}) or (attempts > 0 and coalesce(${heldAfterFailing}, false)))`;
    // Since when a message due or retrying has waited: one being retried since it first became due (not since its back-off's end).
    const waitingSince = sql`case when attempts > 0 then coalesce(due_since, created_at) else coalesce(send_after, created_at) end`;
    // Bounded in the database: a scrape or a dashboard that gives up on a locked or overloaded database leaves no read holding a connection.
    const { counts, runs } = await this.em.transactional(async (em) => {
      const db = em.getKysely();
      await sql`set local statement_timeout = ${sql.lit(STATUS_READ_TIMEOUT_MS)}`.execute(db);
      await sql`set local lock_timeout = ${sql.lit(STATUS_READ_TIMEOUT_MS)}`.execute(db);
      const [counts] = (
        await sql<{
          due: string;
          oldest: string | null;
          retrying: string;
          deferred: string;
          undeliverable: string;
          last_rescore: Date | string | null;
          fits: { kind: RescoreFit['kind']; model_version: string; converged: boolean; scored_with_as_of: string | null; run_off: string[] }[];
          open_fix_cases: string;
          left_to_people: string;
          past_retention: string;
        }>`
          -- The rescore of the newest day scored: a backfill of an earlier day must not hide a missed night.
          with latest_rescore as (select id, finished_at from scoring_run where status = 'completed' order by as_of desc, finished_at desc limit 1)
          select (select count(*) ${unsent} and ${due}) as due,
                 (select extract(epoch from ${now}::timestamptz - min(${waitingSince})) ${unsent} and (${due} or ${retrying})) as oldest,
                 (select count(*) ${unsent} and ${retrying}) as retrying,
                 (select count(*) ${unsent} and ${deferred}) as deferred,
                 (select count(*) ${unsent} and ${givenUp}) as undeliverable,
                 (select finished_at from latest_rescore) as last_rescore,
                 -- Its fits (one per kind), each with the day of the earlier run whose fit it scored with instead (a date in JSON is YYYY-MM-DD).
                 (select coalesce(json_agg(json_build_object('kind', m.kind, 'model_version', m.model_version, 'converged', m.converged, 'scored_with_as_of', wr.as_of, 'run_off', m.run_off) order by m.kind), '[]')
                    from latest_rescore l join score_model m on m.run_id = l.id
                    left join score_model w on w.id = m.scored_with_id left join scoring_run wr on wr.id = w.run_id) as fits,
                 (select count(*) from fix_case where status = 'open') as open_fix_cases,
                 (select count(*) from invoice i where ${sql.raw(openInvoiceSql('i'))} and ${leftToPeople(this.policies.triggers.maxDaysOverdue)}) as left_to_people,
                 (select count(*) from customer c where ${sql.raw(PAST_RETENTION(this.policies.dataRetention.eraseOffboardedAfterDays))}) as past_retention`.execute(db)
      ).rows;
      const runs = (await sql<{ playbook: string; runs: string }>`select playbook, count(*) as runs from playbook_run where status = 'running' group by 1 order by 1`.execute(db)).rows;
      return { counts, runs };
    });
    return {
      dueMessages: Number(counts.due),
      // Whole seconds: how long a message waits is read in seconds and more (a dashboard, an alert).
      oldestDueMessageSeconds: Math.max(0, Math.round(Number(counts.oldest ?? 0))),
      retryingMessages: Number(counts.retrying),
      deferredMessages: Number(counts.deferred),
      undeliverableMessages: Number(counts.undeliverable),
      lastRescoreCompletedAt: counts.last_rescore === null ? null : new Date(counts.last_rescore),
      latestRescoreFits: counts.fits.map((f) => ({ kind: f.kind, modelVersion: f.model_version, converged: f.converged, scoredWithAsOf: f.scored_with_as_of, runOff: f.run_off })),
      openFixCases: Number(counts.open_fix_cases),
      overdueInvoicesLeftToPeople: Number(counts.left_to_people),
      customersPastRetention: Number(counts.past_retention),
      // Every playbook, none running too: a dashboard's row and a metric's series do not vanish at zero.
      runningPlaybookRuns: Object.values(Playbook).map((playbook) => ({ playbook, runs: Number(runs.find((r) => r.playbook === playbook)?.runs ?? 0) })),
    };
  }
}
