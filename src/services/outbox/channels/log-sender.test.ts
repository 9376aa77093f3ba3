import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MessageChannel } from '../../../entities/index.js';
import { LogSender } from './log-sender.js';

const customer = { name: 'Jonas Yilmaz', email: 'jonas@example.com', phone: '+49 30 1234', reference: 'CRM-7' };

describe('LogSender', () => {
  it('logs each message addressed as the SMTP gateway sends it: an e-mail to the customer, a call task to the team, saying who it is about', async () => {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'log-sender-')), 'messages.log');
    const sender = new LogSender(file);
    await sender.send({ idempotencyKey: 'fix-1/acknowledged', channel: MessageChannel.Email, to: customer, subject: 'We are on it', text: 'Hello Jonas' });
    await sender.send({ idempotencyKey: 'fix-1/fix-case-opened', channel: MessageChannel.Call, to: customer, subject: 'Fix case for Jonas Yilmaz', text: 'A persistent issue is now yours.', task: { team: 'quality', callsCustomer: false } });
    const [email, call] = (await readFile(file, 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    expect(email).toMatchObject({ idempotencyKey: 'fix-1/acknowledged', channel: 'email', to: { name: 'Jonas Yilmaz', address: 'jonas@example.com' }, subject: 'We are on it', text: 'Hello Jonas' });
    expect(call).toMatchObject({
      channel: 'call',
      to: 'team',
      subject: '[quality] Fix case for Jonas Yilmaz',
      text: 'A persistent issue is now yours.\n\nCustomer: Jonas Yilmaz, +49 30 1234, jonas@example.com, reference CRM-7',
    });
  });
});
