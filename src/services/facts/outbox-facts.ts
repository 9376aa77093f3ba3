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
