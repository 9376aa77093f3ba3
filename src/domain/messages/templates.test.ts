import { fairReminderPolicy, FOLLOW_ON_REMINDER, reminderTemplateFor } from '../playbooks/fair-reminder.js';
import { audienceOf, templateCatalogue, untilPaidTemplates } from './catalogue.js';
import { germanTemplates } from './templates.de.js';
import { messageLanguage, renderMessage, templates } from './templates.js';

describe('message templates', () => {
  it('has a template for every step of every reminder schedule, and the thank-you', () => {
    for (const step of [...fairReminderPolicy.loyalSchedule, ...fairReminderPolicy.standardSchedule]) expect(templates[step.template]).toBeDefined();
    expect(templates['thank-you-payment']).toBeDefined();
  });

  it('never mentions fees, collections or threats to a loyal payer', () => {
    // (The call step is a task for the team, not a message to the customer.)
    // (And the first reminder of a later course, in the first one's place.)
    for (const template of [...fairReminderPolicy.loyalSchedule.filter((s) => s.action === 'reminder').map((s) => s.template), FOLLOW_ON_REMINDER]) {
      const { subject, text } = renderMessage(template, 'Ada', { invoiceId: 'abcdef12-0000', feeMinor: 500 }, 'en', 'EUR');
      expect(`${subject} ${text}`).not.toMatch(/fee|collections|final|overdue/i);
    }
  });

  it("opens a loyal payer's later course of reminders acknowledging the earlier contact, not saying the invoice slipped through", () => {
    expect(reminderTemplateFor('reminder-friendly', true)).toBe(FOLLOW_ON_REMINDER);
    expect(reminderTemplateFor('reminder-friendly', false)).toBe('reminder-friendly');
    expect(reminderTemplateFor('reminder-gentle', true)).toBe('reminder-gentle');
    expect(reminderTemplateFor('reminder-standard-1', true)).toBe('reminder-standard-1');
    for (const locale of ['en', 'de']) expect(renderMessage(FOLLOW_ON_REMINDER, 'Ada', { invoiceId: 'abcdef12-0000' }, locale, 'EUR').text).not.toMatch(/slipped through|untergegangen/);
  });

  it('names a complaint topic in German words where the default topics have them, and a company key by its words', () => {
    expect(renderMessage('issue-acknowledged', 'Greta', { topic: 'delivery-delay' }, 'de', 'EUR').text).toContain('von „Lieferverzögerung“ berichtet');
    expect(renderMessage('issue-check-back', 'Greta', { topic: 'lieferschein-fehlt' }, 'de', 'EUR').text).toContain('wir haben „lieferschein fehlt“ vor einiger Zeit behoben');
    expect(renderMessage('issue-acknowledged', 'Greta', { topic: 'delivery-delay' }, 'en', 'EUR').text).toContain('about "delivery delay" more than once');
  });

  it('thanks a customer who confirmed a fix for saying the fix holds, never that their problem "works" (a topic is the problem)', () => {
    expect(renderMessage('issue-fix-confirmed', 'Greta', { topic: 'billing-error' }, 'de', 'EUR').text).toContain('dass die Lösung für „Fehler in der Rechnung“ hält');
    expect(renderMessage('issue-fix-confirmed', 'Greta', { topic: 'delivery-delay' }, 'en', 'EUR').text).toContain('that the fix of "delivery delay" holds for you');
    for (const locale of ['en', 'de']) expect(renderMessage('issue-fix-confirmed', 'Greta', { topic: 'delivery-delay' }, locale, 'EUR').text).not.toMatch(/works|funktioniert/);
  });

  it("names a proposed tier in the message's language", () => {
    const proposal = { proposal: { kind: 'tier-change', tier: 'basic', reason: 'fits' } };
    expect(renderMessage('account-proposal', 'Greta', proposal, 'de', 'EUR').text).toContain('dass dies besser zu Ihnen passt: unser Tarif „Basis“.');
    expect(renderMessage('account-proposal-confirmed', 'Greta', proposal, 'de', 'EUR').text).toContain('wie vereinbart: unser Tarif „Basis“.');
    expect(renderMessage('account-proposal', 'Greta', proposal, 'en', 'EUR').text).toContain('this fits you better: our basic service.');
  });

  it('names a thank-you offer by its name, discount and code, and the day it ends, in the message\'s language (QA 63 F3)', () => {
    const offer = { offerCode: 'WELCOME30', offerName: '30% off your first three months', discountPercent: 30, offerValidUntil: '2027-01-31' };
    expect(renderMessage('appreciation', 'Ada', offer, 'en', 'EUR').text).toContain('As a thank-you, 30% off your first three months (30% off), offer WELCOME30 is yours until 31 January 2027, at least as good');
    expect(renderMessage('appreciation', 'Ada', offer, 'de', 'EUR').text).toContain('Als Dankeschön gehört Ihnen „30% off your first three months“ (30 % Rabatt), Angebot WELCOME30 bis zum 31. Januar 2027, mindestens');
    // One written before names were recorded: the code and discount, as then.
    expect(renderMessage('appreciation', 'Ada', { offerCode: 'WELCOME30', discountPercent: 30 }, 'en', 'EUR').text).toContain('As a thank-you, offer WELCOME30 (30% off) is yours, at least');
  });

  it("states the terms of a new customers' offer matched for a loyal customer, in loyalty words, in the message's language", () => {
    const matched = { offerCode: 'WELCOME30', offerName: null, discountPercent: 30, offerValidUntil: '2027-02-03', matchedNewCustomerOffer: true, newCustomerTerms: { name: '30% off your first three months', names: { de: '30 % Rabatt auf die ersten drei Monate' } } };
    expect(renderMessage('appreciation', 'Ada', matched, 'en', 'EUR').text).toContain(
      'As a thank-you, offer WELCOME30 (30% off) is yours until 3 February 2027: the best offer new customers get, on the same terms for you as for them ("30% off your first three months"), any period it names counted from when you first use it.',
    );
    expect(renderMessage('appreciation', 'Greta', matched, 'de', 'EUR').text).toContain(
      'Als Dankeschön gehört Ihnen das Angebot WELCOME30 (30 % Rabatt) bis zum 3. Februar 2027: das beste Angebot, das Neukunden bekommen, für Sie zu denselben Bedingungen („30 % Rabatt auf die ersten drei Monate“), wobei jeder darin genannte Zeitraum ab Ihrer ersten Einlösung zählt.',
    );
    // Its description, where it has one, after its name.
    const described = { ...matched, newCustomerTerms: { name: 'Welcome', description: '30% off the monthly fee for the first three months' } };
    expect(renderMessage('appreciation', 'Ada', described, 'en', 'EUR').text).toContain('("Welcome: 30% off the monthly fee for the first three months")');
    // A thank-you written before it carried the terms reads as then.
    expect(renderMessage('appreciation', 'Ada', { ...matched, newCustomerTerms: undefined }, 'en', 'EUR').text).toContain('offer WELCOME30 (30% off) is yours until 3 February 2027, at least as good');
  });

  it("names an offer by its name in the message's language, written out when the message is: a German reader its German name, an English one and the team the offer's own", () => {
    const proposal = { proposal: { kind: 'offer', offerCode: 'LOYAL15', offerName: 'Loyalty', offerNames: { de: 'Treuerabatt' }, discountPercent: 15 } };
    expect(renderMessage('account-proposal', 'Greta', proposal, 'de-AT', 'EUR').text).toContain('passt: „Treuerabatt“ (15 % Rabatt), Angebot LOYAL15.');
    // Her locale changed to English before it went: the English text, with the offer's own name.
    expect(renderMessage('account-proposal', 'Greta', proposal, 'en', 'EUR').text).toContain('fits you better: Loyalty (15% off), offer LOYAL15.');
    expect(renderMessage('account-offer-accepted', 'Greta', proposal, 'de', 'EUR').text).toContain('Greta accepted Loyalty (15% off), offer LOYAL15 in their account review');
    expect(renderMessage('appreciation', 'Greta', { offerCode: 'LOYAL15', offerName: 'Loyalty', offerNames: { de: 'Treuerabatt', en: 'Loyalty discount' }, discountPercent: 15 }, 'en-GB', 'EUR').text).toContain(
      'As a thank-you, Loyalty discount (15% off), offer LOYAL15 is yours',
    );
  });

  it('says that an offer moves the customer to another service, where it does, to them in their language and to the billing team', () => {
    const proposal = { proposal: { kind: 'offer', offerCode: 'STD15', offerName: 'Standard for less', discountPercent: 15, tier: 'standard' } };
    expect(renderMessage('account-proposal', 'Ola', proposal, 'en', 'EUR').text).toContain('fits you better: Standard for less (15% off), offer STD15, with a move to our standard service.');
    expect(renderMessage('account-proposal-confirmed', 'Ola', proposal, 'de', 'EUR').text).toContain('wie vereinbart: „Standard for less“ (15 % Rabatt), Angebot STD15, mit einem Wechsel in unseren Tarif „Standard“.');
    expect(renderMessage('account-offer-accepted', 'Ola', proposal, 'en', 'EUR').text).toBe(
      'Ola accepted Standard for less (15% off), offer STD15 in their account review: please apply it to their account from the next invoice, on the standard service they moved to.',
    );
    // An offer that is only a move to another tier (no discount, as proposed; 0 or null as older payloads may carry it) has no price
    // to apply: billing moves the account to the tier. The customer reads the move without a discount.
    for (const discountPercent of [undefined, 0, null]) {
      const tierOnly = { proposal: { kind: 'offer', offerCode: 'GO-STD', offerName: 'Standard service', discountPercent, tier: 'standard' } };
      expect(renderMessage('account-offer-accepted', 'Ola', tierOnly, 'en', 'EUR').text).toBe(
        'Ola accepted Standard service, offer GO-STD in their account review: please move their account to the standard service from the next invoice (the offer has no discount).',
      );
      expect(renderMessage('account-proposal', 'Ola', tierOnly, 'en', 'EUR').text).toContain('fits you better: Standard service, offer GO-STD, with a move to our standard service.');
      expect(renderMessage('account-proposal-confirmed', 'Ola', tierOnly, 'de', 'EUR').text).toContain('wie vereinbart: „Standard service“, Angebot GO-STD, mit einem Wechsel in unseren Tarif „Standard“.');
    }
    // An offer proposed before offers moved the tier reads as it did.
    expect(renderMessage('account-proposal', 'Ola', { proposal: { ...proposal.proposal, tier: undefined } }, 'en', 'EUR').text).toContain('fits you better: Standard for less (15% off), offer STD15. Reply');
  });

  it("names the invoice by the company's number, with what is open and its due day, in the message's language", () => {
    const named = { invoiceId: 'abcdef12-0000', invoiceNumber: 'INV-2027-0042', openMinor: 7_500, dueAt: '2027-01-31', currency: 'EUR' };
    expect(renderMessage('reminder-standard-1', 'Bob', named, 'en', 'EUR').text).toContain('invoice INV-2027-0042 (€75.00, due 31 January 2027) is overdue');
    expect(renderMessage('reminder-friendly', 'Ada', named, 'de', 'EUR').text).toContain('Die Rechnung INV-2027-0042 (75,00\u00a0€, fällig am 31. Januar 2027) ist wohl untergegangen');
    expect(renderMessage('call-personal', 'Ada', named, 'en', 'EUR')).toMatchObject({ subject: 'Call Ada about invoice INV-2027-0042', text: expect.stringContaining("A loyal customer's invoice INV-2027-0042 (€75.00, due 31 January 2027) is still open") });
    // Without a number (none imported) the start of its ID; a message written before reminders carried the amount has none.
    expect(renderMessage('reminder-standard-1', 'Bob', { ...named, invoiceNumber: null }, 'en', 'EUR').text).toContain('invoice abcdef12 (€75.00, due 31 January 2027) is overdue');
    expect(renderMessage('reminder-standard-1', 'Bob', { invoiceId: 'abcdef12-0000' }, 'en', 'EUR').text).toContain('invoice abcdef12 is overdue');
  });

  it('says what the fees on the invoice come to in all, and hands over the fees with the invoice, in every language', () => {
    const invoice = { invoiceId: 'abcdef12-0000', invoiceNumber: 'QA-X1-A', amountMinor: 30_000, openMinor: 30_000, dueAt: '2026-11-20', currency: 'EUR' };
    // Reminder 2 charged €5.00: reminder 3's €10.00 comes to €15.00 in all.
    expect(renderMessage('reminder-standard-3', 'Xaver', { ...invoice, feeMinor: 1_000, feesOnInvoiceMinor: 500 }, 'en', 'EUR').text).toBe(
      'Hello Xaver,\n\ninvoice QA-X1-A (€300.00, due 20 November 2026) is still unpaid. Without payment we will pass it to collections. A reminder fee of €10.00 applies (€15.00 in reminder fees on this invoice in all).\n\nKind regards',
    );
    expect(renderMessage('reminder-standard-3', 'Xaver', { ...invoice, feeMinor: 1_000, feesOnInvoiceMinor: 500 }, 'de', 'EUR').text).toContain(
      'Es fällt eine Mahngebühr von 10,00\u00a0€ an (insgesamt 15,00\u00a0€ Mahngebühren für diese Rechnung).',
    );
    // Nothing charged before (or a reminder written before it carried the figure): its own fee alone, as before.
    expect(renderMessage('reminder-standard-2', 'Xaver', { ...invoice, feeMinor: 500, feesOnInvoiceMinor: 0 }, 'en', 'EUR').text).toContain('A reminder fee of €5.00 applies.\n');
    expect(renderMessage('reminder-standard-2', 'Xaver', { ...invoice, feeMinor: 500 }, 'en', 'EUR').text).toContain('A reminder fee of €5.00 applies.\n');
    // A reminder without a fee says nothing of fees, whatever the invoice carries.
    expect(renderMessage('reminder-standard-1', 'Xaver', { ...invoice, feeMinor: 0, feesOnInvoiceMinor: 500 }, 'en', 'EUR').text).not.toMatch(/fee/);
    expect(renderMessage('collections-handover', 'Xaver', { ...invoice, feesOnInvoiceMinor: 1_500 }, 'en', 'EUR').text).toBe(
      'Hello Xaver,\n\ninvoice QA-X1-A (€300.00, due 20 November 2026) has been passed to our collections partner, with €15.00 in reminder fees.\n\nKind regards',
    );
    expect(renderMessage('collections-handover', 'Xaver', { ...invoice, feesOnInvoiceMinor: 1_500 }, 'de', 'EUR').text).toContain('wurde an unseren Inkassopartner übergeben, zusammen mit 15,00\u00a0€ Mahngebühren.');
    expect(renderMessage('collections-handover', 'Xaver', { ...invoice, feesOnInvoiceMinor: 0 }, 'en', 'EUR').text).toContain('has been passed to our collections partner.\n');
  });

  it('names a part received on the invoice beside what is still open, in every language: the amount alone would read as another invoice', () => {
    const partPaid = { invoiceId: 'abcdef12-0000', invoiceNumber: 'INV-2027-0042', amountMinor: 20_000, openMinor: 15_000, dueAt: '2026-11-20', currency: 'EUR', feeMinor: 500 };
    expect(renderMessage('reminder-standard-2', 'Rita', partPaid, 'en', 'EUR').text).toBe(
      'Hello Rita,\n\ninvoice INV-2027-0042 (€200.00, of which €50.00 has been received and €150.00 is still open, due 20 November 2026) is still unpaid. A reminder fee of €5.00 applies.\n\nKind regards',
    );
    expect(renderMessage('reminder-standard-2', 'Rita', partPaid, 'de', 'EUR').text).toBe(
      'Guten Tag Rita,\n\ndie Rechnung INV-2027-0042 (200,00\u00a0€, davon 50,00\u00a0€ bereits erhalten und 150,00\u00a0€ noch offen, fällig am 20. November 2026) ist noch nicht bezahlt. Es fällt eine Mahngebühr von 5,00\u00a0€ an.\n\nFreundliche Grüße',
    );
    // Every language has the same templates that name an invoice, and each names the part received.
    for (const template of Object.keys(germanTemplates).filter((t) => t.startsWith('reminder-') || t === 'collections-handover')) {
      expect(renderMessage(template, 'Rita', partPaid, 'en', 'EUR').text).toContain('of which €50.00 has been received and €150.00 is still open, due 20 November 2026');
      expect(renderMessage(template, 'Rita', partPaid, 'de', 'EUR').text).toContain('davon 50,00\u00a0€ bereits erhalten und 150,00\u00a0€ noch offen, fällig am 20. November 2026');
    }
    // Nothing received yet (or a message written before it carried the amount): what is open alone, as before.
    expect(renderMessage('reminder-gentle', 'Rita', { ...partPaid, openMinor: 20_000 }, 'en', 'EUR').text).toContain('invoice INV-2027-0042 (€200.00, due 20 November 2026) is still open.');
    expect(renderMessage('reminder-gentle', 'Rita', { ...partPaid, amountMinor: undefined }, 'de', 'EUR').text).toContain('die Rechnung INV-2027-0042 (150,00\u00a0€, fällig am 20. November 2026) ist noch offen.');
  });

  it("tells the person who calls what the run sent and what is charged: a payer raised to loyal after standard reminders with a fee is not promised 'no fees'", () => {
    const invoice = { invoiceId: 'abcdef12-0000', invoiceNumber: 'QA-R1-A', amountMinor: 20_000, openMinor: 15_000, dueAt: '2026-11-20', currency: 'EUR' };
    const raised = { ...invoice, remindersSoFar: { remindersSent: 2, standardReminders: [1, 2], feesChargedMinor: 500, loyaltyBandRaisedFrom: 'regular' } };
    expect(renderMessage('call-personal', 'Rita', raised, 'en', 'EUR')).toEqual({
      subject: 'Call Rita about invoice QA-R1-A',
      text: "A loyal customer's invoice QA-R1-A (€200.00, of which €50.00 has been received and €150.00 is still open, due 20 November 2026) is still open after two reminders: standard reminders 1 and 2, sent while they were in the regular band (their payment record has turned loyal since). €5.00 in reminder fees is charged on the invoice: consider waiving it for a loyal payer. Please call personally and ask how we can help; no pressure.",
    });
    expect(renderMessage('call-follow-up', 'Rita', raised, 'en', 'EUR').text).toBe(
      "A loyal customer's invoice QA-R1-A (€200.00, of which €50.00 has been received and €150.00 is still open, due 20 November 2026) is still open after the personal call and the time given to pay. Before the call they got two reminders: standard reminders 1 and 2, sent while they were in the regular band (their payment record has turned loyal since). Please decide with them how to go on (another call, a payment plan, or the standard process); €5.00 in reminder fees is charged on the invoice (consider waiving it for a loyal payer) and no collections letter has gone out.",
    );
    // Raised after a first standard reminder that charged nothing: the gentle one followed, and nothing is charged.
    const raisedEarly = { ...invoice, openMinor: 20_000, remindersSoFar: { remindersSent: 2, standardReminders: [1], feesChargedMinor: 0, loyaltyBandRaisedFrom: 'regular' } };
    expect(renderMessage('call-personal', 'Rita', raisedEarly, 'en', 'EUR').text).toBe(
      "A loyal customer's invoice QA-R1-A (€200.00, due 20 November 2026) is still open after two reminders: standard reminder 1, sent while they were in the regular band (their payment record has turned loyal since), then one friendly reminder. Please call personally and ask how we can help; no fees, no pressure.",
    );
    expect(renderMessage('call-follow-up', 'Rita', raisedEarly, 'en', 'EUR').text).toContain('Before the call they got two reminders: standard reminder 1, sent while they were in the regular band (their payment record has turned loyal since), then one friendly reminder. Please decide with them how to go on (another call, a payment plan, or the standard process); nothing has been charged and no collections letter has gone out.');
    // A loyal payer from the start: two friendly reminders, nothing charged, as always.
    const loyal = { ...invoice, openMinor: 20_000, remindersSoFar: { remindersSent: 2, standardReminders: [], feesChargedMinor: 0, loyaltyBandRaisedFrom: null } };
    expect(renderMessage('call-personal', 'Ada', loyal, 'en', 'EUR').text).toBe("A loyal customer's invoice QA-R1-A (€200.00, due 20 November 2026) is still open after two friendly reminders. Please call personally and ask how we can help; no fees, no pressure.");
    expect(renderMessage('call-follow-up', 'Ada', loyal, 'en', 'EUR').text).toBe(
      "A loyal customer's invoice QA-R1-A (€200.00, due 20 November 2026) is still open after the personal call and the time given to pay. Before the call they got two friendly reminders. Please decide with them how to go on (another call, a payment plan, or the standard process); nothing has been charged and no collections letter has gone out.",
    );
    // Fees the billing system charged before this run are on the invoice too: the caller learns of them.
    expect(renderMessage('call-personal', 'Ada', { ...loyal, remindersSoFar: { ...loyal.remindersSoFar, feesChargedMinor: 1_000 } }, 'en', 'EUR').text).toContain(
      'after two friendly reminders. €10.00 in reminder fees is charged on the invoice: consider waiving it for a loyal payer. Please call personally and ask how we can help; no pressure.',
    );
    // A fee the billing system's own reminder charged before the run: the caller learns of that reminder too.
    expect(renderMessage('call-personal', 'Ada', { ...loyal, remindersSoFar: { ...loyal.remindersSoFar, feesChargedMinor: 250, earlierReminders: 1 } }, 'en', 'EUR').text).toContain(
      "after two friendly reminders (and one reminder before this run: the billing system's or an earlier run's). €2.50 in reminder fees is charged on the invoice: consider waiving it for a loyal payer.",
    );
    // A next course: a colleague called in the earlier run, and the promise made on that call lapsed; the caller picks up from it.
    const nextCourse = { ...loyal, remindersSoFar: { ...loyal.remindersSoFar, earlierReminders: 2, earlierCalls: 1, lastEarlierCallAt: '2026-11-28T09:15:00.000Z', lapsedPromises: ['2026-12-06'] } };
    expect(renderMessage('call-personal', 'Ada', nextCourse, 'en', 'EUR').text).toBe(
      "A loyal customer's invoice QA-R1-A (€200.00, due 20 November 2026) is still open after two friendly reminders (and two reminders before this run: the billing system's or an earlier run's). A colleague called them about it in an earlier run (the call task went out on 28 November 2026). They promised to pay by 6 December 2026 and did not. Please call personally, pick up from that conversation and ask how we can help; no fees, no pressure.",
    );
    expect(renderMessage('call-follow-up', 'Ada', nextCourse, 'en', 'EUR').text).toContain(
      "Before the call they got two friendly reminders (and two reminders before this run: the billing system's or an earlier run's). A colleague called them about it in an earlier run (the call task went out on 28 November 2026). They promised to pay by 6 December 2026 and did not. Please decide with them how to go on",
    );
    // Two earlier calls and two broken promises: how many, the last call, each day promised; with a fee to consider waiving.
    const twice = { ...loyal, remindersSoFar: { ...loyal.remindersSoFar, feesChargedMinor: 500, earlierCalls: 2, lastEarlierCallAt: '2026-12-10T16:00:00.000Z', lapsedPromises: ['2026-12-06', '2026-12-20'] } };
    expect(renderMessage('call-personal', 'Ada', twice, 'en', 'EUR').text).toContain(
      'after two friendly reminders. Colleagues called them about it in earlier runs: two call tasks, the last on 10 December 2026. They promised to pay by 6 December 2026, then by 20 December 2026, and kept none of these promises. €5.00 in reminder fees is charged on the invoice: consider waiving it for a loyal payer. Please call personally, pick up from that conversation and ask how we can help; no pressure.',
    );
    // A promise lapsed with no earlier call (made in the Temporal UI, say): the promise alone.
    expect(renderMessage('call-personal', 'Ada', { ...loyal, remindersSoFar: { ...loyal.remindersSoFar, earlierCalls: 0, lastEarlierCallAt: null, lapsedPromises: ['2026-12-06'] } }, 'en', 'EUR').text).toContain(
      'after two friendly reminders. They promised to pay by 6 December 2026 and did not. Please call personally, pick up from that conversation',
    );
    // A first course (nothing before it) reads as before.
    expect(renderMessage('call-personal', 'Ada', { ...loyal, remindersSoFar: { ...loyal.remindersSoFar, earlierCalls: 0, lastEarlierCallAt: null, lapsedPromises: [] } }, 'en', 'EUR').text).toBe(
      "A loyal customer's invoice QA-R1-A (€200.00, due 20 November 2026) is still open after two friendly reminders. Please call personally and ask how we can help; no fees, no pressure.",
    );
    // A task written before tasks carried these facts reads as it did.
    expect(renderMessage('call-personal', 'Ada', { ...invoice, openMinor: 20_000 }, 'en', 'EUR').text).toBe("A loyal customer's invoice QA-R1-A (€200.00, due 20 November 2026) is still open after two friendly reminders. Please call personally and ask how we can help; no fees, no pressure.");
    expect(renderMessage('call-follow-up', 'Ada', { ...invoice, openMinor: 20_000 }, 'en', 'EUR').text).toContain('; nothing has been charged and no collections letter has gone out.');
  });

  it('thanks a loyal payer for the invoice they paid, naming it and its amount, in their language', () => {
    const paid = { invoiceId: 'abcdef12-0000', invoiceNumber: 'INV-2027-0042', amountMinor: 12_345, openMinor: 0, dueAt: '2027-01-31', currency: 'EUR' };
    expect(renderMessage('thank-you-payment', 'Anna', paid, 'en', 'EUR')).toEqual({
      subject: 'Thank you for paying invoice INV-2027-0042',
      text: 'Hello Anna,\n\nwe received your payment for invoice INV-2027-0042 (€123.45): thank you, and thank you for your loyalty.\n\nKind regards',
    });
    expect(renderMessage('thank-you-payment', 'Anna', paid, 'de', 'EUR')).toMatchObject({
      subject: 'Vielen Dank für die Zahlung der Rechnung INV-2027-0042',
      text: expect.stringContaining('wir haben Ihre Zahlung für die Rechnung INV-2027-0042 (123,45\u00a0€) erhalten: vielen Dank'),
    });
    // One written before the thank-you carried the amount: the invoice alone.
    expect(renderMessage('thank-you-payment', 'Anna', { invoiceId: 'abcdef12-0000' }, 'en', 'EUR').text).toContain('your payment for invoice abcdef12: thank you');
  });

  it("names a loyal customer's gesture by its goodwill amount in their currency and language, and tells billing to honour it", () => {
    const goodwill = { topic: 'delivery-delay', goodwillMinor: 2_500, currency: 'CHF' };
    expect(renderMessage('issue-gesture', 'Cem', goodwill, 'en', 'EUR').text).toContain('Your next order is on us up to CHF\u00a025.00.');
    expect(renderMessage('issue-gesture', 'Cem', goodwill, 'de', 'EUR').text).toContain('Ihre nächste Bestellung geht bis zu 25,00\u00a0CHF auf uns.');
    expect(renderMessage('issue-gesture-billing', 'Cem', goodwill, 'de', 'EUR')).toEqual({
      subject: 'Goodwill for Cem: next order free up to CHF\u00a025.00',
      text: 'Cem is a loyal customer who had trouble with "delivery delay", now fixed. As a thank-you for their patience we have told them that their next order is on us up to CHF\u00a025.00: please credit their next order up to CHF\u00a025.00 (the fix-issue policy\'s goodwill amount), and nothing beyond it.',
    });
    // One written before the gesture carried its amount reads as then.
    expect(renderMessage('issue-gesture', 'Cem', { topic: 'delivery-delay' }, 'en', 'EUR').text).toContain('up to the usual goodwill amount.');
  });

  it("gives a fix case's owner its deadline and who it escalates to, the complaints behind it, and how to report the fix", () => {
    const task = {
      topic: 'billing-error',
      owner: 'billing',
      customerId: '5119c526-0000-4000-8000-000000000001',
      deadline: '2027-01-31T10:00:00.000Z',
      escalatesTo: 'team-lead',
      complaints: [
        { ref: 'CRM-1', severity: 'high', summary: 'Rechnung wieder falsch: doppelt berechnet', openedOn: '2027-01-24', open: true },
        { ref: '7f3a9c1e-0000-4000-8000-000000000002', severity: 'medium', summary: null, openedOn: '2027-01-06', reopenedOn: '2027-01-20', open: false },
      ],
      moreComplaints: 2,
    };
    const { text } = renderMessage('fix-case-opened', 'Mateo', task, 'de', 'EUR');
    expect(text).toContain('Deadline: 31 January 2027, 10:00 UTC (2027-01-31T10:00:00.000Z). Not fixed by then, it escalates to team-lead.');
    expect(text).toContain(
      'Complaints behind it, newest first:\n- CRM-1, high, 24 January 2027, open: "Rechnung wieder falsch: doppelt berechnet"\n- 7f3a9c1e-0000-4000-8000-000000000002, medium, 6 January 2027, reopened 20 January 2027: no summary recorded\n- and 2 earlier',
    );
    expect(text).toContain('report it with the GraphQL mutation resolveIssue(customerId: "5119c526-0000-4000-8000-000000000001", topic: "billing-error")');
    // The fix closes the complaints still open: the owner is told which, so nobody resolves them again by hand.
    expect(text).toContain("the customer's complaints about it still open then (those marked open above, and any since) are resolved as of the fix");
    expect(renderMessage('fix-case-opened', 'Mateo', { ...task, complaints: [] }, 'en', 'EUR').text).not.toContain('marked open');
    // At the top of the chain it stays with its owner.
    expect(renderMessage('fix-case-escalated', 'Mateo', { ...task, owner: 'management', escalatesTo: 'management', stays: true }, 'en', 'EUR').text).toContain('another missed deadline is recorded; the case stays with management, the last level.');
    expect(renderMessage('fix-case-reopened', 'Mateo', { ...task, complaints: [] }, 'en', 'EUR').text).toContain('No complaint since the fix is on record (the recurrence was reported by hand).');
    expect(renderMessage('fix-case-opened', 'Mateo', { ...task, complaints: [] }, 'en', 'EUR').text).toContain('No complaint about it is on record (it was started by hand).');
    // A task written before tasks carried these reads as then.
    expect(renderMessage('fix-case-opened', 'Mateo', { topic: 'billing-error', owner: 'billing' }, 'en', 'EUR').text).toBe('A persistent issue ("billing error") is now yours (billing). Fix the cause, then mark it resolved.');
  });

  it('names the fee on a standard reminder that charges one, in the currency of the amounts', () => {
    expect(renderMessage('reminder-standard-2', 'Bob', { invoiceId: 'x', feeMinor: 500 }, 'en', 'EUR').text).toMatch(/fee of €5\.00 applies/);
    expect(renderMessage('reminder-standard-3', 'Bob', { invoiceId: 'x', feeMinor: 123456 }, 'en', 'USD').text).toMatch(/fee of \$1,234\.56 applies/);
    expect(renderMessage('reminder-standard-2', 'Bob', { invoiceId: 'x', feeMinor: 500 }, 'en', 'CHF').text).toMatch(/fee of CHF\u00a05\.00 applies/);
    expect(renderMessage('reminder-standard-1', 'Bob', { invoiceId: 'x', feeMinor: 0 }, 'en', 'EUR').text).not.toMatch(/fee/);
    expect(() => renderMessage('nope', 'Bob', {}, 'en', 'EUR')).toThrow(/no message template/);
  });

  it('tells a customer under notice why, that no closing fee is charged, and that a person answers an objection, in each language', () => {
    const en = renderMessage('offboarding-notice', 'Bob', { noticeEndsOn: '2027-01-31' }, 'en', 'EUR').text;
    expect(en).toMatch(/we have not found a change to it that works for both of us/);
    expect(en).toMatch(/without any closing fee/);
    expect(en).toMatch(/reply to this message and a person will get back to you/);
    const de = renderMessage('offboarding-notice', 'Bob', { noticeEndsOn: '2027-01-31' }, 'de', 'EUR').text;
    expect(de).toMatch(/keine Änderung gefunden, die für beide Seiten passt/);
    expect(de).toMatch(/ohne Abschlussgebühr/);
    expect(de).toMatch(/eine Person meldet sich bei Ihnen/);
  });

  it('gives a customer under notice what it promises for the switch: their reference, the end day, the final invoice, the data export and a person, in each language', () => {
    const notice = { noticeEndsAt: '2027-01-31T10:00:00.000Z', noticeEndsOn: '2027-01-31', customerRef: 'CRM-004211' };
    const en = renderMessage('offboarding-switch-help', 'Grace', notice, 'en', 'EUR').text;
    expect(en).toContain('here is what you need to move to another provider:\n\n- Your customer reference with us: CRM-004211.');
    expect(en).toContain('- Our contract ends on 31 January 2027.');
    expect(en).toContain('- Your final invoice covers our service up to 31 January 2027, with no closing fee; our billing team sends it after that day.');
    expect(en).toContain('- Your data: when the contract ends on 31 January 2027, we e-mail you a file (JSON) with everything we stored about you');
    expect(en).toContain('reply to this message: a person will help you with every step.');
    const de = renderMessage('offboarding-switch-help', 'Grete', notice, 'de', 'EUR').text;
    expect(de).toContain('- Ihre Kundennummer bei uns: CRM-004211.');
    expect(de).toContain('- Ihre Schlussrechnung umfasst unsere Leistungen bis zum 31. Januar 2027, ohne Abschlussgebühr');
    expect(de).toContain('- Ihre Daten: Wenn der Vertrag am 31. Januar 2027 endet, schicken wir Ihnen per E-Mail eine Datei (JSON)');
    // Without a reference on record, no line for it.
    expect(renderMessage('offboarding-switch-help', 'Grace', { ...notice, customerRef: null }, 'en', 'EUR').text).not.toMatch(/reference/);
    // One queued before it carried the day does not say "here is" and then nothing: it says a person helps.
    for (const locale of ['en', 'de']) expect(renderMessage('offboarding-switch-help', 'Grace', {}, locale, 'EUR').text).not.toMatch(/here is|hier ist/);
    expect(renderMessage('offboarding-switch-help', 'Grace', {}, 'en', 'EUR').text).toContain('reply to this message and a person will help you with every step of switching');
  });

  it("gives billing's final-invoice task whom to bill (the customer's reference), up to which day, and what is still open; one written before it carried them reads as it did", () => {
    const facts = { customerRef: 'DEMO-0000204', noticeEndsOn: '2026-12-05', outstandingMinor: 4_250, currency: 'EUR' };
    expect(renderMessage('offboarding-final-invoice', 'Anna Novak', facts, 'en', 'USD')).toEqual({
      subject: 'Final invoice for Anna Novak (DEMO-0000204)',
      text: 'The notice period of Anna Novak (customer reference DEMO-0000204) has ended: please issue the final invoice for the service up to 5 December 2026, the day their notice named, with no closing fees. Still open on their invoices: €42.50.',
    });
    // Rendered for the team in the company's language, whatever the customer reads.
    expect(renderMessage('offboarding-final-invoice', 'Anna Novak', facts, 'de', 'EUR').text).toBe(renderMessage('offboarding-final-invoice', 'Anna Novak', facts, 'en', 'EUR').text);
    // Nothing open, no reference on record, closed after the notice's end (it went out late, or a complaint was waited for).
    expect(renderMessage('offboarding-final-invoice', 'Anna Novak', { ...facts, customerRef: null, outstandingMinor: 0, closedOn: '2026-12-20' }, 'en', 'EUR')).toEqual({
      subject: 'Final invoice for Anna Novak',
      text: 'The notice period of Anna Novak (no customer reference on record) has ended: please issue the final invoice for the service up to 5 December 2026, the day their notice named, with no closing fees. The account was closed on 20 December 2026, after that day; they were told the final invoice covers the service up to the day the notice named. Nothing is open on their invoices.',
    });
    expect(renderMessage('offboarding-final-invoice', 'Anna Novak', {}, 'en', 'EUR')).toEqual({ subject: 'Final invoice for Anna Novak', text: 'The notice period has ended: please issue the final invoice (no closing fees).' });
    // A notice a person ended early (the customer leaves now): billed up to that day, not the day the notice named.
    expect(renderMessage('offboarding-final-invoice', 'Anna Novak', { ...facts, endedEarlyOn: '2026-11-20' }, 'en', 'EUR').text).toBe(
      'The notice of Anna Novak (customer reference DEMO-0000204) was ended early on 20 November 2026 (the customer leaves now): please issue the final invoice for the service up to that day, with no closing fees. Still open on their invoices: €42.50.',
    );
  });

  it("starts the data export's own sentence with a capital after the paragraph on a notice ended early, and in lower case right after the greeting", () => {
    const export_ = { exportId: 'ex-1', noticeEndsOn: '2027-01-31' };
    const early = { ...export_, endedEarlyOn: '2026-12-05' };
    expect(renderMessage('offboarding-data-export', 'Lena', early, 'en', 'EUR').text).toContain('our billing team sends it separately.\n\nAttached is everything we stored about you, as a JSON file (export ex-1).');
    expect(renderMessage('offboarding-data-export', 'Lena', early, 'de', 'EUR').text).toContain('unsere Buchhaltung schickt sie gesondert.\n\nAnbei finden Sie alles, was wir über Sie gespeichert haben');
    expect(renderMessage('offboarding-data-export', 'Lena', export_, 'en', 'EUR').text).toBe(
      'Hello Lena,\n\nattached is everything we stored about you, as a JSON file (export ex-1). Thank you for the time with us.\n\nKind regards',
    );
    expect(renderMessage('offboarding-data-export', 'Lena', export_, 'de', 'EUR').text).toContain(',\n\nanbei finden Sie alles');
  });

  it('writes a day as the language writes it, day first', () => {
    expect(renderMessage('offboarding-notice', 'Bob', { noticeEndsAt: '2027-01-31T00:00:00.000Z' }, 'en', 'EUR').text).toMatch(/end our contract on 31 January 2027\./);
    expect(renderMessage('offboarding-notice', 'Bob', { noticeEndsAt: '2027-01-31T00:00:00.000Z' }, 'de-AT', 'EUR').text).toMatch(/Vertrag zum 31\. Januar 2027 zu beenden/);
  });

  it("names the end of the notice as the customer's own day (noticeEndsOn), not the UTC day of the instant it ends; a notice queued before names the UTC day as it did (QA 51 F3)", () => {
    const inLosAngeles = { noticeEndsAt: '2026-12-05T00:37:53.725Z', noticeEndsOn: '2026-12-04' };
    expect(renderMessage('offboarding-notice', 'Bob', inLosAngeles, 'en', 'EUR').text).toMatch(/end our contract on 4 December 2026\./);
    expect(renderMessage('offboarding-notice', 'Bob', inLosAngeles, 'de', 'EUR').text).toMatch(/Vertrag zum 4\. Dezember 2026 zu beenden/);
    expect(renderMessage('offboarding-withdrawn', 'Bob', inLosAngeles, 'en', 'EUR').text).toMatch(/would end on 4 December 2026:/);
    expect(renderMessage('offboarding-withdrawn', 'Bob', inLosAngeles, 'de', 'EUR').text).toMatch(/zum 4\. Dezember 2026 endet/);
    expect(renderMessage('offboarding-notice', 'Bob', { noticeEndsAt: inLosAngeles.noticeEndsAt }, 'en', 'EUR').text).toMatch(/end our contract on 5 December 2026\./);
    expect(renderMessage('offboarding-withdrawn', 'Bob', { noticeEndsAt: inLosAngeles.noticeEndsAt }, 'en', 'EUR').text).toMatch(/would end on 5 December 2026:/);
  });

  it('shows a fee in the currency it was charged in, written with the message, whatever the setting is now', () => {
    expect(renderMessage('reminder-standard-2', 'Bob', { invoiceId: 'x', feeMinor: 500, currency: 'EUR' }, 'en', 'USD').text).toMatch(/fee of €5\.00 applies/);
    // A message written before messages carried their currency, or with a malformed one: the setting's.
    expect(renderMessage('reminder-standard-2', 'Bob', { invoiceId: 'x', feeMinor: 500 }, 'en', 'USD').text).toMatch(/fee of \$5\.00 applies/);
    expect(renderMessage('reminder-standard-2', 'Bob', { invoiceId: 'x', feeMinor: 500, currency: 'euro' }, 'en', 'USD').text).toMatch(/fee of \$5\.00 applies/);
  });
});

/** Messages to the company's teams: they stay in the company's language whatever the customer's is. */
const teamTemplates = Object.keys(templateCatalogue).filter((t) => templateCatalogue[t].audience === 'team');

describe("messages in the customer's language", () => {
  it('has every message to customers in German, and nothing that is not also in English', () => {
    expect(Object.keys(germanTemplates).sort()).toEqual(Object.keys(templates).filter((t) => !teamTemplates.includes(t)).sort());
  });

  it('writes in German to a customer whose language is German, whatever the region', () => {
    for (const locale of ['de', 'de-AT', 'DE-ch']) {
      expect(renderMessage('reminder-friendly', 'Ada', { invoiceId: 'abcdef12-0000' }, locale, 'EUR')).toMatchObject({ subject: 'Eine kurze Notiz zu Ihrer Rechnung', text: expect.stringMatching(/^Guten Tag Ada,\n\n.*Rechnung abcdef12/s) });
    }
  });

  it('says which language a message is written in for a reader', () => {
    expect(messageLanguage('reminder-friendly', 'de-AT')).toBe('de');
    expect(messageLanguage('reminder-friendly', 'fr')).toBe('en');
    expect(messageLanguage('call-personal', 'de')).toBe('en');
  });

  it('writes in English in any other language, and to the teams always in English', () => {
    expect(renderMessage('reminder-friendly', 'Ada', { invoiceId: 'x' }, 'fr', 'EUR').subject).toBe('A quick note about your invoice');
    expect(renderMessage('call-personal', 'Ada', { invoiceId: 'x' }, 'de', 'EUR').subject).toBe('Call Ada about invoice x');
  });

  it('never mentions fees, dunning or collections to a loyal payer in German either', () => {
    for (const step of fairReminderPolicy.loyalSchedule.filter((s) => s.action === 'reminder')) {
      const { subject, text } = renderMessage(step.template, 'Ada', { invoiceId: 'abcdef12-0000', feeMinor: 500 }, 'de', 'EUR');
      expect(`${subject} ${text}`).not.toMatch(/gebühr|mahn|inkasso|letzte|überfällig/i);
    }
    // German writes the amount first, the currency after it, a no-break space between.
    expect(renderMessage('reminder-standard-2', 'Bob', { invoiceId: 'x', feeMinor: 1250 }, 'de', 'EUR').text).toMatch(/Mahngebühr von 12,50\u00a0€ an/);
    expect(renderMessage('reminder-standard-3', 'Bob', { invoiceId: 'x', feeMinor: 123456 }, 'de-CH', 'CHF').text).toMatch(/Mahngebühr von 1\.234,56\u00a0CHF an/);
    expect(renderMessage('reminder-standard-1', 'Bob', { invoiceId: 'x', feeMinor: 0 }, 'de', 'EUR').text).not.toMatch(/gebühr/i);
  });
});

describe('the template catalogue', () => {
  it('knows every template, and no other', () => {
    expect(Object.keys(templateCatalogue).sort()).toEqual(Object.keys(templates).sort());
  });

  it('renders every example in every language it is written in, with nothing missing', () => {
    for (const [key, entry] of Object.entries(templateCatalogue)) {
      for (const example of [entry.example, ...(entry.variants ?? []).map((v) => v.example)]) {
        for (const locale of entry.audience === 'customer' ? ['en', 'de'] : ['en']) {
          const { subject, text } = renderMessage(key, 'Alex Example', example, locale, 'EUR');
          expect(`${subject}\n${text}`).not.toMatch(/undefined|null|NaN|\[object Object\]|""|„“| {2}|\( *\)/);
          expect(subject.trim().length).toBeGreaterThan(0);
        }
      }
    }
  });

  it('stops every fair-reminder message chasing the invoice once it is paid, and never the thank-you nor the withdrawal from collections', () => {
    const fairReminder = Object.keys(templateCatalogue).filter((key) => templateCatalogue[key].playbook === 'fair-reminder');
    // Written because the invoice is paid: the thank-you, and billing's task and the customer's word that it is withdrawn from collections.
    const writtenOncePaid = ['thank-you-payment', 'collections-withdrawal', 'collections-withdrawn'];
    expect([...untilPaidTemplates].sort()).toEqual(fairReminder.filter((key) => !writtenOncePaid.includes(key)).sort());
  });

  it("tells a team's task from a message to the customer; a template since removed counts as the customer's", () => {
    expect(['fix-case-opened', 'call-personal', 'reminder-friendly', 'a-template-since-removed'].map(audienceOf)).toEqual(['team', 'team', 'customer', 'customer']);
  });
});
