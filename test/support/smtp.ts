import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { SmtpSender } from '../../src/services/outbox/channels/smtp-sender.js';

/** A message the local SMTP server took: its recipients and raw text. */
export interface ReceivedMail {
  to: string[];
  raw: string;
}

/**
 * A local SMTP server (smtp-server) that refuses mailboxes starting with "bounce" and keeps
 * what it takes, with the project's real SMTP channel pointed at it.
 */
export async function startLocalSmtp(): Promise<{ sender: SmtpSender; received: ReceivedMail[]; stop(): Promise<void> }> {
  const received: ReceivedMail[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      callback(address.address.startsWith('bounce') ? new Error('mailbox unavailable') : undefined);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString() });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const { port } = smtp.server.address() as AddressInfo;
  const sender = new SmtpSender(`smtp://127.0.0.1:${port}`, 'Retention <care@example.com>', 'team@example.com');
  return {
    sender,
    received,
    async stop() {
      await sender.close();
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    },
  };
}
