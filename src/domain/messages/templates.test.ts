import { fairReminderPolicy } from '../playbooks/fair-reminder.js';
import { renderMessage, templates } from './templates.js';

describe('message templates', () => {
  it('has a template for every step of every reminder schedule, and the thank-you', () => {
    for (const step of [...fairReminderPolicy.loyalSchedule, ...fairReminderPolicy.standardSchedule]) expect(templates[step.template]).toBeDefined();
    expect(templates['thank-you-payment']).toBeDefined();
  });

  it('never mentions fees, collections or threats to a loyal payer', () => {
    // (The call step is a task for the team, not a message to the customer.)
    for (const step of fairReminderPolicy.loyalSchedule.filter((s) => s.action === 'reminder')) {
      const { subject, text } = renderMessage(step.template, 'Ada', { invoiceId: 'abcdef12-0000', feeMinor: 500 });
      expect(`${subject} ${text}`).not.toMatch(/fee|collections|final|overdue/i);
    }
  });

  it('names the fee on a standard reminder that charges one', () => {
    expect(renderMessage('reminder-standard-2', 'Bob', { invoiceId: 'x', feeMinor: 500 }).text).toMatch(/fee of 5\.00/);
    expect(renderMessage('reminder-standard-1', 'Bob', { invoiceId: 'x', feeMinor: 0 }).text).not.toMatch(/fee/);
    expect(() => renderMessage('nope', 'Bob', {})).toThrow(/no message template/);
  });
});
