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
  /** A task for the company's people (taskOf): the team it is for, when one is named, and whether it is a call to make. */
  task?: { team: string | null; callsCustomer: boolean } | null;
}

/** A message as a gateway delivers it: its recipient (the customer, or the team's address), subject and text. */
export interface RoutedMessage {
  to: { name: string; address: string } | string;
  subject: string;
  text: string;
}

/**
 * Who a message goes to, and what they read: an e-mail goes to the customer; a task or a letter to the company's
 * team (`teamAddress`), a person acts on it, its subject labelled for whom it is and its text saying who it is about. One rule for
 * every gateway, so the development log shows what the SMTP server is sent.
 */
export function routed(message: RenderedMessage, teamAddress: string): RoutedMessage {
  if (message.channel === 'email') return { to: { name: message.to.name, address: message.to.email }, subject: message.subject, text: message.text };
  return { to: teamAddress, subject: `[${label(message)}] ${message.subject}`, text: `${message.text}\n\n${aboutTheCustomer(message)}` };
}

/**
 * The label of a message to the team's one address, for a person to sort it: the team whose task it is (a fix case's
 * owner, billing), else what it is (a call to make, a letter to post, another task); a message rendered without knowing
 * its task (before tasks were labelled) by its channel.
 */
function label(message: RenderedMessage): string {
  if (!message.task) return message.channel;
  return message.task.team ?? (message.task.callsCustomer ? 'call' : message.channel === 'letter' ? 'letter' : 'task');
}

/**
 * Who a copy to the team is about, for a person to act on it. The platform keeps no postal address: a letter is posted to
 * the one the billing system holds for the customer's reference.
 */
function aboutTheCustomer(message: RenderedMessage): string {
  const { name, phone, email, reference } = message.to;
  const who = `Customer: ${name}, ${phone ?? 'no phone'}, ${email}${reference ? `, reference ${reference}` : ''}`;
  // A call to make with no number to call: the person is told where to find one, and how to reach the customer without it.
  if (message.task?.callsCustomer && !phone) {
    const lookUp = reference ? `look it up in the CRM under reference ${reference}; if there is none there, ` : '';
    return `${who}\nNo phone number on record: ${lookUp}write to them at ${email} instead, personally and in the same words the call would have used, and ask for a number to call if they would rather talk.`;
  }
  if (message.channel !== 'letter') return who;
  return `${who}\nPost this letter to the customer's postal address in the billing system${reference ? ` (reference ${reference})` : ''}.`;
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
