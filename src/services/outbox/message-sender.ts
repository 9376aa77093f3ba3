import type { MessageChannel } from '../../entities/index.js';

/** A message ready for a gateway: who, how, what, and the key a gateway can deduplicate on. */
export interface RenderedMessage {
  /** The outbox idempotency key, also sent as the e-mail's Message-ID: a resend after a crash is recognisable. */
  idempotencyKey: string;
  channel: MessageChannel;
  /** `reference`: the customer's reference in the CRM and billing system, for a person to look them up (a letter's postal address). */
  to: { name: string; email: string; phone: string | null; reference?: string | null };
  subject: string;
  text: string;
  /** Marketing only: the reader's one-click unsubscribe link (also at the end of `text`). */
  unsubscribeUrl?: string;
  /** Files the message carries (a leaving customer's data export). */
  attachments?: { filename: string; contentType: string; content: string }[];
}

/**
 * A gateway's answer refusing a message: `permanent` when it will refuse it again whatever the
 * time (an unknown mailbox), so only a person can help; otherwise it may take it later.
 */
export class MessageRefusedError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'MessageRefusedError';
  }
}

/**
 * A way out to customers (an e-mail gateway, a call list, a print service); a failure is thrown and retried
 * later, except a permanent `MessageRefusedError`, which waits for a person at once.
 */
export interface MessageSender {
  send(message: RenderedMessage): Promise<void>;
  close?(): Promise<void>;
}
