import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { routed, type MessageSender, type RenderedMessage } from '../message-sender.js';

/** Where the log says a call task or a letter went: the team, as the SMTP gateway sends them to the team's address. */
const TEAM = 'team';

/**
 * Development channel: every message as one JSON line in a file, to read instead of an inbox, addressed as the SMTP
 * gateway addresses it (`routed`): a call task or a letter to the team, with who it is about, not to the customer.
 */
export class LogSender implements MessageSender {
  constructor(private readonly file: string) {}

  async send(message: RenderedMessage): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const { to, subject, text } = routed(message, TEAM);
    const line = { at: new Date().toISOString(), idempotencyKey: message.idempotencyKey, channel: message.channel, to, subject, text, unsubscribeUrl: message.unsubscribeUrl, attachments: message.attachments };
    await appendFile(this.file, JSON.stringify(line) + '\n');
  }
}
