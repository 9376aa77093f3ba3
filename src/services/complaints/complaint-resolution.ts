import type { EntityManager } from '@mikro-orm/postgresql';
import { ScoreKind } from '../../domain/scoring/score-kind.js';
import type { Complaint } from '../../entities/index.js';
import type { AuditService } from '../audit/audit.service.js';

/** The score a complaint recorded, resolved or reopened moves: rescored after it. */
export const COMPLAINT_SCORES: ReadonlySet<ScoreKind> = new Set([ScoreKind.PersistentIssue]);

/**
 * Marks a complaint (locked, open) resolved at `at` and audits it as `actor`'s `complaint.resolve`, with `context` beside
 * the resolution (a fix's run and case): the one record of a resolution, whoever makes it (a person, a fix reported).
 */
export function recordResolution(em: EntityManager, audit: AuditService, complaint: Complaint, at: Date, actor: string, context: Record<string, string> = {}): void {
  complaint.resolvedAt = at;
  audit.record(em, { actor, action: 'complaint.resolve', entityType: 'complaint', entityId: complaint.id, before: { resolvedAt: null }, after: { resolvedAt: at.toISOString(), ...context } });
}
