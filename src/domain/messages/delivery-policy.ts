import { contactPolicy, type ContactPolicy } from '../guards/contact-guard.js';

/** How the outbox is delivered: batches, retries, and the contact guard obeyed at the moment of sending. */
export interface DeliveryPolicy {
  /** Messages looked at per round (each is settled in a transaction of its own). */
  batchSize: number;
  /** After this many failed attempts a message waits for a person (it stays in the outbox with its last error). */
  maxAttempts: number;
  /** The wait before the next attempt: `firstMs` after the first failure, doubling after each one, at most `maxMs`. */
  retry: { firstMs: number; maxMs: number };
  contact: ContactPolicy;
}

export const defaultDeliveryPolicy: DeliveryPolicy = {
  batchSize: 50,
  maxAttempts: 8,
  retry: { firstMs: 60_000, maxMs: 6 * 3_600_000 },
  contact: contactPolicy,
};

/** The wait before the next attempt after `attempts` failed ones (a policy is plain data: the worker may be given it as JSON). */
export function retryAfterMs(policy: Pick<DeliveryPolicy, 'retry'>, attempts: number): number {
  return Math.min(policy.retry.firstMs * 2 ** Math.max(0, attempts - 1), policy.retry.maxMs);
}
