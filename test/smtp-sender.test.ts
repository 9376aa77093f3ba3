import { MessageChannel } from '../src/entities/index.js';
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
