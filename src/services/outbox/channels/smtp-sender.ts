import nodemailer, { type Transporter } from 'nodemailer';
import { MessageRefusedError, routed, type MessageSender, type RenderedMessage } from '../message-sender.js';

/**
 * How long a hand-over waits for the SMTP server (milliseconds): to connect and for its greeting
 * 10 s, for each answer a minute. nodemailer's defaults (2 to 10 minutes) let one slow server hold
 * up every message behind it and the worker's shutdown; an answer cut shorter than a content-scanning
 * server needs to accept a message (after the end of DATA) makes it a failed attempt, and the
 * message is sent again. A query in `SMTP_URL` (`?socketTimeout=120000`) overrides them.
 */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 60_000 };

/**
 * E-mail through an SMTP server (nodemailer). Call tasks and letters go to the team's own
 * address (`teamAddress`) instead of the customer: a person acts on them.
 */
export class SmtpSender implements MessageSender {
  private readonly transport: Transporter;

  constructor(
    smtpUrl: string,
    private readonly from: string,
    private readonly teamAddress: string,
  ) {
    this.transport = nodemailer.createTransport({ url: smtpUrl, ...SMTP_TIMEOUTS });
  }

  async send(message: RenderedMessage): Promise<void> {
    const toCustomer = message.channel === 'email';
    // `to` an address object for the customer: nodemailer quotes the name, whatever characters it holds (a trailing backslash broke a hand-built header).
    const { to, subject, text } = routed(message, this.teamAddress);
    await this.transport.sendMail({
      from: this.from,
      to,
      subject,
      text,
      messageId: `<${message.idempotencyKey.replace(/[^A-Za-z0-9.-]/g, '.')}@retention.local>`,
      // Mail clients show their own "Unsubscribe" button for it and POST to the link (RFC 2369, RFC 8058 one-click).
      ...(toCustomer && message.unsubscribeUrl ? { list: { unsubscribe: message.unsubscribeUrl }, headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } } : {}),
      ...(message.attachments?.length ? { attachments: message.attachments } : {}),
    }).catch((error: unknown) => {
      throw refusal(error);
    });
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

/**
 * The server's refusal of the recipient or of the message (its answer to RCPT TO or DATA) as a
 * `MessageRefusedError`. Final only when it is about this one mailbox: a 5xx whose enhanced
 * status (RFC 3463) is a recipient's addressing or mailbox one (5.1.x: "user unknown", but not
 * 5.1.7 and 5.1.8, which are about our sender's address, nor a 5.1.0 whose text names the sender
 * or a policy; 5.2.1: disabled), or, without one, a 551 to RCPT TO, or a 550 or 553 to RCPT TO
 * whose text does not name a policy (both are also "rejected for policy reasons": relay not
 * permitted, sender verify failed, qmail's rcpthosts, an administrative prohibition). A refusal by policy
 * (5.7.x: relay denied, DMARC) concerns every message until the set-up is fixed, so it is
 * temporary, as is every 4xx. Anything else (no connection, no answer in time, a refused login
 * or sender) is thrown as it is, to be retried.
 */
function refusal(error: unknown): unknown {
  const { responseCode, command, response } = error as { responseCode?: number; command?: string; response?: string };
  if (!responseCode || (command !== 'RCPT TO' && command !== 'DATA')) return error;
  return new MessageRefusedError((error as Error).message, refusedForGood(responseCode, command, response ?? ''), { cause: error });
}

/** Words of a refusal without an enhanced status that make it one by policy or about the sender, not about the mailbox. */
const POLICY_WORDS = /\b(relay(ing)?|polic(y|ies)|sender|spam|block(ed)?|(black|deny)[- ]?list(ed)?|not permitted|authenticat\w*|prohibit\w*|access denied|rcpthosts)\b/i;

/** Whether the refusal's own words name a policy: the addresses it echoes (<spam@shop.example>) do not count. */
const namesPolicy = (response: string) => POLICY_WORDS.test(response.replace(/<[^>]*>/g, ''));

function refusedForGood(code: number, command: string, response: string): boolean {
  if (code < 500) return false;
  // The enhanced status follows the reply code ("550 5.1.1 ..."); one further on (an address in the text) is not it.
  const enhanced = /^\d{3}[ -]5\.(\d{1,3})\.(\d{1,3})\b/.exec(response);
  if (enhanced) {
    const [, subject, detail] = enhanced;
    // 5.1.0 is "other address status": Postfix gives it to a sender it rejects too, so its words decide.
    if (subject === '1' && detail === '0') return !namesPolicy(response);
    return (subject === '1' && detail !== '7' && detail !== '8') || (subject === '2' && detail === '1');
  }
  if (command !== 'RCPT TO') return false;
  return code === 551 || ((code === 550 || code === 553) && !namesPolicy(response));
}
