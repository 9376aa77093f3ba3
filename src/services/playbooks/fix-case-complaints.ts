import type { EntityManager } from '@mikro-orm/postgresql';
import { runActor } from '../../domain/auth/roles.js';
import type { CaseComplaint } from '../../domain/messages/template.js';
import { FIX_ISSUE } from '../../domain/playbooks/fix-issue.js';
import { RUN_ID_SEPARATOR, stepMessageKey } from '../../domain/playbooks/run-id.js';
import { MessageChannel } from '../../entities/index.js';
import type { AuditService } from '../audit/audit.service.js';
import { runPrefixOfKeySql } from '../facts/run-ids.js';
import type { OutboxService } from '../outbox/outbox.service.js';
import { MESSAGE_HELD_BACK } from '../outbox/message-audit.js';

/**
 * The open fix case of the customer's topic whose run is under way, locked: what a complaint added to it or withdrawn from
 * it is told to, the run's own step (a fix closing the case) waiting for that or coming first.
 */
async function lockedOpenCase(em: EntityManager, customerId: string, topic: string): Promise<{ workflow_id: string; case_id: string; owner: string; opened_at: Date } | undefined> {
  const [open] = await em.execute<{ workflow_id: string; case_id: string; owner: string; opened_at: Date }[]>(
    `select c.workflow_id, c.id as case_id, c.owner, c.opened_at from fix_case c join playbook_run r on r.workflow_id = c.workflow_id
      where c.customer_id = ? and c.topic = ? and c.status = 'open' and r.playbook = ? and r.status = 'running'
      order by c.opened_at desc limit 1 for update of c`,
    [customerId, topic, FIX_ISSUE],
  );
  return open;
}

/** A complaint as a case's task lists it (reference, severity, the customer's words, its days, whether still open). */
function caseComplaint(k: { ref: string; severity: string; summary: string | null; openedAt: Date; reopenedAt: Date | null; open: boolean }): CaseComplaint {
  const day = (at: Date) => new Date(at).toISOString().slice(0, 10);
  return { ref: k.ref, severity: k.severity, summary: k.summary, openedOn: day(k.openedAt), ...(k.reopenedAt ? { reopenedOn: day(k.reopenedAt) } : {}), open: k.open };
}

/** The tasks that list the complaints behind a case as it opens (or opens again after a fix that did not hold). */
const CASE_LISTING_TASKS = ['fix-case-opened', 'fix-case-reopened'];
/** The tasks that show the case's owner the complaints behind it: as it opens or opens again, and as it moves up a level. */
const TASKS_LISTING_COMPLAINTS = [...CASE_LISTING_TASKS, 'fix-case-escalated'];

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
    // Two follow-ups of the same customer at once add each complaint once.
    const open = await lockedOpenCase(tx, customerId, topic);
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
      const complaint = caseComplaint({ ref: k.ref, severity: k.severity, summary: k.summary, openedAt: k.opened_at, reopenedAt: k.reopened_at, open: true });
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

/**
 * The step of a case's run that adds complaint `k` (a row of `complaint`) to it, as `addComplaintsToOpenCase` keys it:
 * `complaint-<id>`, or `complaint-<id>-reopened-<n>` for its n-th reopening.
 */
const addedStepSql = (k: string) => `'complaint-' || ${k}.id || case when ${k}.reopened_at is not null then '-reopened-' || ${k}.reopened_count else '' end`;

/**
 * The open fix cases (their fix still to come, the run running) of customers and topics from after `after` up to `upTo`
 * (a `[customerId, topic]` keyset; null: from the first, to the last) whose customer complained about the topic (a new
 * complaint, or one reopened) since the case last listed its complaints, and whose owner was not told of it yet: what
 * `addComplaintsToOpenCase` would add. A complaint that came in without the follow-up (a command-line import, which
 * leaves it to the sweep) is found here; one the follow-up added is not. At most `limit`, by (customer, topic).
 */
export async function openCasesMissingComplaints(
  em: EntityManager,
  input: { after: [string, string] | null; upTo: [string, string] | null; limit: number },
): Promise<{ customerId: string; topic: string }[]> {
  const params: unknown[] = [FIX_ISSUE];
  const range: string[] = [];
  if (input.after) {
    range.push(`and (c.customer_id, c.topic) > (?::uuid, ?)`);
    params.push(...input.after);
  }
  if (input.upTo) {
    range.push(`and (c.customer_id, c.topic) <= (?::uuid, ?)`);
    params.push(...input.upTo);
  }
  params.push(CASE_LISTING_TASKS, input.limit);
  const rows = await em.execute<{ customer_id: string; topic: string }[]>(
    `select c.customer_id, c.topic from fix_case c join playbook_run r on r.workflow_id = c.workflow_id
      where c.status = 'open' and r.playbook = ? and r.status = 'running' ${range.join(' ')}
        and exists (
          select 1 from complaint k
           cross join lateral (select max(m.created_at) as at from outbox_message m
                                where m.customer_id = c.customer_id and ${runPrefixOfKeySql('m.idempotency_key')} = c.workflow_id || '${RUN_ID_SEPARATOR}'
                                  and m.template in (?)) listed
           where k.customer_id = c.customer_id and k.topic = c.topic and k.resolved_at is null and k.withdrawn_at is null
             and greatest(k.created_at, coalesce(k.reopened_at, k.created_at)) > listed.at
             and not exists (select 1 from outbox_message a where a.idempotency_key = c.workflow_id || '${RUN_ID_SEPARATOR}' || ${addedStepSql('k')}))
      group by c.customer_id, c.topic order by c.customer_id, c.topic limit ?`,
    params,
  );
  return rows.map((r) => ({ customerId: r.customer_id, topic: r.topic }));
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

/** Why an "added to your case" word still queued was held back: the complaint it thanks for was withdrawn as filed by mistake. */
export const COMPLAINT_WITHDRAWN_HOLD = 'complaint-withdrawn: the complaint this thanks the customer for was withdrawn as filed by mistake (not theirs, or a duplicate)';

/** Why a fix run's word to the customer that a team works on it, still queued, was held back: the run exists only because of a withdrawn complaint. */
export const RUN_ONLY_FOR_WITHDRAWN_HOLD = 'complaint-withdrawn: the fix run this tells the customer of exists only because of a complaint withdrawn as filed by mistake';

/** The run's word that a team works on the issue (`issue-acknowledged`), if still queued, held back (audited `message.held-back`); the messages held. */
async function holdBackAcknowledgement(em: EntityManager, audit: AuditService, run: { workflowId: string; customerId: string }, complaintId: string, actor: string): Promise<string[]> {
  // One whose hand-over was interrupted may have reached them: it waits for a person, as before.
  const held = await em.execute<{ id: string }[]>(
    `update outbox_message set suppressed_at = now(), suppressed_reason = ?
      where customer_id = ? and idempotency_key = ? and template = 'issue-acknowledged' and sent_at is null and suppressed_at is null and interrupted_at is null
      returning id`,
    [RUN_ONLY_FOR_WITHDRAWN_HOLD, run.customerId, stepMessageKey(run.workflowId, 'acknowledged')],
  );
  for (const m of held) {
    audit.record(em, { actor, action: MESSAGE_HELD_BACK, entityType: 'outbox_message', entityId: m.id, after: { reason: RUN_ONLY_FOR_WITHDRAWN_HOLD, complaintId, customerId: run.customerId, template: 'issue-acknowledged' } });
  }
  return held.map((m) => m.id);
}

/**
 * A complaint was withdrawn (filed by mistake). First the customer's word that it was added to a case (`issue-complaint-added`,
 * keyed `complaint-<id>[-reopened-<n>]-acknowledged` under any fix run of theirs), still queued (their quiet hours), is held
 * back: they are not thanked for a complaint that was never theirs (audited `message.held-back`). Then, when a fix case of
 * its topic is open under a running fix, its owner may have to hear of it, by the complaints the case stands on:
 * - after an earlier fix of the topic (the case reopened after its fix, or this run started after the previous run's fix),
 *   those opened or reopened since that fix, not withdrawn: when none is left, the run (or its reopening) exists only
 *   because of the withdrawn one (`onlyCause` 'run' or 'reopening'), and the owner is told how to end it;
 * - a topic's first case stands on its persistent issue: `persistentWithout` false (the topic no longer persistent
 *   without it) puts the case in question;
 * - a case still standing on others is told only when the owner read this complaint: told of it on its own
 *   (`fix-case-complaint-added`), or shown it in a task of the run listing the case's complaints (`fix-case-opened`,
 *   `-reopened`, `-escalated`), with `stillNeeded`: they are not to take it up with the customer.
 * When the run exists only because of it (a first case, or the topic's next run after a fix), the run's word to the
 * customer that a team works on it (`issue-acknowledged`), still queued, is held back (`acknowledgementHeld` in the task):
 * they never complained. The run is not cancelled behind the owner's back (the customer may have been told a team works on
 * it, and a cancel says nothing to them unless the owner does; one they were not told of asks nobody to tell them): the
 * task `fix-case-complaint-withdrawn` names the complaint and why. Once per complaint
 * (step `complaint-<id>-withdrawn` of the run), audited as `actor`'s `fix-case.complaint-withdrawn` on the case. Answers
 * the run told, or null.
 */
export async function tellCaseOfWithdrawnComplaint(
  em: EntityManager,
  audit: AuditService,
  outbox: OutboxService,
  input: { customerId: string; topic: string; complaint: WithdrawnComplaint; persistentWithout: boolean; actor: string },
): Promise<string | null> {
  return em.transactional(async (tx) => {
    const k = input.complaint;
    const held = await tx.execute<{ id: string; idempotency_key: string }[]>(
      `update outbox_message set suppressed_at = now(), suppressed_reason = ?
        where customer_id = ? and template = 'issue-complaint-added' and sent_at is null and suppressed_at is null
          and (idempotency_key like ? or idempotency_key like ?)
        returning id, idempotency_key`,
      [COMPLAINT_WITHDRAWN_HOLD, input.customerId, `%/complaint-${k.id}-acknowledged`, `%/complaint-${k.id}-reopened-%-acknowledged`],
    );
    for (const m of held) {
      audit.record(tx, { actor: input.actor, action: MESSAGE_HELD_BACK, entityType: 'outbox_message', entityId: m.id, after: { reason: COMPLAINT_WITHDRAWN_HOLD, complaintId: k.id, customerId: input.customerId, template: 'issue-complaint-added' } });
    }
    const open = await lockedOpenCase(tx, input.customerId, input.topic);
    if (!open) return null;
    const run = { workflowId: open.workflow_id, customerId: input.customerId };
    const prefix = stepMessageKey(run.workflowId, '');
    // The fix before the case as it stands: its own, when it was reopened after it (the run's word that it was fixed), or
    // the topic's previous case's, when this run started after it.
    const [ownFix] = await tx.execute<{ at: Date | null }[]>(
      `select max(created_at) as at from outbox_message where customer_id = ? and ${runPrefixOfKeySql('idempotency_key')} = ? and template = 'issue-fixed'`,
      [input.customerId, prefix],
    );
    const [previousFix] = ownFix?.at
      ? [undefined]
      : await tx.execute<{ at: Date | null }[]>(
          `select max(resolved_at) as at from fix_case where customer_id = ? and topic = ? and status = 'resolved' and opened_at < ?`,
          [input.customerId, input.topic, open.opened_at],
        );
    const fixedAt = ownFix?.at ?? previousFix?.at ?? null;
    let stillNeeded: boolean;
    let onlyCause: 'run' | 'reopening' | null = null;
    if (fixedAt) {
      const [standing] = await tx.execute<{ n: number }[]>(
        `select count(*)::int as n from complaint where customer_id = ? and topic = ? and withdrawn_at is null and (opened_at > ? or reopened_at > ?)`,
        [input.customerId, input.topic, fixedAt, fixedAt],
      );
      stillNeeded = (standing?.n ?? 0) > 0;
      const sinceFix = k.openedAt > new Date(fixedAt) || (k.reopenedAt !== null && k.reopenedAt > new Date(fixedAt));
      if (!stillNeeded && sinceFix) onlyCause = ownFix?.at ? 'reopening' : 'run';
    } else stillNeeded = input.persistentWithout;
    if (stillNeeded) {
      // Still standing on others: only an owner who read this complaint hears that it was not the customer's: told of it on
      // its own, or shown it in a task of the run listing the case's complaints (as it opened, reopened or moved up).
      const [read] = await tx.execute<{ n: number }[]>(
        `select count(*)::int as n from outbox_message where customer_id = ? and (
            (template = 'fix-case-complaint-added' and (idempotency_key = ? or idempotency_key like ?))
            or (template in (?) and ${runPrefixOfKeySql('idempotency_key')} = ? and payload -> 'complaints' @> ?::jsonb))`,
        [
          input.customerId,
          stepMessageKey(run.workflowId, `complaint-${k.id}`),
          stepMessageKey(run.workflowId, `complaint-${k.id}-reopened-%`),
          TASKS_LISTING_COMPLAINTS,
          prefix,
          JSON.stringify([{ ref: k.ref }]),
        ],
      );
      if (!read?.n) return null;
    }
    // The run exists only because of it (a first case no longer persistent without it, or the topic's next run after a fix
    // with no other complaint since): the customer's word that a team works on it, still queued (their quiet hours), is held
    // back: they are not told of a case about a complaint that was never theirs, and a cancel then asks nobody to tell them.
    const runOnlyForIt = fixedAt ? onlyCause === 'run' : !stillNeeded;
    const heldWord = runOnlyForIt ? await holdBackAcknowledgement(tx, audit, run, k.id, input.actor) : [];
    const complaint = caseComplaint({ ...k, open: k.resolvedAt === null });
    const task = {
      topic: input.topic,
      owner: open.owner,
      customerId: input.customerId,
      workflowId: open.workflow_id,
      reason: k.reason,
      complaints: [complaint],
      ...(stillNeeded ? { stillNeeded: true } : {}),
      ...(onlyCause ? { onlyCause } : {}),
      ...(heldWord.length ? { acknowledgementHeld: true } : {}),
    };
    if (!(await outbox.enqueueStep(tx, run, `complaint-${k.id}-withdrawn`, { channel: MessageChannel.Call, template: 'fix-case-complaint-withdrawn', payload: task }))) return open.workflow_id;
    audit.record(tx, {
      actor: input.actor,
      action: 'fix-case.complaint-withdrawn',
      entityType: 'fix_case',
      entityId: open.case_id,
      after: {
        workflowId: open.workflow_id,
        complaintId: k.id,
        owner: open.owner,
        reason: k.reason,
        ...(stillNeeded ? { stillNeeded: true } : {}),
        ...(onlyCause ? { onlyCause } : {}),
        ...(heldWord.length ? { acknowledgementHeld: true } : {}),
      },
    });
    return open.workflow_id;
  });
}
