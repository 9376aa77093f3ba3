import { taskOf } from '../../domain/messages/catalogue.js';
import { MessageChannel } from '../../entities/index.js';
import { routed, type RenderedMessage } from './message-sender.js';

const to = { name: 'Mateo Yilmaz', email: 'mateo@example.com', phone: '+49 30 1234', reference: 'DEMO-0000042' };
const message = (channel: MessageChannel, template: string, payload: Record<string, unknown> = {}): RenderedMessage => ({
  idempotencyKey: `run/${template}`,
  channel,
  to,
  subject: 'Subject',
  text: 'Text',
  task: taskOf(template, payload),
});
const subjectOf = (m: RenderedMessage) => routed(m, 'team@example.com').subject;

describe('a message to the teams', () => {
  it('is labelled with the team whose task it is, or else what it is: every team shares one address', () => {
    // A fix case: its owner, not the channel it is written with.
    expect(subjectOf(message(MessageChannel.Call, 'fix-case-reopened', { topic: 'billing-error', owner: 'team-lead' }))).toBe('[team-lead] Subject');
    // Billing's tasks, whose payload names no owner.
    for (const template of ['account-offer-accepted', 'offboarding-final-invoice', 'issue-gesture-billing']) expect(subjectOf(message(MessageChannel.Call, template))).toBe('[billing] Subject');
    // A call to make is a call, whoever makes it; a task of no one team is a task.
    expect(subjectOf(message(MessageChannel.Call, 'call-personal', { invoiceId: 'x' }))).toBe('[call] Subject');
    expect(subjectOf(message(MessageChannel.Call, 'offboarding-notice-undelivered', { undelivered: 'refused' }))).toBe('[task] Subject');
    // A letter to post for the customer, and a message rendered before tasks were labelled, by their channel.
    expect(subjectOf(message(MessageChannel.Letter, 'collections-handover', { invoiceId: 'x' }))).toBe('[letter] Subject');
    expect(subjectOf({ ...message(MessageChannel.Call, 'fix-case-opened'), task: undefined })).toBe('[call] Subject');
    // The customer's e-mail goes to them, unlabelled.
    expect(routed(message(MessageChannel.Email, 'issue-acknowledged'), 'team@example.com')).toEqual({ to: { name: 'Mateo Yilmaz', address: 'mateo@example.com' }, subject: 'Subject', text: 'Text' });
  });
});
