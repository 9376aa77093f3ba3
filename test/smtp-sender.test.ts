import { MessageChannel } from '../src/entities/index.js';
import { SmtpSender } from '../src/services/outbox/channels/smtp-sender.js';
import { MessageRefusedError, type RenderedMessage } from '../src/services/outbox/message-sender.js';
import { startLocalSmtp } from './support/smtp.js';

/** The SMTP channel against a local SMTP server: the recipient's address is theirs whatever their name holds (quotes, commas, a trailing backslash). */
it('sends to the customer whatever characters their name holds', async () => {
  const smtp = await startLocalSmtp();
  try {
    for (const name of ['Ada Lovelace', 'Ada Lovelace\\', 'Lovelace, Ada\\', '"Ada" <eve@evil.example>']) {
      await smtp.sender.send({
        idempotencyKey: `test/${Math.random()}/step`,
        channel: MessageChannel.Email,
        to: { name, email: 'ada@example.com', phone: null },
        subject: 'Payment reminder',
        text: 'Hello',
      });
    }
    expect(smtp.received.map((m) => m.to)).toEqual([['ada@example.com'], ['ada@example.com'], ['ada@example.com'], ['ada@example.com']]);
  } finally {
    await smtp.stop();
  }
});

/** A slow gateway: the hand-over gives up when the server stays silent longer than the timeout, which `SMTP_URL` may set. */
it('gives up waiting for an answer after the timeout a query in the SMTP URL sets', async () => {
  const smtp = await startLocalSmtp({ answerAfterMs: 5_000, urlQuery: 'socketTimeout=300' });
  try {
    const started = Date.now();
    const sending = smtp.sender.send({ idempotencyKey: 'test/slow/step', channel: MessageChannel.Email, to: { name: 'Ada', email: 'ada@example.com', phone: null }, subject: 'Hello', text: 'Hello' });
    await expect(sending).rejects.toThrow(/timeout/i);
    expect(Date.now() - started).toBeLessThan(2_000);
  } finally {
    await smtp.stop();
  }
});

/** Delivery gives a message to a person at once only when the server refuses this mailbox for good; everything else is tried again. */
it('tells a refusal for good (5xx) from one for now (4xx) and from a server it cannot reach', async () => {
  const smtp = await startLocalSmtp();
  const to = (email: string): RenderedMessage => ({ idempotencyKey: `test/${email}/step`, channel: MessageChannel.Email, to: { name: 'Ada', email, phone: null }, subject: 'Hello', text: 'Hello' });
  const failure = (sending: Promise<void>) => sending.then(() => null, (error: unknown) => error);
  try {
    const forGood = await failure(smtp.sender.send(to('bounce@example.com')));
    expect(forGood).toBeInstanceOf(MessageRefusedError);
    expect(forGood).toMatchObject({ permanent: true, message: expect.stringMatching(/550 <bounce@example\.com>: mailbox unavailable/) });
    expect(await failure(smtp.sender.send(to('unknown@example.com')))).toMatchObject({ permanent: true, message: expect.stringMatching(/550 5\.1\.1 /) });
    // A policy word in the address the refusal echoes is not the refusal's reason.
    expect(await failure(smtp.sender.send(to('spam.sender@example.com')))).toMatchObject({ permanent: true, message: expect.stringMatching(/550 <spam\.sender@example\.com>: mailbox unavailable/) });
    expect(await failure(smtp.sender.send(to('busy@example.com')))).toMatchObject({ permanent: false, message: expect.stringMatching(/451 /) });
    // A refusal by policy (relay denied: a set-up fault, not this mailbox's) is tried again, as it concerns every message.
    expect(await failure(smtp.sender.send(to('relay@example.com')))).toMatchObject({ permanent: false, message: expect.stringMatching(/554 5\.7\.1 /) });
    // So is one without an enhanced status whose text names the policy, and one about our sender's address (5.1.8), not the recipient's.
    expect(await failure(smtp.sender.send(to('norelay@example.com')))).toMatchObject({ permanent: false, message: expect.stringMatching(/550 relay not permitted/) });
    expect(await failure(smtp.sender.send(to('sender@example.com')))).toMatchObject({ permanent: false, message: expect.stringMatching(/550 5\.1\.8 /) });
    expect(await failure(smtp.sender.send(to('postfixsender@example.com')))).toMatchObject({ permanent: false, message: expect.stringMatching(/550 5\.1\.0 .*Sender address rejected/) });
    expect(await failure(smtp.sender.send(to('qmail@example.com')))).toMatchObject({ permanent: false, message: expect.stringMatching(/553 sorry, that domain isn't in my list of allowed rcpthosts/) });
    // An address in the text that reads like an enhanced status (5.1.20.7) is no mailbox refusal.
    expect(await failure(smtp.sender.send(to('listed@example.com')))).toMatchObject({ permanent: false, message: expect.stringMatching(/554 Client host \[5\.1\.20\.7\]/) });
    const unreachable = new SmtpSender('smtp://127.0.0.1:1', 'Retention <care@example.com>', 'team@example.com');
    const noServer = await failure(unreachable.send(to('ada@example.com')));
    expect(noServer).not.toBeInstanceOf(MessageRefusedError);
    expect(noServer).toMatchObject({ code: 'ESOCKET' });
  } finally {
    await smtp.stop();
  }
});
