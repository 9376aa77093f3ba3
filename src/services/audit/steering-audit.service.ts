import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import type { AuditService } from './audit.service.js';

/** A signal a run received from outside this platform: an operator steering it in the Temporal UI or CLI. */
export interface SignalFromOutside {
  /** Its place in the run's history (one entry per signal, however often this is asked). */
  eventId: number;
  name: string;
  /** Who sent it, as the engine recorded (the UI's or CLI's identity). */
  by: string | null;
  input: unknown[];
  at: Date;
}

/** Where the signals a run received are read (the workflow engine). */
export interface SignalSource {
  signalsFromOutside(workflowId: string, runId: string): Promise<SignalFromOutside[]>;
}

/** What was steered: a playbook run (by workflow ID) or a campaign (by its ID). */
export type SteeredEntity = { entityType: 'playbook_run'; entityId: string } | { entityType: 'campaign'; entityId: string };

const ACTION: Record<SteeredEntity['entityType'], string> = { playbook_run: 'playbook.signal-in-engine', campaign: 'campaign.signal-in-engine' };

/**
 * Operators steer runs in the Temporal UI too (an answer, a fix, a pause), where the API's
 * audit does not see them. A run that takes a signal asks for it to be audited here: each
 * signal from outside the platform once, with who sent it and what it said. (Signals this
 * platform sends are audited by the service that sends them.)
 */
export class SteeringAuditService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly source: SignalSource,
  ) {}

  /** Audits the run's signals from outside not audited yet; the number audited now. */
  async auditSignalsFromOutside(run: { workflowId: string; runId: string }, steered: SteeredEntity): Promise<number> {
    const signals = await this.source.signalsFromOutside(run.workflowId, run.runId);
    if (signals.length === 0) return 0;
    const action = ACTION[steered.entityType];
    return this.em.transactional(async (em) => {
      const db = em.getKysely();
      // Two signals taken at once ask twice: one audits, the other then finds them audited.
      await sql`select pg_advisory_xact_lock(hashtextextended(${`steering:${run.runId}`}, 0))`.execute(db);
      const audited = await sql<{ eventId: number }>`
        select (after->>'eventId')::int as "eventId" from audit_entry
        where entity_type = ${steered.entityType} and entity_id = ${steered.entityId} and action = ${action} and after->>'runId' = ${run.runId}`.execute(db);
      const seen = new Set(audited.rows.map((r) => r.eventId));
      const fresh = signals.filter((s) => !seen.has(s.eventId));
      for (const signal of fresh) {
        this.audit.record(em, {
          actor: `temporal:${signal.by ?? 'unknown'}`,
          action,
          entityType: steered.entityType,
          entityId: steered.entityId,
          after: { signal: signal.name, input: signal.input, sentAt: signal.at.toISOString(), workflowId: run.workflowId, runId: run.runId, eventId: signal.eventId },
        });
      }
      return fresh.length;
    });
  }
}
