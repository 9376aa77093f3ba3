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

  it('tells the person who is to call a customer with no phone on record what to do instead; a task that is no call lists the contact only', () => {
    const call = { ...message(MessageChannel.Call, 'call-personal', { invoiceId: 'x' }), to: { ...to, phone: null } };
    expect(routed(call, 'team@example.com').text).toBe(
      'Text\n\nCustomer: Mateo Yilmaz, no phone, mateo@example.com, reference DEMO-0000042\nNo phone number on record: look it up in the CRM under reference DEMO-0000042; if there is none there, write to them at mateo@example.com instead, personally and in the same words the call would have used, and ask for a number to call if they would rather talk.',
    );
    expect(routed({ ...call, to: { ...call.to, reference: null } }, 'team@example.com').text).toContain('\nNo phone number on record: write to them at mateo@example.com instead');
    // With a number, the number.
    expect(routed(message(MessageChannel.Call, 'welcome-follow-up'), 'team@example.com').text).toBe('Text\n\nCustomer: Mateo Yilmaz, +49 30 1234, mateo@example.com, reference DEMO-0000042');
    expect(routed({ ...message(MessageChannel.Call, 'fix-case-opened', { owner: 'quality' }), to: { ...to, phone: null } }, 'team@example.com').text).toBe('Text\n\nCustomer: Mateo Yilmaz, no phone, mateo@example.com, reference DEMO-0000042');
  });
});
