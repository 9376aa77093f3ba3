import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ScoreKind } from '../../domain/scoring/score-kind.js';
import { Complaint, FixCase, FixCaseStatus } from '../../entities/index.js';
import type { AuditService } from '../audit/audit.service.js';
import { runActor } from '../../domain/auth/roles.js';

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

/**
 * The customer's complaints about the topic open when a fix was reported (`fixedAt`), resolved as of it, each audited as a
 * `complaint.resolve` of the fix's run, naming the run and its case: the timeline shows them resolved then, and the case's
 * `closedComplaints` reads them back. One dated after the fix (another clock's) is left open: it came after the fix, and
 * says it did not hold.
 */
export async function resolveCoveredByFix(em: EntityManager, audit: AuditService, fix: { workflowId: string; caseId: string; customerId: string; topic: string; fixedAt: Date }): Promise<string[]> {
  const open = await em.find(
    Complaint,
    { customer: fix.customerId, topic: fix.topic, resolvedAt: null, withdrawnAt: null, openedAt: { $lte: fix.fixedAt }, $or: [{ reopenedAt: null }, { reopenedAt: { $lte: fix.fixedAt } }] },
    { orderBy: { openedAt: 'asc', id: 'asc' }, lockMode: LockMode.PESSIMISTIC_WRITE },
  );
  for (const complaint of open) recordResolution(em, audit, complaint, fix.fixedAt, runActor(fix.workflowId), { workflowId: fix.workflowId, fixCaseId: fix.caseId });
  await em.flush();
  return open.map((k) => k.id);
}

/**
 * A complaint about a topic whose latest fix case is fixed (reported, or confirmed), dated before that fix but recorded
 * after it (typed in late, a CRM import): the fix covers it as it covered those open when it was reported, so it is
 * resolved as of the fix, as the fix's; it is no sign the fix failed (one dated after the fix is). Left open, nothing
 * would ever close it. Answers the complaints so resolved.
 */
export async function resolveLateForFixedTopic(em: EntityManager, audit: AuditService, customerId: string, topic: string): Promise<string[]> {
  return em.transactional(async (tx) => {
    const [fixed] = await tx.find(FixCase, { customer: customerId, topic }, { orderBy: { openedAt: 'desc', id: 'desc' }, limit: 1 });
    if (!fixed || fixed.status !== FixCaseStatus.Resolved || !fixed.resolvedAt) return [];
    return resolveCoveredByFix(tx, audit, { workflowId: fixed.workflowId, caseId: fixed.id, customerId, topic, fixedAt: fixed.resolvedAt });
  });
}
