import type { EntityManager } from '@mikro-orm/postgresql';
import { heldByPromise, teamTemplates, untilPaidTemplates } from '../../domain/messages/catalogue.js';
import type { MessageChannel, OutboxMessage } from '../../entities/index.js';
import { stepMessageKey, stepMessageKeyParts } from '../../domain/playbooks/run-id.js';
import { runPrefixOfKeySql } from '../facts/run-ids.js';

// The import's command line reaches this module: the channel's value is written here, checked against the enum by its type, so the
// entities (and the ORM behind them) are not loaded there.
const EMAIL: `${MessageChannel.Email}` = 'email';

/**
 * The run's later messages delivery holds for `message` (their `waitsFor`, behind a reminder a person or the run had to act
 * on) are looked at again in the next delivery round, now that the person retried, confirmed or discarded it, or the run
 * sent it again after a promise to pay, rather than after the longest back-off.
 */
export async function lookAgainAtWaiters(em: EntityManager, message: { customerId: string; idempotencyKey: string; createdAt: Date; template: string }): Promise<void> {
  if (!untilPaidTemplates.includes(message.template)) return;
  const { workflowId } = stepMessageKeyParts(message.idempotencyKey);
  await em.execute(
    `update outbox_message set send_after = null
      where customer_id = ? and ${runPrefixOfKeySql('idempotency_key')} = ? and created_at > ? and waits_for is not null and sent_at is null and suppressed_at is null`,
    [message.customerId, stepMessageKey(workflowId, ''), message.createdAt],
  );
}

/**
 * Queued e-mails to the customer that delivery held for a time to come (the end of quiet hours in the time zone the
 * customer had then, or an earlier reminder of their run) where `customer` (SQL on the customer's id) holds: once the
 * customer's time zone changed, they are looked at again in the next delivery round, in the new zone, rather than at the
 * old zone's morning. Only those: quiet hours never hold a task for a team or a letter, whose time to come is a promise
 * to pay's end. One failing (refused, waiting for its next attempt) keeps its back-off, also once the back-off ended in
 * the old zone's quiet hours (it goes a little later than it could).
 */
export function lookAgainInNewTimeZoneSql(customer: string): string {
  return `update outbox_message m set send_after = null
    where ${customer} and m.channel = '${EMAIL}' and m.template not in (${teamTemplates.map((t) => `'${t}'`).join(', ')})
      and m.sent_at is null and m.suppressed_at is null and m.send_after is not null and not (m.attempts > 0 and m.last_error is not null)`;
}

/** The run that decides whether a promise to pay still holds `message` back (it does while that run goes on); null when no promise holds it. */
export function promiseHoldingRun(message: Pick<OutboxMessage, 'suppressedAt' | 'suppressedReason' | 'idempotencyKey'>): string | null {
  return message.suppressedAt && heldByPromise(message.suppressedReason) ? stepMessageKeyParts(message.idempotencyKey).workflowId : null;
}

/** The runs among `workflowIds` (one at least) that go on (their record not ended). */
export async function runsGoingOn(em: EntityManager, workflowIds: readonly string[]): Promise<Set<string>> {
  const rows = await em.execute<{ workflow_id: string }[]>(`select workflow_id from playbook_run where workflow_id in (?) and finished_at is null`, [[...workflowIds]]);
  return new Set(rows.map((r) => r.workflow_id));
}
