import { runPrefixOfKeySql } from './run-ids.js';

/**
 * `givenUp` (domain/messages/message-status.ts) of the outbox message `alias`, as SQL text: refused
 * for good, its hand-over interrupted, or refused `maxAttempts` times (a policy's whole number,
 * written into the text). Delivery leaves such a message alone, the operations status counts it
 * and the undeliverable queue lists it.
 */
export function givenUpSql(alias: string, maxAttempts: number): string {
  if (!Number.isSafeInteger(maxAttempts)) throw new RangeError(`maxAttempts must be a whole number (got ${maxAttempts})`);
  return `(${alias}.refused_at is not null or ${alias}.interrupted_at is not null or ${alias}.attempts >= ${maxAttempts})`;
}

/**
 * The outbox message `alias` (a reminder) was overtaken: a message of its run chasing payment (a reminder, a call
 * task, the hand-over), written after it, went out. The order it was meant to keep is broken already, so it no longer
 * holds the run's later messages back, and a retry by hand, which would send it after them, is refused. Two parameters: the run's key prefix
 * (`<workflow id>/`, `stepMessageKey(workflowId, '')`) and the templates chasing payment (`untilPaidTemplates`).
 */
export function overtakenSql(alias: string): string {
  return `exists (select 1 from outbox_message s where s.customer_id = ${alias}.customer_id and ${runPrefixOfKeySql('s.idempotency_key')} = ?
            and s.created_at > ${alias}.created_at and s.sent_at is not null and s.template in (?))`;
}
