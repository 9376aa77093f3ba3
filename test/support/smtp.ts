import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { SmtpSender } from '../../src/services/outbox/channels/smtp-sender.js';

/** A message the local SMTP server took: its recipients and raw text. */
export interface ReceivedMail {
  to: string[];
  raw: string;
}

/** How a local SMTP server behaves beyond the usual. */
export interface LocalSmtpOptions {
  /** It answers each message (the end of DATA) only after this long, as a slow gateway does. */
  answerAfterMs?: number;
  /** A query for the sender's SMTP URL, e.g. its timeouts (`socketTimeout=200`). */
  urlQuery?: string;
}

/**
 * A local SMTP server (smtp-server) that refuses mailboxes starting with "bounce" or "spam" for good (550),
 * "unknown" with the enhanced status of an unknown user (550 5.1.1), "relay" by policy (554 5.7.1,
 * as a server refusing to relay does), "norelay" by policy without an enhanced status (550, as
 * Exim says it), "sender" for our sender's address (550 5.1.8, and "postfixsender" as Postfix says
 * it, 550 5.1.0), "qmail" for a relay qmail refuses (553 without an enhanced status), "listed" for the sending host (554,
 * with an address in the text) and "busy" for now (451), and keeps what it takes, with the project's real
 * SMTP channel pointed at it.
 */
export async function startLocalSmtp(options: LocalSmtpOptions = {}): Promise<{ sender: SmtpSender; url: string; received: ReceivedMail[]; stop(): Promise<void> }> {
  const received: ReceivedMail[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      // As mail servers do, the refusal names the address.
      if (address.address.startsWith('bounce') || address.address.startsWith('spam')) return callback(Object.assign(new Error(`<${address.address}>: mailbox unavailable`), { responseCode: 550 }));
      if (address.address.startsWith('unknown')) return callback(Object.assign(new Error(`5.1.1 <${address.address}>: Recipient address rejected: User unknown`), { responseCode: 550 }));
      if (address.address.startsWith('listed')) return callback(Object.assign(new Error(`Client host [5.1.20.7] blocked using a block list`), { responseCode: 554 }));
      if (address.address.startsWith('relay')) return callback(Object.assign(new Error(`5.7.1 <${address.address}>: Relay access denied`), { responseCode: 554 }));
      if (address.address.startsWith('sender')) return callback(Object.assign(new Error(`5.1.8 <care@example.com>: Sender address rejected: Domain not found`), { responseCode: 550 }));
      if (address.address.startsWith('postfixsender')) return callback(Object.assign(new Error(`5.1.0 <care@example.com>: Sender address rejected: User unknown in local recipient table`), { responseCode: 550 }));
      if (address.address.startsWith('qmail')) return callback(Object.assign(new Error(`sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)`), { responseCode: 553 }));
      if (address.address.startsWith('norelay')) return callback(Object.assign(new Error(`relay not permitted`), { responseCode: 550 }));
      if (address.address.startsWith('busy')) return callback(Object.assign(new Error(`<${address.address}>: mailbox busy, try again later`), { responseCode: 451 }));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString() });
        setTimeout(callback, options.answerAfterMs ?? 0).unref();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const { port } = smtp.server.address() as AddressInfo;
  const url = `smtp://127.0.0.1:${port}${options.urlQuery ? `?${options.urlQuery}` : ''}`;
  const sender = new SmtpSender(url, 'Retention <care@example.com>', 'team@example.com');
  return {
    sender,
    /** For a channel of another process. */
    url,
    received,
    async stop() {
      await sender.close();
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    },
  };
}
