import type { EntityManager } from '@mikro-orm/postgresql';
import { stepMessageKey } from '../../domain/playbooks/run-id.js';
import { FixCaseStatus, MessageChannel } from '../../entities/index.js';
import { runPrefixOfKeySql } from '../facts/run-ids.js';
import type { OutboxService } from '../outbox/outbox.service.js';

/** The messages of a fix that promise the customer word when it is done ("we will tell you when it is done"). */
const PROMISES_WORD = ['issue-acknowledged', 'issue-reopened', 'issue-still-open', 'issue-complaint-added'];

/**
 * A fix run stopped before its fix (cancelled by an operator, in the Temporal UI or through the API; ended in the engine):
 * its case, still open, leaves its team's queue as cancelled (a fixed one stays fixed). When the customer was told a team
 * works on it and they would hear when it is done (that word went out, or its hand-over was interrupted and may have
 * reached them), the case's owner gets a task to tell them what happens now, with why it stopped (`reason`): the run sends
 * them nothing more, and a promise left unkept is what makes a customer leave. Once: only as the case leaves the queue
 * (`case-cancelled`, a task the run's stop does not hold back). Such a word still queued is held back by the run's stop
 * (`holdBackQueuedMessages`), so it is not counted here; one being handed over is waited for (its row lock) and counted
 * once sent. `ended`: how the run stopped when not by a cancel (`terminated`, `failed`, `timed out` in the engine). Answers whether the case was open.
 */
export async function cancelOpenFixCase(em: EntityManager, outbox: OutboxService, workflowId: string, reason: string, ended?: string): Promise<boolean> {
  return em.transactional(async (tx) => {
    const [cancelled] = await tx.execute<{ customer_id: string; topic: string; owner: string }[]>(
      `update fix_case set status = ? where workflow_id = ? and status = ? returning customer_id, topic, owner`,
      [FixCaseStatus.Cancelled, workflowId, FixCaseStatus.Open],
    );
    if (!cancelled) return false;
    const words = await tx.execute<{ told_at: Date | null }[]>(
      `select coalesce(sent_at, interrupted_at) as told_at from outbox_message
        where customer_id = ? and ${runPrefixOfKeySql('idempotency_key')} = ? and template in (?) order by created_at for update`,
      [cancelled.customer_id, stepMessageKey(workflowId, ''), PROMISES_WORD],
    );
    const told = words.map((w) => w.told_at).filter((at): at is Date => at !== null);
    if (told.length === 0) return true;
    await outbox.enqueueStep(tx, { workflowId, customerId: cancelled.customer_id }, 'case-cancelled', {
      channel: MessageChannel.Call,
      template: 'fix-case-cancelled',
      payload: { topic: cancelled.topic, owner: cancelled.owner, customerId: cancelled.customer_id, ...(ended ? { ended } : {}), reason, toldOn: new Date(told[0]).toISOString().slice(0, 10) },
    });
    return true;
  });
}

/** The cancel's reason as its operator gave it through the platform (`playbook.cancel`), else that it was cancelled in the engine. */
export async function cancelReason(em: EntityManager, workflowId: string): Promise<string> {
  const [cancel] = await em.execute<{ reason: string | null }[]>(
    `select after->>'reason' as reason from audit_entry where entity_type = 'playbook_run' and entity_id = ? and action = 'playbook.cancel' and (after->>'outcome') is distinct from 'not-taken' order by at desc, id desc limit 1`,
    [workflowId],
  );
  return cancel?.reason ?? 'the run was cancelled in the workflow engine (the Temporal UI or CLI)';
}
