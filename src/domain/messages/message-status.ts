/** Where an outbox message stands, as a customer's message history shows it. */
export type MessageStatus = 'sent' | 'suppressed' | 'undeliverable' | 'failing' | 'held' | 'pending';

export interface MessageProgress {
  sentAt?: Date | null;
  suppressedAt?: Date | null;
  sendAfter?: Date | null;
  attempts: number;
  lastError?: string | null;
  /** When the channel refused it for good. */
  refusedAt?: Date | null;
  /** When delivery found its hand-over to the channel interrupted (it may have gone out). */
  interruptedAt?: Date | null;
  /** Held back by a promise to pay while its run goes on: the run sends it again if the promise lapses unpaid. */
  heldByPromise?: boolean;
}

/**
 * Sent; suppressed by a guard or discarded by a person (never to be sent); undeliverable
 * (the channel refused it for good, or `maxAttempts` times, or its hand-over was interrupted and it
 * may have gone out: it waits for a person to retry or discard it); failing (refused, retried with back-off); held (quiet hours in the customer's time
 * zone, the end of a promise to pay, or an earlier reminder of its run; also one a promise to pay held back while its run goes on); or pending (waits for the next delivery round).
 */
export function messageStatus(m: MessageProgress, now: Date, maxAttempts: number): MessageStatus {
  if (m.sentAt) return 'sent';
  if (m.suppressedAt) return m.heldByPromise ? 'held' : 'suppressed';
  if (givenUp(m, maxAttempts)) return 'undeliverable';
  if (m.attempts > 0 && m.lastError) return 'failing';
  if (m.sendAfter && m.sendAfter > now) return 'held';
  return 'pending';
}

/**
 * Delivery gave up on the message (unsent, not held back): the channel refused it for good, or
 * `maxAttempts` times, or its hand-over was interrupted. It waits for a person. The queries
 * over many messages read it as `givenUpSql` (test/undeliverable-messages.test.ts holds them equal).
 */
export function givenUp(m: Pick<MessageProgress, 'attempts' | 'refusedAt' | 'interruptedAt'>, maxAttempts: number): boolean {
  return Boolean(m.refusedAt || m.interruptedAt || m.attempts >= maxAttempts);
}

/**
 * Why a run's message has not reached its customer, as a category only (the channel's error may name the address):
 * never written, held back (by a guard, a person or the run), refused for good by the channel, its hand-over
 * interrupted (it may have gone out), given up after `maxAttempts`, or still queued (quiet hours, a retry); null once sent.
 */
export type NotReached = 'not-written' | 'held-back' | 'refused' | 'interrupted' | 'given-up' | 'queued';

export function notReached(m: MessageProgress | null, maxAttempts: number): NotReached | null {
  if (!m) return 'not-written';
  if (m.sentAt) return null;
  if (m.suppressedAt) return 'held-back';
  if (m.refusedAt) return 'refused';
  if (m.interruptedAt) return 'interrupted';
  if (givenUp(m, maxAttempts)) return 'given-up';
  return 'queued';
}
