import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { answeredUpdateInEngine, updateInEngineAnswer, type AuditService } from './audit.service.js';
import { storableJson, storableText } from './storable.js';
import { engineActor } from '../../domain/auth/roles.js';

/**
 * A signal or update a run took from outside this platform: an operator steering it in the Temporal UI or CLI; or a
 * cancel requested there (`cancel`, audited here only where the run says it did not take it: see `cancelNotTaken`).
 */
export interface SteeringFromOutside {
  via: 'signal' | 'update' | 'cancel';
  /** Its place in the run's history (one audit entry per message, however often this is asked). */
  eventId: number;
  name: string;
  /** Who sent it, as the engine recorded (the UI's or CLI's identity). */
  by: string | null;
  input: unknown[];
  at: Date;
  /** A signal's place among the run's signals of its name (1 for the first), whoever sent them. */
  nameOrdinal?: number;
  /** A signal a reset applied again: the run it came from and where that run's own events began after the point reset to. */
  appliedAgainFrom?: { runId: string; fromEventId: number };
  /** An update's ID. */
  updateId?: string;
  /** How the run answered the update, once it has (`refused`: why its handler refused it); none while its handler is under way. */
  answer?: { refused: string | null };
  /** A cancel's reason, as given with the request. */
  reason?: string | null;
}

/** Who started a run, as the engine recorded it (`SteeringSource.howStarted`). */
export interface StartedBy {
  /** The starter's identity (the UI's or CLI's, or one of this platform's clients); null where the engine kept none. */
  by: string | null;
  /** Started by one of this platform's clients (a person's start through the API, the sweep, a campaign, a complaint's follow-up). */
  byPlatform: boolean;
  /** The workflow's input as given. */
  input: unknown[];
  at: Date;
  /** The execution the start began (a reset's execution keeps its original's start). */
  originalRunId: string;
}

/** Where the steering a run took is read (the workflow engine). */
export interface SteeringSource {
  steeringFromOutside(workflowId: string, runId: string): Promise<SteeringFromOutside[]>;
  /** Who started execution `runId` of the run, and with what; null when it does not exist. (A source without it audits no starts.) */
  howStarted?(workflowId: string, runId: string): Promise<StartedBy | null>;
  /**
   * How the run answered an update, waiting up to `waitMs` for it (or until `signal` aborts the wait); null when it has not
   * meanwhile. (A source without it leaves updates as taken.)
   */
  updateAnswer?(workflowId: string, runId: string, updateId: string, waitMs: number, signal?: AbortSignal): Promise<{ refused: string | null } | null>;
  /**
   * The execution a reset started execution `runId` from, and where its own events began after the point reset to (the
   * events before it are that execution's, at the same places); null for one no reset started. (A source without it
   * matches a signal a reset applied again against the execution it came from only.)
   */
  resetOrigin?(workflowId: string, runId: string): Promise<{ runId: string; fromEventId: number } | null>;
}

/** Where a signal was audited: the execution that took it and its place in that execution's history. */
interface AuditedSignal {
  runId: string;
  eventId: number;
}

/** How far back through resets of resets the audit looks for where a signal applied again was audited. */
const RESET_CHAIN_MAX = 20;

/**
 * A signal the run's handler ignored (not awaited at its step, of the wrong shape, a payment the invoice does not show), as
 * the run tells the audit: by its place among the run's signals of its name (`nameOrdinal`), and why.
 */
export interface IgnoredSignal {
  signal: string;
  nameOrdinal: number;
  why: string;
}

/** The run whose steering is audited: `signals`, the names of the signals it takes; `ignored`, signals of those names it ignored (where it says). */
export interface SteeredRunInput {
  workflowId: string;
  runId: string;
  signals?: string[];
  ignored?: IgnoredSignal[];
  /**
   * Why the run did not take the cancel requested of it in the Temporal UI or CLI (an account review whose offboarding was
   * carried out completes `offboarded`): audited as `<playbook>.cancel-in-engine`, `outcome: "not-taken"` with `refused`.
   * Without it, a cancel request is left to the audit of the run's end (the run reconciliation's, once it ended cancelled).
   */
  cancelNotTaken?: string;
}

/** How long the audit of an update still under way waits for the run's answer to it, before leaving it to the run reconciliation. */
export const UPDATE_ANSWER_WAIT_MS = 30_000;

/**
 * What the run says its signal handlers did, by signal name: how many signals of each name it has handled
 * (`handled`), and which of them (their places among that name's signals, `nameOrdinal`) changed nothing
 * (`unchanged`: a resume of a campaign already running). A signal of those names the run has not handled
 * yet is left to the call its own handler makes.
 */
export interface SteeringEffects {
  handled: Record<string, number>;
  unchanged: Record<string, number[]>;
}

/**
 * The waits for the run's answer to an update audited under way, which outlive the activity that audited it: kept here
 * (one for the worker, shared by the audits of all its activity calls) so the worker's shutdown aborts and awaits them
 * before it closes the database (`close`), and a failure is reported, not lost. The run reconciliation settles an entry
 * whose wait failed or was cut short.
 */
export class UpdateAnswerWaits {
  private readonly waits = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  /** `report`: told of a wait that failed (the worker's log). */
  constructor(private readonly report: (error: unknown) => void = () => {}) {}

  /** Starts `wait` (given the signal that aborts it at shutdown); none once closing. */
  start(wait: (signal: AbortSignal) => Promise<void>): void {
    if (this.stopping.signal.aborted) return;
    const running = wait(this.stopping.signal)
      .catch((error: unknown) => {
        if (!this.stopping.signal.aborted) this.report(error);
      })
      .finally(() => this.waits.delete(running));
    this.waits.add(running);
  }

  /** The waits under way. */
  get size(): number {
    return this.waits.size;
  }

  /** Aborts the waits under way and waits for them to end (one writing its entry finishes the write); starts none after. */
  async close(): Promise<void> {
    this.stopping.abort();
    while (this.waits.size > 0) await Promise.allSettled([...this.waits]);
  }
}

/** What was steered: a playbook run (by workflow ID) or a campaign (by its ID). */
export type SteeredEntity = { entityType: 'playbook_run'; entityId: string } | { entityType: 'campaign'; entityId: string };

const AUDITED_AS = { playbook_run: 'playbook', campaign: 'campaign' } as const;

/** The most of a message's input (as JSON text) an audit entry keeps whole. */
export const AUDITED_INPUT_MAX_CHARS = 16_000;

/**
 * A message's input as its audit entry keeps it: storable (NUL characters and lone surrogate halves, which
 * PostgreSQL refuses, replaced by U+FFFD: the entry must be written, or the run never completes), and an input
 * longer than AUDITED_INPUT_MAX_CHARS as JSON (a signal may carry 2 MB) as its start, its length and a mark.
 */
export function auditedInput(input: unknown[]): unknown {
  const storable = storableJson(input);
  const json = JSON.stringify(storable) ?? 'null';
  if (json.length <= AUDITED_INPUT_MAX_CHARS) return storable;
  return { truncated: true, jsonLength: json.length, start: json.slice(0, AUDITED_INPUT_MAX_CHARS).toWellFormed() };
}

/** A signal as sent: its name, who sent it and its input, the input's keys in one order (the database keeps JSON's keys in its own). */
function sentKey(name: string, actor: string, input: unknown): string {
  const sorted = (value: unknown): unknown =>
    Array.isArray(value) ? value.map(sorted) : value && typeof value === 'object' ? Object.fromEntries(Object.keys(value).sort().map((k) => [k, sorted((value as Record<string, unknown>)[k])])) : value;
  return JSON.stringify([name, actor, sorted(input)]);
}

/**
 * Operators steer runs in the Temporal UI too (an answer, a fix, a pause), where the API's
 * audit does not see them. A run that takes a signal or update asks for it to be audited
 * here: each one from outside the platform once (`<playbook|campaign>.<signal|update>-in-engine`),
 * with who sent it and what it said. (What this platform sends is audited by the service that sends it.)
 */
export class SteeringAuditService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly source: SteeringSource,
    /** Where the waits for an update's answer are kept (the worker's); without it, an entry under way is left to the next audit or the run reconciliation. */
    private readonly answerWaits?: UpdateAnswerWaits,
  ) {}

  /**
   * Audits the run's steering from outside not audited yet; the number audited now. `run.signals`: the names of the
   * signals the run takes, where it says (runs since `unknown-signals-audited`): a signal of another name is audited as
   * ignored (`ignored: "no such signal"`). `run.ignored`: signals of those names its handlers ignored, and why (runs since
   * `ignored-signals-audited`): audited with `ignored: <why>`, and an entry written before the run said so (a payment claim
   * audited as it came, found unpaid when the run checked the invoice; one audited by another message's call while its
   * handler still checked it) is marked so now.
   */
  async auditSteeringFromOutside(run: SteeredRunInput, steered: SteeredEntity, effects?: SteeringEffects): Promise<number> {
    const handledYet = (m: SteeringFromOutside) => !effects || m.via !== 'signal' || !(m.name in effects.handled) || (m.nameOrdinal ?? 0) <= effects.handled[m.name];
    // A cancel the run took is audited with its end (cancelled); here only one it says it did not take.
    const cancelAudited = (m: SteeringFromOutside) => m.via !== 'cancel' || run.cancelNotTaken !== undefined;
    const messages = (await this.source.steeringFromOutside(run.workflowId, run.runId)).filter((m) => handledYet(m) && cancelAudited(m));
    if (messages.length === 0) return 0;
    const whyIgnored = ignoredByRun(run);
    const actions = (['signal', 'update', 'cancel'] as const).map((via) => `${AUDITED_AS[steered.entityType]}.${via}-in-engine`);
    return this.em.transactional(async (em) => {
      const db = em.getKysely();
      // Two messages taken at once ask twice: one audits, the other then finds them audited.
      await sql`select pg_advisory_xact_lock(hashtextextended(${`steering:${run.runId}`}, 0))`.execute(db);
      const audited = await sql<{ eventId: number }>`
        select (after->>'eventId')::int as "eventId" from audit_entry
        where entity_type = ${steered.entityType} and entity_id = ${steered.entityId} and action = any(${actions}::text[]) and after->>'runId' = ${run.runId}`.execute(db);
      const seen = new Set(audited.rows.map((r) => r.eventId));
      const unseen = messages.filter((m) => !seen.has(m.eventId));
      // A signal a reset applied again was audited when the run reset from took it; one that run never took (its tasks failing) is audited now.
      const from = unseen.find((m) => m.appliedAgainFrom)?.appliedAgainFrom;
      const earlier = from ? await this.auditedFrom(em, run.workflowId, steered, actions, from.runId, from.fromEventId, Infinity, 0) : new Map<string, AuditedSignal[]>();
      const takenBefore: Array<{ message: SteeringFromOutside; entry: AuditedSignal }> = [];
      const fresh = unseen.filter((m) => {
        if (!m.appliedAgainFrom) return true;
        const entry = earlier.get(sentKey(storableText(m.name), storableText(engineActor(m.by)), auditedInput(m.input)))?.shift();
        if (entry) takenBefore.push({ message: m, entry });
        return !entry;
      });
      // A copy the reset run ignored (come while it was at another step) marks the entry ignored: the timeline no longer shows
      // as taken what the run does not hold.
      for (const { message, entry } of takenBefore) {
        const { ignored } = whyIgnored(message);
        if (ignored !== undefined) await this.markIgnoredAfterReset(em, entry, steered, `applied again by a reset, and ignored: ${ignored}`, run.runId);
      }
      for (const message of fresh) {
        if (message.via === 'cancel') {
          // As the run reconciliation audits a cancel taken (`reason`, `runId`), marked as a refused update is.
          this.audit.record(em, {
            actor: engineActor(message.by),
            action: `${AUDITED_AS[steered.entityType]}.cancel-in-engine`,
            entityType: steered.entityType,
            entityId: steered.entityId,
            after: { reason: message.reason ?? null, requestedAt: message.at.toISOString(), workflowId: run.workflowId, runId: run.runId, eventId: message.eventId, ...updateInEngineAnswer(run.cancelNotTaken!) },
          });
          continue;
        }
        this.audit.record(em, {
          actor: engineActor(message.by),
          action: `${AUDITED_AS[steered.entityType]}.${message.via}-in-engine`,
          entityType: steered.entityType,
          entityId: steered.entityId,
          after: { [message.via]: message.name, input: auditedInput(message.input), sentAt: message.at.toISOString(), workflowId: run.workflowId, runId: run.runId, eventId: message.eventId, ...changed(message, effects), ...(noSuchSignal(message, run.signals) ?? whyIgnored(message)), ...this.answered(message) },
        });
      }
      // Signals audited earlier as they came that the run has since said it ignored.
      for (const message of messages.filter((m) => seen.has(m.eventId) && m.via === 'signal')) {
        const { ignored } = whyIgnored(message);
        if (ignored !== undefined) await this.markIgnored(em, run, steered, message.eventId, ignored);
      }
      // Updates audited earlier while under way that the run has answered since.
      for (const message of unseen.length === messages.length ? [] : messages.filter((m) => seen.has(m.eventId) && m.answer && m.updateId)) {
        await this.settle(em, run, steered, message.updateId!, message.answer!);
      }
      return fresh;
    }).then((fresh) => {
      // Handlers ask for their audit before they answer: the answer comes a moment later, and settles the entry.
      for (const message of fresh)
        if (message.via === 'update' && !message.answer && message.updateId && this.source.updateAnswer) this.answerWaits?.start((signal) => this.settleWhenAnswered(run, steered, message.updateId!, signal));
      return fresh.length;
    });
  }

  /**
   * The signals (by how they were sent: `sentKey`; their entries, in the order taken) that execution `runId` of the run had from `fromEventId` on (before `upTo`)
   * and that were audited: under it, or, where it had them from an earlier execution, where they were audited there. A
   * reset execution has the events before its point from the execution it was reset from, at the same places (audited
   * under that one, or further back); and it has the signals after that point applied again, right after its reset's
   * event, not audited under it when the execution they came from had audited them. So an operator's signal carried
   * through a chain of resets (reset, then reset again to before the signal applied again) is known as the one audited
   * when the first execution took it, not audited again under their name at the second reset's time.
   */
  private async auditedFrom(em: EntityManager, workflowId: string, steered: SteeredEntity, actions: string[], runId: string, fromEventId: number, upTo: number, depth: number): Promise<Map<string, AuditedSignal[]>> {
    const counts = new Map<string, AuditedSignal[]>();
    const add = (key: string, ...entries: AuditedSignal[]) => counts.set(key, [...(counts.get(key) ?? []), ...entries]);
    const { rows } = await sql<{ signal: string; actor: string; input: unknown; eventId: number }>`
      select after->>'signal' as signal, actor, after->'input' as input, (after->>'eventId')::int as "eventId" from audit_entry
       where entity_type = ${steered.entityType} and entity_id = ${steered.entityId} and action = any(${actions}::text[])
         and after->>'runId' = ${runId} and (after->>'eventId')::int >= ${fromEventId} and (after->>'eventId')::int < ${Number.isFinite(upTo) ? upTo : 2_147_483_647}
       order by (after->>'eventId')::int`.execute(em.getKysely());
    for (const row of rows) add(sentKey(row.signal, row.actor, row.input), { runId, eventId: row.eventId });
    if (depth >= RESET_CHAIN_MAX || !this.source.resetOrigin) return counts;
    const origin = await this.source.resetOrigin(workflowId, runId);
    if (!origin) return counts;
    // Its copies of the signals its reset applied again that it did not audit itself: audited where they came from.
    const audited = new Set(rows.map((r) => r.eventId));
    const copies = (await this.source.steeringFromOutside(workflowId, runId)).filter((m) => m.via === 'signal' && m.appliedAgainFrom && m.eventId >= fromEventId && m.eventId < upTo && !audited.has(m.eventId));
    if (copies.length > 0) {
      const there = await this.auditedFrom(em, workflowId, steered, actions, origin.runId, origin.fromEventId, Infinity, depth + 1);
      for (const m of copies) {
        const key = sentKey(storableText(m.name), storableText(engineActor(m.by)), auditedInput(m.input));
        const entry = there.get(key)?.shift();
        if (entry) add(key, entry);
      }
    }
    // What it had from before its point: the execution it was reset from took (and audited) those.
    if (fromEventId < origin.fromEventId) for (const [key, entries] of await this.auditedFrom(em, workflowId, steered, actions, origin.runId, fromEventId, Math.min(upTo, origin.fromEventId), depth + 1)) add(key, ...entries);
    return counts;
  }

  /**
   * An update is audited as its handler asks, before the handler takes it or refuses it (a `decideOffboarding` whose
   * `decidedBy` reads as an admin, a `promiseToPay` come as the run ends): until the run has answered, its entry is
   * `outcome: "pending"` (with the `updateId`), as an API call's is; one refused is `outcome: "not-taken"` with
   * `refused`, why. What reads these entries as things done (a promise, an offboarding decision) skips those.
   */
  private answered(message: SteeringFromOutside): Record<string, unknown> {
    if (message.via !== 'update' || !this.source.updateAnswer) return {};
    if (!message.answer) return message.updateId ? { outcome: 'pending', updateId: message.updateId } : {};
    return updateInEngineAnswer(message.answer.refused);
  }

  /** Marks the entry of a signal audited before the run said it ignored it (once: an entry marked already keeps its reason). */
  private async markIgnored(em: EntityManager, run: { runId: string }, steered: SteeredEntity, eventId: number, why: string): Promise<void> {
    await sql`update audit_entry set after = after || jsonb_build_object('ignored', ${storableText(why)}::text)
      where entity_type = ${steered.entityType} and entity_id = ${steered.entityId} and action = ${`${AUDITED_AS[steered.entityType]}.signal-in-engine`}
        and after->>'runId' = ${run.runId} and (after->>'eventId')::int = ${eventId} and after->>'ignored' is null`.execute(em.getKysely());
  }

  /** Marks the entry of a signal taken before a reset ignored by the run the reset started (`runId`), unless marked ignored already. */
  private async markIgnoredAfterReset(em: EntityManager, entry: AuditedSignal, steered: SteeredEntity, why: string, runId: string): Promise<void> {
    await sql`update audit_entry set after = after || jsonb_build_object('ignored', ${storableText(why)}::text, 'ignoredAfterReset', ${runId}::text)
      where entity_type = ${steered.entityType} and entity_id = ${steered.entityId} and action = ${`${AUDITED_AS[steered.entityType]}.signal-in-engine`}
        and after->>'runId' = ${entry.runId} and (after->>'eventId')::int = ${entry.eventId} and after->>'ignored' is null`.execute(em.getKysely());
  }

  private async settle(em: EntityManager, run: { workflowId: string; runId: string }, steered: SteeredEntity, updateId: string, answer: { refused: string | null }): Promise<void> {
    await sql`update audit_entry set after = ${answeredUpdateInEngine(answer.refused)}
      where entity_type = ${steered.entityType} and entity_id = ${steered.entityId} and action = ${`${AUDITED_AS[steered.entityType]}.update-in-engine`}
        and after->>'runId' = ${run.runId} and after->>'updateId' = ${updateId} and after->>'outcome' = 'pending'`.execute(em.getKysely());
  }

  /**
   * Waits for the run's answer to an update audited under way, and settles its entry; left to the run reconciliation when
   * it does not come in time or the worker shuts down meanwhile (`signal`). A failure is thrown for the worker to report.
   */
  private async settleWhenAnswered(run: { workflowId: string; runId: string }, steered: SteeredEntity, updateId: string, signal: AbortSignal): Promise<void> {
    const answer = await this.source.updateAnswer!(run.workflowId, run.runId, updateId, UPDATE_ANSWER_WAIT_MS, signal);
    if (answer) await this.settle(this.em, run, steered, updateId, answer);
  }
}

/** `ignored: "no such signal"` for a signal of a name the run has no handler for (typed wrongly); null where it has one, or the run did not name its signals. */
function noSuchSignal(message: SteeringFromOutside, signals: string[] | undefined): { ignored: string } | null {
  return message.via === 'signal' && signals && !signals.includes(message.name) ? { ignored: NO_SUCH_SIGNAL } : null;
}

/** `ignored: <why>` for a signal the run says its handler ignored (by name and place among that name's signals); nothing for one it took, or where it did not say. */
function ignoredByRun(run: SteeredRunInput): (message: SteeringFromOutside) => { ignored?: string } {
  const why = new Map((run.ignored ?? []).map((s) => [`${s.nameOrdinal}:${s.signal}`, s.why]));
  return (message) => {
    const ignored = message.via === 'signal' && message.nameOrdinal !== undefined ? why.get(`${message.nameOrdinal}:${message.name}`) : undefined;
    return ignored === undefined ? {} : { ignored: storableText(ignored) };
  };
}

/** Why a signal typed wrongly (of no name the run takes) was ignored, as its audit entry says. */
export const NO_SUCH_SIGNAL = 'no such signal';

/** `changed: false` for a signal its handler took without effect, `true` for one that had one; nothing where the run did not say (older runs, other messages). */
function changed(message: SteeringFromOutside, effects: SteeringEffects | undefined): { changed?: boolean } {
  if (!effects || message.via !== 'signal' || !(message.name in effects.handled) || message.nameOrdinal === undefined) return {};
  return { changed: !(effects.unchanged[message.name] ?? []).includes(message.nameOrdinal) };
}
