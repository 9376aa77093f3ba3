import type { EntityManager } from '@mikro-orm/postgresql';
import { runActor } from '../../domain/auth/roles.js';
import type { CaseComplaint } from '../../domain/messages/template.js';
import { FIX_ISSUE } from '../../domain/playbooks/fix-issue.js';
import { stepMessageKey } from '../../domain/playbooks/run-id.js';
import { MessageChannel } from '../../entities/index.js';
import type { AuditService } from '../audit/audit.service.js';
import { runPrefixOfKeySql } from '../facts/run-ids.js';
import type { OutboxService } from '../outbox/outbox.service.js';

/** The tasks that list the complaints behind a case as it opens (or opens again after a fix that did not hold). */
const CASE_LISTING_TASKS = ['fix-case-opened', 'fix-case-reopened'];

/**
 * The customer complained about a topic (a new complaint, or one reopened) while its fix case is open and the fix still
 * to come: the case's owner is told of each complaint its tasks did not list yet (reference, severity, day and the
 * customer's words, as its first task lists them: in `complaints`, so an erasure takes the words out here too), and the
 * customer hears that it was added to the case a team already works on, instead of silence. Each once per complaint (and
 * per reopening of it: keyed by the complaint under the run, `complaint-<id>[-reopened-<n>]`), audited as the run's
 * `fix-case.complaint-added`; both go through the outbox, so quiet hours and the contact rules apply as to the run's other
 * messages, and a cancel of the run holds them back as it does those. A complaint while the fix waits for its check-back
 * is the fix not holding (the run reopens the case and says so), and one before the case is open is in its first task:
 * neither is added here. Answers the complaints added.
 */
export async function addComplaintsToOpenCase(em: EntityManager, audit: AuditService, outbox: OutboxService, customerId: string, topic: string): Promise<string[]> {
  return em.transactional(async (tx) => {
    // The run's case, locked: two follow-ups of the same customer at once add each complaint once, and the run's own step
    // (a fix closing the case) waits for this or comes first.
    const [open] = await tx.execute<{ workflow_id: string; case_id: string; owner: string }[]>(
      `select c.workflow_id, c.id as case_id, c.owner from fix_case c join playbook_run r on r.workflow_id = c.workflow_id
        where c.customer_id = ? and c.topic = ? and c.status = 'open' and r.playbook = ? and r.status = 'running'
        order by c.opened_at desc limit 1 for update of c`,
      [customerId, topic, FIX_ISSUE],
    );
    if (!open) return [];
    const run = { workflowId: open.workflow_id, customerId };
    // Complaints recorded (or reopened) after the case's last task that listed its complaints: those it read are known to the owner.
    const [listed] = await tx.execute<{ at: Date | null }[]>(
      `select max(created_at) as at from outbox_message where customer_id = ? and ${runPrefixOfKeySql('idempotency_key')} = ? and template in (?)`,
      [customerId, stepMessageKey(run.workflowId, ''), CASE_LISTING_TASKS],
    );
    if (!listed?.at) return [];
    const rows = await tx.execute<{ id: string; ref: string; severity: string; summary: string | null; opened_at: Date; reopened_at: Date | null; reopened_count: number }[]>(
      `select k.id, coalesce(k.external_ref, k.id::text) as ref, k.severity, k.summary, k.opened_at, k.reopened_at, k.reopened_count
         from complaint k where k.customer_id = ? and k.topic = ? and k.resolved_at is null and k.withdrawn_at is null
          and greatest(k.created_at, coalesce(k.reopened_at, k.created_at)) > ?
        order by coalesce(k.reopened_at, k.opened_at), k.id`,
      [customerId, topic, listed.at],
    );
    const added: string[] = [];
    for (const k of rows) {
      const complaint: CaseComplaint = {
        ref: k.ref,
        severity: k.severity,
        summary: k.summary,
        openedOn: new Date(k.opened_at).toISOString().slice(0, 10),
        ...(k.reopened_at ? { reopenedOn: new Date(k.reopened_at).toISOString().slice(0, 10) } : {}),
        open: true,
      };
      const step = `complaint-${k.id}${k.reopened_at ? `-reopened-${k.reopened_count}` : ''}`;
      const task = { topic, owner: open.owner, customerId, complaints: [complaint] };
      if (!(await outbox.enqueueStep(tx, run, step, { channel: MessageChannel.Call, template: 'fix-case-complaint-added', payload: task }))) continue;
      await outbox.enqueueStep(tx, run, `${step}-acknowledged`, { channel: MessageChannel.Email, template: 'issue-complaint-added', payload: { topic } });
      audit.record(tx, {
        actor: runActor(run.workflowId),
        action: 'fix-case.complaint-added',
        entityType: 'fix_case',
        entityId: open.case_id,
        after: { workflowId: run.workflowId, complaintId: k.id, severity: k.severity, owner: open.owner },
      });
      added.push(k.id);
    }
    return added;
  });
}

/** A complaint withdrawn as filed by mistake, as the case's owner reads it. */
export interface WithdrawnComplaint {
  id: string;
  ref: string;
  severity: string;
  summary: string | null;
  openedAt: Date;
  reopenedAt: Date | null;
  resolvedAt: Date | null;
  reason: string;
}

/**
 * A complaint about the topic of a fix case open under a running fix was withdrawn (filed by mistake), and without it the
 * topic is no longer persistent (`stillPersistent` false): the case may no longer be needed. The run is not cancelled
 * behind the owner's back (the customer was told a team works on it, and a cancel says nothing to them unless the owner
 * does): its owner gets the task `fix-case-complaint-withdrawn` naming the complaint and why, and how to cancel the run
 * (`cancelPlaybookRun`) or report the fix. Once per complaint (step `complaint-<id>-withdrawn` of the run), audited as
 * `actor`'s `fix-case.complaint-withdrawn` on the case. Answers the run told, or null (no such run, or still persistent).
 */
export async function tellCaseOfWithdrawnComplaint(
  em: EntityManager,
  audit: AuditService,
  outbox: OutboxService,
  input: { customerId: string; topic: string; complaint: WithdrawnComplaint; stillPersistent: boolean; actor: string },
): Promise<string | null> {
  if (input.stillPersistent) return null;
  return em.transactional(async (tx) => {
    const [open] = await tx.execute<{ workflow_id: string; case_id: string; owner: string }[]>(
      `select c.workflow_id, c.id as case_id, c.owner from fix_case c join playbook_run r on r.workflow_id = c.workflow_id
        where c.customer_id = ? and c.topic = ? and c.status = 'open' and r.playbook = ? and r.status = 'running'
        order by c.opened_at desc limit 1 for update of c`,
      [input.customerId, input.topic, FIX_ISSUE],
    );
    if (!open) return null;
    const run = { workflowId: open.workflow_id, customerId: input.customerId };
    const k = input.complaint;
    const complaint: CaseComplaint = {
      ref: k.ref,
      severity: k.severity,
      summary: k.summary,
      openedOn: k.openedAt.toISOString().slice(0, 10),
      ...(k.reopenedAt ? { reopenedOn: k.reopenedAt.toISOString().slice(0, 10) } : {}),
      open: k.resolvedAt === null,
    };
    const task = { topic: input.topic, owner: open.owner, customerId: input.customerId, workflowId: open.workflow_id, reason: k.reason, complaints: [complaint] };
    if (!(await outbox.enqueueStep(tx, run, `complaint-${k.id}-withdrawn`, { channel: MessageChannel.Call, template: 'fix-case-complaint-withdrawn', payload: task }))) return open.workflow_id;
    audit.record(tx, {
      actor: input.actor,
      action: 'fix-case.complaint-withdrawn',
      entityType: 'fix_case',
      entityId: open.case_id,
      after: { workflowId: open.workflow_id, complaintId: k.id, owner: open.owner, reason: k.reason },
    });
    return open.workflow_id;
  });
}
