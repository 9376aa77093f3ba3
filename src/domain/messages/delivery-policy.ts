import { contactPolicy, type ContactPolicy } from '../guards/contact-guard.js';

/** How the outbox is delivered: batches, retries, and the contact guard obeyed at the moment of sending. */
export interface DeliveryPolicy {
  /** Messages looked at per round (each is settled in a transaction of its own). */
  batchSize: number;
  /** After this many failed attempts a message waits for a person (it stays in the outbox with its last error). */
  maxAttempts: number;
  /** Wait before the next attempt after `attempts` failures. */
  retryAfterMs: (attempts: number) => number;
  contact: ContactPolicy;
}

export const defaultDeliveryPolicy: DeliveryPolicy = {
  batchSize: 50,
  maxAttempts: 8,
  retryAfterMs: (attempts) => Math.min(60_000 * 2 ** (attempts - 1), 6 * 3_600_000),
  contact: contactPolicy,
};
