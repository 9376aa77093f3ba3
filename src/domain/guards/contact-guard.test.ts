import { days } from '../policies/duration.js';
import { contactPolicy, contactStatus, decideContact, marketingVerdict, writeWhenItGoes, type ContactRequest } from './contact-guard.js';

const noon = new Date('2026-06-01T10:00:00Z'); // 12:00 in Berlin
type Overrides = Partial<Omit<ContactRequest, 'customer'>> & { customer?: Partial<ContactRequest['customer']> };
const request = ({ customer, ...over }: Overrides = {}): ContactRequest => ({
  purpose: 'marketing',
  at: noon,
  ...over,
  customer: { erased: false, offboarded: false, marketingConsent: true, timeZone: 'Europe/Berlin', hasOpenIssue: false, recentMarketingContacts: [], ...customer },
});

describe('decideContact', () => {
  it('sends a marketing message to a consenting customer with budget left', () => {
    const d = decideContact(contactPolicy, request());
    expect(d).toMatchObject({ allowed: true, sendAt: noon });
  });

  it('stops marketing at once without consent (opt-out), but lets service messages through', () => {
    expect(decideContact(contactPolicy, request({ customer: { marketingConsent: false } }))).toMatchObject({ allowed: false, reason: 'no-consent' });
    expect(decideContact(contactPolicy, request({ purpose: 'service', customer: { marketingConsent: false } }))).toMatchObject({ allowed: true });
  });

  it('sends no marketing to a customer who has left, whatever the consent said; service messages (the final invoice) still go', () => {
    expect(decideContact(contactPolicy, request({ customer: { offboarded: true } }))).toMatchObject({ allowed: false, reason: 'offboarded' });
    expect(decideContact(contactPolicy, request({ purpose: 'service', customer: { offboarded: true } }))).toMatchObject({ allowed: true });
  });

  it('sends nothing at all, not even a service message, to a customer whose data was erased', () => {
    for (const purpose of ['service', 'marketing'] as const) {
      expect(decideContact(contactPolicy, request({ purpose, customer: { erased: true } }))).toMatchObject({ allowed: false, reason: 'erased' });
    }
  });

  it('counts marketing contacts across all playbooks within the period', () => {
    const inPeriod = [days(1), days(10), days(29)].map((ago) => new Date(noon.getTime() - ago));
    expect(decideContact(contactPolicy, request({ customer: { recentMarketingContacts: inPeriod } }))).toMatchObject({ allowed: false, reason: 'budget-exhausted' });
    const oneOld = [days(1), days(10), days(31)].map((ago) => new Date(noon.getTime() - ago));
    expect(decideContact(contactPolicy, request({ customer: { recentMarketingContacts: oneOld } }))).toMatchObject({ allowed: true });
  });

  it('sells nothing while a complaint is open (fix first), yet still sends service messages', () => {
    expect(decideContact(contactPolicy, request({ customer: { hasOpenIssue: true } }))).toMatchObject({ allowed: false, reason: 'open-complaint' });
    expect(decideContact(contactPolicy, request({ purpose: 'service', customer: { hasOpenIssue: true } }))).toMatchObject({ allowed: true });
  });

  it('moves any message to the customer out of their quiet hours', () => {
    const late = new Date('2026-06-01T20:30:00Z'); // 22:30 in Berlin
    for (const purpose of ['service', 'marketing'] as const) {
      const d = decideContact(contactPolicy, request({ purpose, at: late }));
      expect(d).toMatchObject({ allowed: true, sendAt: new Date('2026-06-02T06:00:00Z') });
    }
  });

  it("sends a task for the company's team at once, whatever the customer's quiet hours, consent or budget; nothing about an erased customer", () => {
    const lateInTokyo = new Date('2026-06-01T14:00:00Z'); // 23:00 in Tokyo
    const tokyo = { timeZone: 'Asia/Tokyo', marketingConsent: false, hasOpenIssue: true, recentMarketingContacts: [days(1), days(2), days(3)].map((ago) => new Date(lateInTokyo.getTime() - ago)) };
    for (const purpose of ['service', 'marketing'] as const) {
      expect(decideContact(contactPolicy, request({ purpose, audience: 'team', at: lateInTokyo, customer: tokyo }))).toMatchObject({ allowed: true, sendAt: lateInTokyo });
    }
    // The same message to the customer waits for 08:00 in Tokyo.
    expect(decideContact(contactPolicy, request({ purpose: 'service', audience: 'customer', at: lateInTokyo, customer: tokyo }))).toMatchObject({ allowed: true, sendAt: new Date('2026-06-01T23:00:00Z') });
    expect(decideContact(contactPolicy, request({ purpose: 'service', audience: 'team', customer: { erased: true } }))).toMatchObject({ allowed: false, reason: 'erased' });
    // Billing's task (a withdrawal from collections of an invoice paid on time, a credit) still goes: money owed is settled
    // after an erasure too. Not a message to the customer that calls itself one.
    expect(decideContact(contactPolicy, request({ purpose: 'service', audience: 'team', billingTask: true, customer: { erased: true } }))).toMatchObject({ allowed: true });
    expect(decideContact(contactPolicy, request({ purpose: 'service', audience: 'customer', billingTask: true, customer: { erased: true } }))).toMatchObject({ allowed: false, reason: 'erased' });
  });

  it('explains every decision', () => {
    const d = decideContact(contactPolicy, request({ customer: { recentMarketingContacts: [new Date(noon.getTime() - days(2))] } }));
    expect(d.allowed && d.reason).toBe('marketing contact 2 of 3 in 30 days, sent now');
  });
});

describe('writeWhenItGoes', () => {
  it('names the send time of a marketing message that would wait through quiet hours; none for one that goes now or not at all', () => {
    const late = new Date('2026-06-01T20:30:00Z'); // 22:30 in Berlin
    expect(writeWhenItGoes(decideContact(contactPolicy, request({ at: late })), late)).toEqual(new Date('2026-06-02T06:00:00Z'));
    expect(writeWhenItGoes(decideContact(contactPolicy, request()), noon)).toBeNull();
    expect(writeWhenItGoes(decideContact(contactPolicy, request({ at: late, customer: { marketingConsent: false } })), late)).toBeNull();
    // A minute before quiet hours end, it may as well be written now: it goes in the next delivery round or two.
    const almost = new Date('2026-06-02T05:59:30Z');
    expect(writeWhenItGoes(decideContact(contactPolicy, request({ at: almost })), almost)).toBeNull();
  });
});

describe('contactStatus', () => {
  const customer = request().customer;
  const ago = (...d: number[]) => d.map((n) => new Date(noon.getTime() - days(n)));

  it('tells what may go now and how much of the marketing budget is used', () => {
    const status = contactStatus(contactPolicy, { ...customer, recentMarketingContacts: ago(2, 40) }, noon);
    expect(status).toMatchObject({ service: { allowed: true }, marketing: { allowed: true }, marketingUsed: 1, marketingBudget: 3, marketingFreesAt: null });
  });

  it('says when a used-up budget frees a slot: the oldest counted contact leaves the period', () => {
    const status = contactStatus(contactPolicy, { ...customer, recentMarketingContacts: ago(1, 10, 20) }, noon);
    expect(status.marketing).toMatchObject({ allowed: false, reason: 'budget-exhausted' });
    expect(status.marketingFreesAt).toEqual(new Date(noon.getTime() - days(20) + days(30)));
    // With more contacts than the budget (sent before a policy change), a slot frees when enough have left.
    expect(contactStatus(contactPolicy, { ...customer, recentMarketingContacts: ago(1, 5, 10, 20) }, noon).marketingFreesAt).toEqual(new Date(noon.getTime() - days(10) + days(30)));
  });

  it('names no day while something other than the budget holds marketing back', () => {
    const complaint = contactStatus(contactPolicy, { ...customer, hasOpenIssue: true, recentMarketingContacts: ago(1) }, noon);
    expect(complaint).toMatchObject({ marketing: { allowed: false, reason: 'open-complaint' }, marketingBudget: 0, marketingFreesAt: null });
    const optedOut = contactStatus(contactPolicy, { ...customer, marketingConsent: false }, noon);
    expect(optedOut).toMatchObject({ service: { allowed: true }, marketing: { allowed: false, reason: 'no-consent' }, marketingFreesAt: null });
  });
});

describe('marketingVerdict', () => {
  it('answers for a group of customers alike in consent, open complaints and contacts this period', () => {
    expect(marketingVerdict(contactPolicy, { marketingConsent: true, hasOpenIssue: false, recentContacts: 2 }, noon)).toMatchObject({ allowed: true });
    expect(marketingVerdict(contactPolicy, { marketingConsent: true, hasOpenIssue: false, recentContacts: 3 }, noon)).toMatchObject({ allowed: false, reason: 'budget-exhausted' });
    expect(marketingVerdict(contactPolicy, { marketingConsent: true, hasOpenIssue: true, recentContacts: 0 }, noon)).toMatchObject({ allowed: false, reason: 'open-complaint' });
    expect(marketingVerdict(contactPolicy, { marketingConsent: false, hasOpenIssue: true, recentContacts: 0 }, noon)).toMatchObject({ allowed: false, reason: 'no-consent' });
  });
});
