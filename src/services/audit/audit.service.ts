import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { AuditEntry } from '../../entities/index.js';
import type { AuditedEntityType } from '../../domain/audit/audited-entities.js';
import { storableJson, storableText } from './storable.js';

export interface AuditRecord {
  actor: string;
  action: string;
  entityType: AuditedEntityType;
  entityId?: string | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  /** When it was done, where that is known to be earlier than now (something done in the engine, audited on a later pass); now by default. */
  at?: Date;
}

/** Only the fields that changed, before and after; JSON-safe (dates as ISO strings). */
export function changedFields(before: Record<string, unknown>, after: Record<string, unknown>): { before: Record<string, unknown>; after: Record<string, unknown> } {
  const json = (v: unknown) => (v instanceof Date ? v.toISOString() : (v ?? null));
  const changed = Object.keys(after).filter((k) => JSON.stringify(json(before[k])) !== JSON.stringify(json(after[k])));
  return {
    before: Object.fromEntries(changed.map((k) => [k, json(before[k])])),
    after: Object.fromEntries(changed.map((k) => [k, json(after[k])])),
  };
}

/**
 * SQL: the audit entry `alias` about `entityId` (an SQL expression) of `entityType` was written after its
 * last reset in the engine was recorded (`resetAction`), or it was never reset: a reset makes a run run
 * again, so what was done once to it before (a cancel) can be done again.
 */
export const writtenSinceLastReset = (alias: string, entityType: AuditedEntityType, entityId: string, resetAction: string) =>
  `${alias}.at > coalesce((select max(x.at) from audit_entry x where x.entity_type = '${entityType}' and x.entity_id = ${entityId} and x.action = '${resetAction}'), '-infinity')`;

/**
 * The audit log. `record` only stages the entry on the given EntityManager, so it
 * is written in the same transaction (flush) as the change it describes.
 */
export class AuditService {
  /** Texts from outside (a sender's identity, a signal's input) are stored with NUL characters and lone surrogate halves replaced (U+FFFD): PostgreSQL refuses them, and the entry must be written. */
  record(em: EntityManager, entry: AuditRecord): AuditEntry {
    return em.create(AuditEntry, {
      actor: storableText(entry.actor),
      action: storableText(entry.action),
      entityType: entry.entityType,
      entityId: entry.entityId ?? null,
      before: storableJson(entry.before ?? null),
      after: storableJson(entry.after ?? null),
      ...(entry.at ? { at: entry.at } : {}),
    });
  }

  /**
   * Whether an entry of `action` about the entity holds `after[key] = value` (the run execution a reset entry names, the
   * run an offboarding began): what is audited once per such value is not audited twice.
   */
  async hasEntry(em: EntityManager, entry: { entityType: AuditedEntityType; entityId: string; action: string; after: [key: string, value: string] }): Promise<boolean> {
    const [{ n }] = await em.execute<{ n: number }[]>(`select count(*)::int as n from audit_entry where entity_type = ? and entity_id = ? and action = ? and after ->> ? = ?`, [
      entry.entityType,
      entry.entityId,
      entry.action,
      ...entry.after,
    ]);
    return n > 0;
  }

  /**
   * The entries of a person's call to an engine (a start, an update, a cancel), committed before the
   * call with `outcome: "pending"` (and the update's `updateId`): a process that dies once the engine
   * took the call, or a commit that fails after it, leaves them for the reconciliation to settle as the
   * engine tells (`settleCall`), instead of losing what the person did. Their IDs, in order.
   */
  async recordCall(em: EntityManager, entries: AuditRecord[], updateId?: string): Promise<string[]> {
    return em.transactional(async (tx) => {
      const written = entries.map((entry) => this.record(tx, { ...entry, after: { ...entry.after, outcome: PENDING, ...(updateId ? { updateId } : {}) } }));
      await tx.flush();
      return written.map((entry) => entry.id);
    });
  }

  /** The engine took the call: its entries read as any other (the mark goes). */
  async callTaken(em: EntityManager, ids: string[]): Promise<void> {
    await sql`update audit_entry set after = nullif(after - 'outcome' - 'updateId', '{}'::jsonb) where id = any(${ids}::uuid[]) and after->>'outcome' = ${PENDING}`.execute(em.getKysely());
  }

  /** The call never reached the run (it failed on the way, or no run was there to take it): its entries go, as if never written. */
  async callNotTaken(em: EntityManager, ids: string[]): Promise<void> {
    await sql`delete from audit_entry where id = any(${ids}::uuid[]) and after->>'outcome' = ${PENDING}`.execute(em.getKysely());
  }

  /**
   * The run refused the call (its validator or handler answered no: another person's decision came first, the run checked
   * and refused it): the person's attempt stays in the log, `outcome: "not-taken"` with `refused`, why (the refusal's
   * message, as they were answered), and without the update's ID, as an update typed in the Temporal UI that the run
   * refused reads. Only an entry still pending or unknown; false when it was settled meanwhile (the reconciliation).
   */
  callRefused(em: EntityManager, auditId: string, refused: string): Promise<boolean> {
    return this.settleUpdateInEngine(em, auditId, refused);
  }

  /** The engine could not say in time whether it took the call: `outcome: "unknown"` until a retry or the reconciliation settles it. */
  async callOutcomeUnknown(em: EntityManager, ids: string[]): Promise<void> {
    await sql`update audit_entry set after = after || jsonb_build_object('outcome', ${UNKNOWN}::text) where id = any(${ids}::uuid[]) and after->>'outcome' = ${PENDING}`.execute(em.getKysely());
  }

  /** A call that failed before the engine took it: its entries go, or stay of unknown outcome when the engine may have taken it all the same. */
  async callFailed(em: EntityManager, ids: string[], mayHaveTakenIt: boolean): Promise<void> {
    await (mayHaveTakenIt ? this.callOutcomeUnknown(em, ids) : this.callNotTaken(em, ids));
  }

  /** Calls about `entityType` not settled (pending or unknown) for longer than `minAgeMs`, oldest first: for the engine to tell what became of them. */
  async unsettledCalls(em: EntityManager, entityType: AuditedEntityType, minAgeMs: number, limit: number): Promise<UnsettledCall[]> {
    const rows = await em.execute<{ id: string; action: string; entity_id: string; update_id: string | null; run_id: string | null; at: Date }[]>(
      `select id, action, entity_id, after->>'updateId' as update_id, after->>'runId' as run_id, at from audit_entry
        where after->>'outcome' in ('${PENDING}', '${UNKNOWN}') and entity_type = ? and at < now() - make_interval(secs => ?)
        order by at limit ?`,
      [entityType, minAgeMs / 1000, limit],
    );
    return rows.map((r) => ({ auditId: r.id, action: r.action, entityId: r.entity_id, updateId: r.update_id, runId: r.run_id, at: new Date(r.at) }));
  }

  /**
   * Settles a call still pending or unknown as the engine now tells; false when it was settled meanwhile (a retry).
   * `overriding`: the run's own answer to a retry, which settles it whatever was concluded before.
   */
  async settleCall(em: EntityManager, auditId: string, outcome: 'taken' | 'not-taken', { overriding = false } = {}): Promise<boolean> {
    const settled: { affectedRows?: number } = await em.execute(
      `update audit_entry set after = after || jsonb_build_object('outcome', ?::text) where id = ? ${overriding ? '' : `and after->>'outcome' in ('${PENDING}', '${UNKNOWN}')`}`,
      [outcome, auditId],
      'run',
    );
    return (settled.affectedRows ?? 0) > 0;
  }

  /**
   * Settles the entry of an update typed in the Temporal UI still pending, as the run answered it (`refused`: why it
   * refused it; see answeredUpdateInEngine); false when it was settled meanwhile.
   */
  async settleUpdateInEngine(em: EntityManager, auditId: string, refused: string | null): Promise<boolean> {
    const settled = await sql`update audit_entry set after = ${answeredUpdateInEngine(refused)} where id = ${auditId} and after->>'outcome' in (${PENDING}, ${UNKNOWN})`.execute(em.getKysely());
    return Number(settled.numAffectedRows ?? 0) > 0;
  }
}

/**
 * How the entry of an update typed in the Temporal UI (`*.update-in-engine`) reads once the run has answered it, whoever
 * settles it (the steering audit as the answer comes, or the run reconciliation later): taken, the mark and the update's
 * ID go (it reads as any other); refused, `outcome: "not-taken"` and `refused`, why.
 */
export function answeredUpdateInEngine(refused: string | null) {
  return sql`(after - 'outcome' - 'updateId') || ${JSON.stringify(updateInEngineAnswer(refused))}::jsonb`;
}

/** What the entry of an update typed in the Temporal UI says of the run's answer (see answeredUpdateInEngine): nothing when taken. */
export function updateInEngineAnswer(refused: string | null): { outcome?: 'not-taken'; refused?: string } {
  return refused === null ? {} : { outcome: 'not-taken', refused: storableText(refused) };
}

/** An engine call's entry the API has not settled yet (it waits for the engine's answer, or died waiting). */
const PENDING = 'pending';
/** An engine call's entry whose outcome the engine could not tell in time. */
const UNKNOWN = 'unknown';

export interface UnsettledCall {
  auditId: string;
  action: string;
  entityId: string;
  /** The update's ID, for a call sent as an update. */
  updateId: string | null;
  /** The execution of the run that took it, for an update typed in the Temporal UI (`*.update-in-engine`); null for the API's calls (the current one). */
  runId: string | null;
  /** When the entry was written, just before the call went. */
  at: Date;
}
