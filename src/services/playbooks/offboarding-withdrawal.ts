import type { EntityManager } from '@mikro-orm/postgresql';
import { offboardingAnnouncementTemplates } from '../../domain/messages/catalogue.js';
import { stepMessageKey } from '../../domain/playbooks/run-id.js';
import { Customer, CustomerStatus, MessageChannel } from '../../entities/index.js';
import type { AuditService } from '../audit/audit.service.js';
import { lockedCustomer } from '../customers/customer.service.js';
import { runPrefixOfKeySql } from '../facts/run-ids.js';
import { OutboxService } from '../outbox/outbox.service.js';
import { runActor } from '../../domain/auth/roles.js';

/** Why an offboarding's notice or help to switch, still queued, was not sent. */
const OFFBOARDING_WITHDRAWN = 'offboarding-withdrawn: the offboarding was withdrawn before it went out';

/**
 * An account review that ends before its offboarding completes (cancelled during the notice,
 * or terminated or failed in the engine) withdraws the offboarding it started: a customer still
 * `offboarding` by this run is `active` again, audited as `customer.offboarding-withdrawn` by
 * whoever ended the run and why. Otherwise the customer would stay `offboarding` for good: no
 * review, thank-you or campaign takes them, and no retention sweep. A customer the notice reached is
 * told that it no longer stands (`offboarding-withdrawn`). Idempotent: a customer not
 * (or no longer) offboarding by this run is left as they are. True when it withdrew one. In the
 * transaction that ended the run (or after it: the run's record is taken first, as every step
 * takes it, then the customer).
 */
export async function withdrawOffboarding(em: EntityManager, audit: AuditService, input: { workflowId: string; customerId: string; by: string; reason: string | null }): Promise<boolean> {
  const customer = await lockedCustomer(em, input.customerId);
  if (customer?.status !== CustomerStatus.Offboarding) return false;
  // Only the offboarding this run began (a status an import set is not the run's to take back).
  if (!(await audit.hasEntry(em, { entityType: 'customer', entityId: customer.id, action: 'customer.offboarding', after: ['workflowId', input.workflowId] }))) return false;
  audit.record(em, {
    actor: input.by,
    action: 'customer.offboarding-withdrawn',
    entityType: 'customer',
    entityId: customer.id,
    before: { status: customer.status },
    after: { status: CustomerStatus.Active, reason: input.reason, workflowId: input.workflowId },
  });
  customer.status = CustomerStatus.Active;
  await em.flush();
  // A notice and help to switch still queued are held back here, with the withdrawal (not only as the run's end is
  // recorded, which may come later); one being handed over is waited for, and counts as read.
  await holdBackAnnouncements(em, { customerId: customer.id, workflowId: input.workflowId }, OFFBOARDING_WITHDRAWN);
  // A customer who read the notice is told it no longer stands (once per run), naming the day it named (noticeEndsOn: their own day; a notice written without it named noticeEndsAt's UTC day).
  const [notice] = await em.execute<{ payload: Record<string, unknown> }[]>(`select payload from outbox_message where idempotency_key = ? and sent_at is not null`, [stepMessageKey(input.workflowId, 'notice')]);
  if (notice) {
    await new OutboxService().enqueueStep(em, input, 'offboarding-withdrawn', { channel: MessageChannel.Email, template: 'offboarding-withdrawn', payload: { noticeEndsAt: notice.payload.noticeEndsAt, ...(notice.payload.noticeEndsOn ? { noticeEndsOn: notice.payload.noticeEndsOn } : {}) } });
  }
  return true;
}

/**
 * Holds back the run's notice and help to switch still queued (`reason`: the offboarding withdrawn, or its notice ended
 * early), in the caller's transaction; one being handed over is waited for, and counts as read (sent, so left as it is).
 */
export async function holdBackAnnouncements(em: EntityManager, run: { customerId: string; workflowId: string }, reason: string): Promise<void> {
  await em.execute(
    `update outbox_message set suppressed_at = now(), suppressed_reason = ?
      where customer_id = ? and ${runPrefixOfKeySql('idempotency_key')} = ? and template in (?) and sent_at is null and suppressed_at is null`,
    [reason, run.customerId, stepMessageKey(run.workflowId, ''), [...offboardingAnnouncementTemplates]],
  );
}

/**
 * Whether the customer's offboarding still stands for this run at the end of its notice: they
 * are `offboarding`, and the run's last word on it is not a withdrawal. A run whose end
 * withdrew the offboarding (terminated during the notice) and that runs again after a reset
 * finds the customer active (or offboarding by someone else): a withdrawn offboarding stays
 * withdrawn (nor does the run begin it again: `startOffboarding`), and nobody is offboarded
 * without notice.
 */
export async function offboardingStands(em: EntityManager, customer: Customer, workflowId: string): Promise<boolean> {
  return customer.status === CustomerStatus.Offboarding && (await lastOffboardingWord(em, customer.id, workflowId)) !== 'customer.offboarding-withdrawn';
}

/**
 * A run's last word on its customer's offboarding as SQL, from the audit log (`customer.offboarding`,
 * `customer.offboarding-withdrawn`, or null): `customerId` and `workflowId` are text expressions of the query around it.
 */
export const lastOffboardingWordSql = (customerId: string, workflowId: string): string =>
  `(select w.action from audit_entry w where w.entity_type = 'customer' and w.entity_id = ${customerId} and w.action in ('customer.offboarding', 'customer.offboarding-withdrawn') and w.after->>'workflowId' = ${workflowId} order by w.at desc, w.id desc limit 1)`;

/** This run's last word on the customer's offboarding, from the audit log: begun, withdrawn, or none. */
export async function lastOffboardingWord(em: EntityManager, customerId: string, workflowId: string): Promise<'customer.offboarding' | 'customer.offboarding-withdrawn' | undefined> {
  const [last] = await em.execute<{ action: 'customer.offboarding' | 'customer.offboarding-withdrawn' | null }[]>(`select ${lastOffboardingWordSql('?', '?')} as action`, [customerId, workflowId]);
  return last?.action ?? undefined;
}

/**
 * The cancel of a running account review, as its last step records it: the offboarding it
 * started is withdrawn, by the operator who cancelled it through the platform and their reason
 * (the `playbook.cancel` entry), or else by the run itself (a cancel in the Temporal UI; the
 * run reconciliation audits who made it).
 */
export async function withdrawOffboardingOnCancel(em: EntityManager, audit: AuditService, input: { workflowId: string; customerId: string }): Promise<boolean> {
  return em.transactional(async (tx) => {
    // The run's record first: a cancel through the API still committing (it holds the record) is waited for, and read.
    await tx.execute(`select 1 from playbook_run where workflow_id = ? for share`, [input.workflowId]);
    const [cancel] = await tx.execute<{ actor: string; reason: string | null }[]>(
      `select actor, after->>'reason' as reason from audit_entry where entity_type = 'playbook_run' and entity_id = ? and action = 'playbook.cancel' and (after->>'outcome') is distinct from 'not-taken' order by at desc limit 1`,
      [input.workflowId],
    );
    return withdrawOffboarding(tx, audit, { ...input, by: cancel?.actor ?? runActor(input.workflowId), reason: cancel?.reason ?? 'the run was cancelled in the workflow engine' });
  });
}
