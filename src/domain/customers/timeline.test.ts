import { CustomerEventKind, eventSummary, FixCaseMilestone, type CustomerEventFacts } from './timeline.js';

const facts = (kind: CustomerEventKind, over: Partial<CustomerEventFacts> = {}): CustomerEventFacts => ({ kind, ref: '1a2b3c4d-0000-4000-8000-000000000000', amountMinor: null, detail: null, extra: null, ...over });

/** Amounts in the deployment's currency: here the default, EUR. */
const summary = (f: CustomerEventFacts) => eventSummary(f, 'EUR');

describe('eventSummary', () => {
  it("writes amounts in the deployment's currency", () => {
    expect(eventSummary(facts(CustomerEventKind.OrderPlaced, { amountMinor: 123_456 }), 'USD')).toBe('Ordered for $1,234.56');
  });

  it('says what happened in a line, with amounts in major units', () => {
    expect(summary(facts(CustomerEventKind.OrderPlaced, { amountMinor: 123_456 }))).toBe('Ordered for €1,234.56');
    expect(summary(facts(CustomerEventKind.InvoiceIssued, { amountMinor: 8_900, detail: '2026-11-30' }))).toBe('Invoiced: invoice 1a2b3c4d (€89.00), due 2026-11-30');
    expect(summary(facts(CustomerEventKind.ComplaintOpened, { detail: 'delivery-delay', extra: 'high' }))).toBe('Complained about delivery delay (high)');
    expect(summary(facts(CustomerEventKind.ComplaintResolved, { detail: 'delivery-delay' }))).toBe('Complaint about delivery delay resolved');
    expect(summary(facts(CustomerEventKind.ComplaintReopened, { detail: 'delivery-delay' }))).toBe('Complaint about delivery delay reopened: the customer says it is not resolved');
    expect(summary(facts(CustomerEventKind.ComplaintWithdrawn, { detail: 'billing-error', extra: 'a duplicate of CRM-1' }))).toBe('Complaint about billing error withdrawn as filed by mistake: a duplicate of CRM-1');
    expect(summary(facts(CustomerEventKind.PlaybookStarted, { detail: 'fair-reminder' }))).toBe('Fair reminder started');
    expect(summary(facts(CustomerEventKind.PlaybookFinished, { detail: 'fair-reminder', extra: 'paid' }))).toBe('Fair reminder ended: paid');
    expect(summary(facts(CustomerEventKind.PlaybookFinished, { detail: 'welcome-check' }))).toBe('Welcome check ended');
  });

  it("tells an account review's decisions and answers, and a fix case's milestones, by who and what (no reasons: those stay in the audit log)", () => {
    expect(summary(facts(CustomerEventKind.OffboardingDecided, { detail: 'approved', who: 'admin:1a2b3c4d' }))).toBe('Offboarding approved by admin:1a2b3c4d (reason in the audit log)');
    expect(summary(facts(CustomerEventKind.OffboardingDecided, { detail: 'rejected', who: 'jane' }))).toBe('Offboarding rejected by jane: the customer stays (reason in the audit log)');
    expect(summary(facts(CustomerEventKind.OffboardingNoticeGiven, { detail: '2027-01-31' }))).toBe('Under offboarding notice: the contract ends on 2027-01-31');
    expect(summary(facts(CustomerEventKind.OffboardingNoticeGiven))).toBe('Under offboarding notice');
    expect(summary(facts(CustomerEventKind.ProposalAnswered, { detail: 'declined', proposal: { kind: 'tier-change', tier: 'basic', reason: 'support costs more than the account earns' } }))).toBe("Declined the account review's proposal: the basic tier");
    expect(summary(facts(CustomerEventKind.ProposalAnswered, { detail: 'accepted', proposal: { kind: 'offer', offerCode: 'SPRING', offerName: 'Spring deal', discountPercent: 10, tier: 'standard', reason: 'a richer tier loses less' } }))).toBe(
      "Accepted the account review's proposal: offer Spring deal (10% off) to the standard tier",
    );
    expect(summary(facts(CustomerEventKind.ProposalAnswered, { detail: 'accepted', proposal: null }))).toBe("Accepted the account review's proposal");
    const fixCase = (detail: FixCaseMilestone, over: Partial<CustomerEventFacts> = {}) => summary(facts(CustomerEventKind.FixCaseChanged, { detail, extra: 'delivery-delay', ...over }));
    expect(fixCase(FixCaseMilestone.FixReported, { who: 'logistics' })).toBe('Fix of delivery delay reported (the case was with logistics)');
    expect(fixCase(FixCaseMilestone.FixConfirmed)).toBe('The customer confirmed the fix of delivery delay holds');
    expect(fixCase(FixCaseMilestone.Escalated, { who: 'team-lead' })).toBe('Fix case for delivery delay escalated to team-lead: its fix deadline was missed');
    expect(fixCase(FixCaseMilestone.Escalated, { who: 'management', stays: true })).toBe('Fix case for delivery delay: another fix deadline missed, it stays with management');
    expect(fixCase(FixCaseMilestone.Reopened, { who: 'team-lead' })).toBe('Fix case for delivery delay reopened with team-lead: the issue came back after the fix');
    expect(fixCase(FixCaseMilestone.Reopened, { who: 'management', stays: true })).toBe('Fix case for delivery delay reopened, staying with management: the issue came back after the fix');
  });

  it('tells a payment on time from a late one', () => {
    const paid = (daysLate: number) => summary(facts(CustomerEventKind.InvoicePaid, { amountMinor: 8_900, detail: String(daysLate) }));
    expect(paid(-2)).toBe('Paid invoice 1a2b3c4d (€89.00) on time');
    expect(paid(0)).toBe('Paid invoice 1a2b3c4d (€89.00) on time');
    expect(paid(1)).toBe('Paid invoice 1a2b3c4d (€89.00) 1 day late');
    expect(paid(12)).toBe('Paid invoice 1a2b3c4d (€89.00) 12 days late');
  });

  it('tells a payment received, part payments too, with the invoice it was for', () => {
    const received = summary(facts(CustomerEventKind.PaymentReceived, { ref: '9f8e7d6c-0000-4000-8000-000000000000', amountMinor: 10_000, detail: '1a2b3c4d-0000-4000-8000-000000000000', extra: '12335' }));
    expect(received).toBe('Received €100.00 for invoice 1a2b3c4d (€123.35)');
  });

  it('names an invoice by its number in the billing system when it has one, as the customer knows it', () => {
    const numbered = { invoiceNumber: 'INV-1042' };
    expect(summary(facts(CustomerEventKind.InvoicePaid, { amountMinor: 8_900, detail: '3', ...numbered }))).toBe('Paid invoice INV-1042 (€89.00) 3 days late');
    expect(summary(facts(CustomerEventKind.InvoiceCancelled, { amountMinor: 8_900, ...numbered }))).toBe('Cancelled invoice INV-1042 (€89.00): nothing owed');
    // The reminder fees reversed with it: the invoice cancelled, or paid on time with its booking late.
    expect(summary(facts(CustomerEventKind.InvoiceCancelled, { amountMinor: 8_900, feesReversedMinor: 1_500, ...numbered }))).toBe('Cancelled invoice INV-1042 (€89.00): nothing owed; its €15.00 in reminder fees reversed');
    expect(summary(facts(CustomerEventKind.InvoicePaid, { amountMinor: 8_900, detail: '-2', feesReversedMinor: 500, ...numbered }))).toBe('Paid invoice INV-1042 (€89.00) on time; its €5.00 in reminder fees reversed');
    expect(summary(facts(CustomerEventKind.PaymentReceived, { amountMinor: 1_000, detail: '1a2b3c4d-0000-4000-8000-000000000000', extra: '8900', ...numbered }))).toBe('Received €10.00 for invoice INV-1042 (€89.00)');
    expect(summary(facts(CustomerEventKind.PaymentPromised, { detail: '2026-12-10', extra: '1a2b3c4d-0000-4000-8000-000000000000', ...numbered }))).toBe('Promised to pay invoice INV-1042 by 2026-12-10');
    expect(summary(facts(CustomerEventKind.PaymentPromiseLapsed, { detail: '2026-12-10', extra: '1a2b3c4d-0000-4000-8000-000000000000', ...numbered }))).toBe('Promise to pay invoice INV-1042 by 2026-12-10 not kept');
    expect(summary(facts(CustomerEventKind.PaymentPromiseSuperseded, { detail: '2026-12-10', extra: '1a2b3c4d-0000-4000-8000-000000000000', ...numbered }))).toBe(
      'Promise to pay invoice INV-1042 by 2026-12-10 set aside: the customer disputes the invoice (not a broken promise)',
    );
  });

  it("tells an invoice's dispute with the customer's reason while it is kept, and its resolution with the staff's note if any", () => {
    const numbered = { amountMinor: 7_500, invoiceNumber: 'INV-2044' };
    expect(summary(facts(CustomerEventKind.InvoiceDisputed, { ...numbered, extra: 'goods not received' }))).toBe('Disputed invoice INV-2044 (€75.00): goods not received; its reminders hold while the dispute is open');
    // Erased: the customer's words are gone, the dispute stays.
    expect(summary(facts(CustomerEventKind.InvoiceDisputed, { ...numbered, extra: null }))).toBe('Disputed invoice INV-2044 (€75.00); its reminders hold while the dispute is open');
    expect(summary(facts(CustomerEventKind.InvoiceDisputeResolved, { ...numbered, detail: 'rejected', extra: 'carrier confirms delivery' }))).toBe(
      'Dispute of invoice INV-2044 (€75.00) rejected: the invoice stands, its reminders go on (carrier confirms delivery)',
    );
    expect(summary(facts(CustomerEventKind.InvoiceDisputeResolved, { amountMinor: 7_500, detail: 'upheld' }))).toBe(
      'Dispute of invoice 1a2b3c4d (€75.00) upheld: the customer is right, its reminders stop and billing corrects or cancels it',
    );
  });

  it('names a message by its channel and the subject the customer read, or its template when that is gone', () => {
    expect(summary(facts(CustomerEventKind.MessageSent, { detail: 'reminder-friendly', extra: 'email', subject: 'A quick note about your invoice' }))).toBe('E-mail: A quick note about your invoice');
    expect(summary(facts(CustomerEventKind.MessageSent, { detail: 'old-template', extra: 'call', subject: null }))).toBe('Call task: old template');
  });

  it("names a team's task by what it is and whose, not all as calls: a call to make, a team's task, one of no one team", () => {
    const sent = (subject: string, task: CustomerEventFacts['task']) => summary(facts(CustomerEventKind.MessageSent, { detail: 'x', extra: 'call', subject, task }));
    expect(sent("Not offboarded: Chloé Dubois's complaint is still open", { team: 'account-management', callsCustomer: false })).toBe("Task for account-management: Not offboarded: Chloé Dubois's complaint is still open");
    expect(sent('Final invoice for Anna Novak', { team: 'billing', callsCustomer: false })).toBe('Task for billing: Final invoice for Anna Novak');
    expect(sent('Please call Bob about invoice INV-1', { team: null, callsCustomer: true })).toBe('Call task: Please call Bob about invoice INV-1');
    expect(sent('Please call Bob', { team: 'key-accounts', callsCustomer: true })).toBe('Call task for key-accounts: Please call Bob');
    // Written before such tasks named their team: a task, not a call.
    expect(sent('Not offboarded: Kofi Dubois never got the notice', { team: null, callsCustomer: false })).toBe('Task: Not offboarded: Kofi Dubois never got the notice');
    // A letter stays a letter; a message to the customer (no task) by its channel.
    expect(summary(facts(CustomerEventKind.MessageSent, { detail: 'x', extra: 'letter', subject: 'Hand-over', task: { team: null, callsCustomer: false } }))).toBe('Letter: Hand-over');
    expect(summary(facts(CustomerEventKind.MessageSent, { detail: 'x', extra: 'email', subject: 'Hello', task: null }))).toBe('E-mail: Hello');
  });

  it('tells a score\'s band moving, from what to what', () => {
    expect(summary(facts(CustomerEventKind.ScoreBandChanged, { detail: 'churn-risk', previous: 'low', extra: 'high' }))).toBe('Churn risk: low → high');
    expect(summary(facts(CustomerEventKind.CampaignEnrolled, { detail: 'Autumn thanks', extra: 'treated' }))).toBe('Enrolled in campaign "Autumn thanks"');
    expect(summary(facts(CustomerEventKind.CampaignEnrolled, { detail: 'Autumn thanks', extra: 'holdout' }))).toBe('Enrolled in campaign "Autumn thanks" (holdout: the campaign starts no playbook for them, to measure it)');
    expect(summary(facts(CustomerEventKind.ScoreBandChanged, { detail: 'rfm', previous: 'Loyal', extra: null }))).toBe('RFM segment: Loyal → none');
    expect(summary(facts(CustomerEventKind.ScoreBandChanged, { detail: 'payment-loyalty', previous: 'loyal', extra: 'regular' }))).toBe('Payment loyalty: loyal → regular');
  });

  it('tells a promise to pay and a change of consent', () => {
    expect(summary(facts(CustomerEventKind.PaymentPromised, { detail: '2026-12-10', extra: '1a2b3c4d-0000-4000-8000-000000000000' }))).toBe('Promised to pay invoice 1a2b3c4d by 2026-12-10');
    expect(summary(facts(CustomerEventKind.ConsentChanged, { detail: 'true' }))).toBe('Agreed to marketing');
    expect(summary(facts(CustomerEventKind.ConsentChanged, { detail: 'false' }))).toBe('Withdrew consent to marketing');
    expect(summary(facts(CustomerEventKind.ConsentChanged, { detail: 'false', extra: 'unsubscribe-link' }))).toBe('Withdrew consent to marketing (through the link in a message)');
    expect(summary(facts(CustomerEventKind.ConsentChanged, { detail: 'true', extra: 'import' }))).toBe("Agreed to marketing (as the company's records say)");
    expect(summary(facts(CustomerEventKind.ConsentChanged, { detail: 'false', extra: 'import' }))).toBe("Withdrew consent to marketing (as the company's records say)");
    // The erasure withdraws it: not the customer's own act.
    expect(summary(facts(CustomerEventKind.ConsentChanged, { detail: 'false', extra: 'erasure' }))).toBe('Consent to marketing withdrawn: the personal data was erased');
  });
});
