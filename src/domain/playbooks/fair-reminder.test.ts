import { fairReminderPolicy, fairReminderWorkflowId, feeFor, outcomeAfterSchedule, reminderSchedule } from './fair-reminder.js';

describe('fair reminder policy', () => {
  it('gives loyal payers the friendly schedule that ends with a person calling, and others the standard one', () => {
    expect(reminderSchedule(fairReminderPolicy, 'loyal').map((s) => s.action)).toEqual(['reminder', 'reminder', 'call']);
    for (const band of ['regular', 'at-risk', 'new'] as const) {
      expect(reminderSchedule(fairReminderPolicy, band).map((s) => s.action)).toEqual(['reminder', 'reminder', 'reminder', 'handover']);
    }
    expect(outcomeAfterSchedule(reminderSchedule(fairReminderPolicy, 'loyal'))).toBe('call-scheduled');
    expect(outcomeAfterSchedule(reminderSchedule(fairReminderPolicy, 'regular'))).toBe('handed-over');
  });

  it('never charges a loyal payer, and records what the standard schedule would have charged as waived', () => {
    expect([1, 2, 3].map((n) => feeFor(fairReminderPolicy, 'loyal', n))).toEqual([
      expect.objectContaining({ chargedMinor: 0, waivedMinor: 0 }),
      expect.objectContaining({ chargedMinor: 0, waivedMinor: 500 }),
      expect.objectContaining({ chargedMinor: 0, waivedMinor: 1000 }),
    ]);
    expect([1, 2, 3].map((n) => feeFor(fairReminderPolicy, 'at-risk', n).chargedMinor)).toEqual([0, 500, 1000]);
  });

  it('names a run by customer and invoice: one run per overdue invoice', () => {
    expect(fairReminderWorkflowId('c-1', 'i-9')).toBe('fair-reminder/c-1/i-9');
  });
});
