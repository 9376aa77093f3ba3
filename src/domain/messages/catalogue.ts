import type { Payload } from './template.js';

/** Marketing needs consent and fits the contact budget; service messages go regardless. */
export type MessagePurposeKind = 'service' | 'marketing';

/** Who reads a message: the customer (in their language), or one of the company's teams (a task, in the company's language). */
export type MessageAudience = 'customer' | 'team';

/** Where a template is used and who reads it, with a payload as its playbook writes one (for previews and tests). */
export interface TemplateEntry {
  playbook: string;
  audience: MessageAudience;
  example: Payload;
  /** Marketing needs consent, fits the contact budget and ends with the unsubscribe link; service (the default) goes regardless. */
  purpose?: MessagePurposeKind;
  /** Written otherwise when it says something else (a proposal of an offer is marketing, of a cheaper tier service; a withdrawal from collections says why): each shown, with its purpose. */
  variants?: readonly { variant: string; purpose: MessagePurposeKind; example: Payload }[];
  /** Chases payment of its invoice: once the invoice is paid, it is held back for good if not sent yet. */
  untilPaid?: true;
  /** Asks what its run waits for (a confirmation): once the run has ended, it is held back for good if not sent yet. */
  untilRunEnds?: true;
  /** Announces an offboarding (an account review's notice): never sent for an offboarding withdrawn. */
  announcesOffboarding?: true;
  /** Tells the customer how their run ended (an offboarding withdrawn): written as the run stops, so not held back with its queued messages. */
  tellsRunEnd?: true;
  /**
   * Written only as an offboarding is carried out (the final invoice's task, the data export): the contract has ended, so it
   * is owed whatever stops the run after (a cancel or a termination that came too late), never held back with its queued messages.
   */
  owedOnceOffboarded?: true;
  /** A team's task that is always one team's (billing's, to apply or credit something); a fix case, or an account review's customer kept at the notice's end or to whom it could propose nothing, names its team (`owner`) in its payload. */
  team?: string;
  /** A team's task to phone the customer: without a number on record, it says what to do instead. */
  callsCustomer?: true;
}

const invoice = { invoiceId: '3f2a9c1e-5b7d-4e21-9a0b-6c8d2e4f1a37' };
/** What a loyal payer's run sent before its call: the two friendly reminders, nothing charged. */
const friendlyRemindersSent = { remindersSent: 2, standardReminders: [], feesChargedMinor: 0, loyaltyBandRaisedFrom: null };
/** An invoice handed over to collections, its reminder fees reversed since. */
const withdrawnAfterHandover = { ...invoice, invoiceNumber: 'INV-1042', amountMinor: 20_000, dueAt: '2026-11-24', feesReversedMinor: 1_500, letterSentAt: '2026-12-01T09:00:00.000Z' };
/** Why it is withdrawn from collections: paid on time (the bank's booking came late), or cancelled in the billing system. */
const withdrawals = [
  { variant: 'paid-on-time', purpose: 'service', example: { ...withdrawnAfterHandover, paidAt: '2026-11-23' } },
  { variant: 'cancelled', purpose: 'service', example: { ...withdrawnAfterHandover, cancelledAt: '2026-12-06' } },
] as const;
const issue = { topic: 'delivery-delay', owner: 'logistics' };
/** What a fix case's task carries beside it: the deadline and who it escalates to, the complaints behind it, the customer to report the fix for. */
const caseFacts = (escalatesTo: string) => ({
  customerId: '5d2e8f1a-3c4b-4e6d-9a7b-1c2d3e4f5a6b',
  deadline: '2027-01-31T10:00:00.000Z',
  escalatesTo,
  complaints: [
    { ref: 'CRM-7731', severity: 'high', summary: 'Third parcel this month arrived a week late', openedOn: '2027-01-20' },
    { ref: '8e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b', severity: 'medium', summary: null, openedOn: '2027-01-06', reopenedOn: '2027-01-15' },
  ],
  moreComplaints: 1,
});
const tierChange = { proposal: { kind: 'tier-change', tier: 'standard', reason: 'the standard service fits how the account is used and costs less to serve' } };
const offer = { proposal: { kind: 'offer', offerCode: 'LOYAL15', offerName: 'Loyalty discount', offerNames: { de: 'Treuerabatt' }, discountPercent: 15, tier: 'standard', reason: "offer LOYAL15 (15%) moves the account to the standard service, projected at -269.00 instead of -280.00, its discount taken off the tier's fee" } };
/** The cheaper tier with the fair discount on it, its price (a new customers' offer matched, with its terms): about the contract. */
const tierChangeOffer = {
  proposal: {
    kind: 'offer',
    offerCode: 'NEW-BASIC50',
    discountPercent: 50,
    tier: 'basic',
    contractChange: true,
    newCustomerTerms: { name: 'Basic for new customers: 50% off', names: { de: 'Basis für Neukunden, 50 % Rabatt' }, description: 'for the first three months' },
    reason: "the basic service fits how the account is used and costs less to serve; offer NEW-BASIC50 (50%, at least what newcomers get for the move today) moves the account to it, projected at 25.00 instead of -140.00, its discount taken off the tier's fee",
  },
};
/** An account review proposes a cheaper tier (about the contract: service, with the fair discount on it too) or, when none helps, an offer (marketing). */
const proposals = [
  { variant: 'tier-change', purpose: 'service', example: tierChange },
  { variant: 'tier-change-offer', purpose: 'service', example: tierChangeOffer },
  { variant: 'offer', purpose: 'marketing', example: offer },
] as const;

/** Every message template the playbooks write. */
export const templateCatalogue: Readonly<Record<string, TemplateEntry>> = {
  'reminder-friendly': { playbook: 'fair-reminder', audience: 'customer', untilPaid: true, example: invoice },
  'reminder-gentle': { playbook: 'fair-reminder', audience: 'customer', untilPaid: true, example: invoice },
  // A loyal payer's first reminder of a later course (the invoice was reminded of or called about before): no "slipped through".
  'reminder-follow-on': { playbook: 'fair-reminder', audience: 'customer', untilPaid: true, example: invoice },
  'call-personal': { playbook: 'fair-reminder', audience: 'team', callsCustomer: true, untilPaid: true, example: { ...invoice, remindersSoFar: friendlyRemindersSent } },
  'call-follow-up': { playbook: 'fair-reminder', audience: 'team', callsCustomer: true, untilPaid: true, example: { ...invoice, remindersSoFar: friendlyRemindersSent } },
  'reminder-standard-1': { playbook: 'fair-reminder', audience: 'customer', untilPaid: true, example: { ...invoice, feeMinor: 0 } },
  'reminder-standard-2': { playbook: 'fair-reminder', audience: 'customer', untilPaid: true, example: { ...invoice, feeMinor: 500 } },
  'reminder-standard-3': { playbook: 'fair-reminder', audience: 'customer', untilPaid: true, example: { ...invoice, feeMinor: 1000, feesOnInvoiceMinor: 500 } },
  'collections-handover': { playbook: 'fair-reminder', audience: 'customer', untilPaid: true, example: { ...invoice, feesOnInvoiceMinor: 1500 } },
  'thank-you-payment': { playbook: 'fair-reminder', audience: 'customer', example: invoice },
  // An invoice handed over to collections on which nothing is owed (paid on time, its payment booked after the hand-over,
  // or cancelled in the billing system since): billing withdraws it from the collections partner, and a customer whose
  // collections letter reached them is told it is withdrawn, and why.
  'collections-withdrawal': { playbook: 'fair-reminder', audience: 'team', team: 'billing', example: withdrawals[0].example, variants: withdrawals },
  'collections-withdrawn': { playbook: 'fair-reminder', audience: 'customer', example: withdrawals[0].example, variants: withdrawals },
  'fix-case-opened': { playbook: 'fix-issue', audience: 'team', example: { ...issue, ...caseFacts('team-lead') } },
  'issue-acknowledged': { playbook: 'fix-issue', audience: 'customer', example: issue },
  'fix-case-escalated': { playbook: 'fix-issue', audience: 'team', example: { ...issue, owner: 'team-lead', escalations: 1, ...caseFacts('head-of-service') } },
  'issue-still-open': { playbook: 'fix-issue', audience: 'customer', example: { topic: issue.topic, escalations: 1 } },
  // A reopened case goes one level up the chain: from the topic's team to the team lead.
  'fix-case-reopened': { playbook: 'fix-issue', audience: 'team', example: { ...issue, owner: 'team-lead', recurrences: 1, ...caseFacts('head-of-service') } },
  'issue-reopened': { playbook: 'fix-issue', audience: 'customer', example: { ...issue, owner: 'team-lead', recurrences: 1 } },
  // Another complaint about the topic while its case is open: its owner hears of it (the complaint as the case's task lists
  // its complaints), and the customer that it was added to the case a team already works on.
  'fix-case-complaint-added': {
    playbook: 'fix-issue',
    audience: 'team',
    example: { ...issue, customerId: caseFacts('team-lead').customerId, complaints: [{ ref: 'CRM-7745', severity: 'high', summary: 'Fourth time! I am considering leaving', openedOn: '2027-01-24', open: true }] },
  },
  'issue-complaint-added': { playbook: 'fix-issue', audience: 'customer', example: { topic: issue.topic } },
  // A complaint behind an open case withdrawn as filed by mistake: its owner hears that the case may no longer be needed
  // (the topic no longer persistent without it, or the run or its reopening there only because of it; the run goes on until
  // they decide; nothing goes to the customer), or, the case standing on others, that the complaint they were told of was not
  // the customer's.
  'fix-case-complaint-withdrawn': {
    playbook: 'fix-issue',
    audience: 'team',
    example: {
      ...issue,
      customerId: caseFacts('team-lead').customerId,
      workflowId: `fix-issue/${caseFacts('team-lead').customerId}/${issue.topic}`,
      reason: 'filed on the wrong customer',
      complaints: [{ ref: 'CRM-7745', severity: 'medium', summary: 'Parcel late again', openedOn: '2027-01-24', open: true }],
    },
  },
  // A fix cancelled after the customer was told a team works on it and they would hear when it is done: the case's owner
  // tells them what happens now (nothing more is sent to them by the run).
  'fix-case-cancelled': {
    playbook: 'fix-issue',
    audience: 'team',
    callsCustomer: true,
    tellsRunEnd: true,
    example: { ...issue, customerId: caseFacts('team-lead').customerId, reason: 'handed to the product team, who fix it with the next release', toldOn: '2027-01-20' },
  },
  'issue-fixed': { playbook: 'fix-issue', audience: 'customer', example: { topic: issue.topic } },
  'issue-check-back': { playbook: 'fix-issue', audience: 'customer', example: { topic: issue.topic } },
  'issue-fix-confirmed': { playbook: 'fix-issue', audience: 'customer', example: { topic: issue.topic } },
  'issue-gesture': { playbook: 'fix-issue', audience: 'customer', example: { topic: issue.topic, goodwillMinor: 2_500, currency: 'EUR' } },
  // Billing's task to honour the gesture: the customer's next order free up to the goodwill amount they were told.
  'issue-gesture-billing': { playbook: 'fix-issue', audience: 'team', team: 'billing', example: { topic: issue.topic, goodwillMinor: 2_500, currency: 'EUR' } },
  'account-proposal': { playbook: 'account-review', audience: 'customer', example: tierChange, variants: proposals },
  'account-proposal-confirmed': { playbook: 'account-review', audience: 'customer', example: tierChange, variants: [proposals[0], proposals[1], { ...proposals[2], purpose: 'service' }] },
  'offboarding-notice': { playbook: 'account-review', audience: 'customer', announcesOffboarding: true, example: { noticeEndsAt: '2027-01-31T10:00:00.000Z', noticeEndsOn: '2027-01-31' } },
  'offboarding-switch-help': { playbook: 'account-review', audience: 'customer', announcesOffboarding: true, example: { noticeEndsAt: '2027-01-31T10:00:00.000Z', noticeEndsOn: '2027-01-31', customerRef: 'CRM-004211' } },
  'offboarding-final-invoice': { playbook: 'account-review', audience: 'team', team: 'billing', owedOnceOffboarded: true, example: { customerRef: 'CRM-004211', noticeEndsOn: '2027-01-31', outstandingMinor: 4_250, currency: 'EUR' } },
  // An account review that could propose nothing asks the team that owns customer relationships (the policy's, its `owner`)
  // to talk the account through with the customer before it judges the account again: no offboarding is the first word.
  'account-nothing-proposed': {
    playbook: 'account-review',
    audience: 'team',
    callsCustomer: true,
    example: {
      profitabilityMinor: -21_000,
      reasons: ['margin 240.00 minus cost to serve 450.00 over the last 365 days: -210.00', 'cost drivers: support minutes 450.00 (100%)'],
      nothingProposed: 'no cheaper tier, and no offer moves the account to a service that loses less (a discount on the same service would deepen the loss)',
      reviewAt: '2027-03-05T10:00:00.000Z',
      owner: 'account-management',
    },
  },
  // The team that owns customer relationships (the account review policy's) is named as their `owner`: tasks written before named none.
  'offboarding-notice-undelivered': { playbook: 'account-review', audience: 'team', example: { undelivered: 'refused', owner: 'account-management' } },
  'offboarding-kept-at-notice-end': { playbook: 'account-review', audience: 'team', example: { why: 'issue-open', openIssues: 'fix case open: billing', owner: 'account-management' } },
  'account-offer-accepted': { playbook: 'account-review', audience: 'team', team: 'billing', example: offer, variants: [{ variant: 'offer', purpose: 'service', example: offer }, { variant: 'tier-change-offer', purpose: 'service', example: tierChangeOffer }] },
  'offboarding-data-export': {
    playbook: 'account-review',
    audience: 'customer',
    owedOnceOffboarded: true,
    example: { exportId: '9b1c7e2a-4d3f-4a8b-b6e5-0f2d1c3a4b5e' },
    // A notice ended early (the customer leaves now) is told in it: the contract ended today, before the day a notice that reached them named.
    variants: [
      { variant: 'at-notice-end', purpose: 'service', example: { exportId: '9b1c7e2a-4d3f-4a8b-b6e5-0f2d1c3a4b5e' } },
      { variant: 'notice-ended-early', purpose: 'service', example: { exportId: '9b1c7e2a-4d3f-4a8b-b6e5-0f2d1c3a4b5e', endedEarlyOn: '2026-12-05', noticeEndsOn: '2027-01-31' } },
    ],
  },
  'offboarding-withdrawn': { playbook: 'account-review', audience: 'customer', tellsRunEnd: true, example: { noticeEndsAt: '2027-01-31T10:00:00.000Z', noticeEndsOn: '2027-01-31' } },
  welcome: { playbook: 'welcome-check', audience: 'customer', untilRunEnds: true, example: {} },
  'welcome-follow-up': { playbook: 'welcome-check', audience: 'team', callsCustomer: true, example: {} },
  appreciation: {
    playbook: 'appreciation',
    audience: 'customer',
    purpose: 'marketing',
    example: { offerCode: 'LOYAL10', discountPercent: 10 },
    // An offer for existing customers, or the best offer new customers get matched for a loyal customer: with its terms as new customers read them.
    variants: [
      { variant: 'own-offer', purpose: 'marketing', example: { offerCode: 'LOYAL10', discountPercent: 10 } },
      {
        variant: 'new-customer-offer',
        purpose: 'marketing',
        example: { offerCode: 'WELCOME30', offerName: null, discountPercent: 30, offerValidUntil: '2027-02-03', matchedNewCustomerOffer: true, newCustomerTerms: { name: '30% off your first three months', names: { de: '30 % Rabatt auf die ersten drei Monate' } } },
      },
    ],
  },
};

/** The templates that chase payment of an invoice (reminders, call tasks, the hand-over to collections); not the thank-you. */
export const untilPaidTemplates: readonly string[] = Object.keys(templateCatalogue).filter((key) => templateCatalogue[key].untilPaid);
/** The templates that ask what their run waits for (a welcome asking whether all works): not sent once the run has ended. */
export const untilRunEndsTemplates: readonly string[] = Object.keys(templateCatalogue).filter((key) => templateCatalogue[key].untilRunEnds);
/** The templates that announce an offboarding (the notice, the help to switch): not sent once it is withdrawn. */
export const offboardingAnnouncementTemplates: readonly string[] = Object.keys(templateCatalogue).filter((key) => templateCatalogue[key].announcesOffboarding);
/** The templates that tell the customer how their run ended (an offboarding withdrawn): not held back as the run stops. */
export const runEndTemplates: readonly string[] = Object.keys(templateCatalogue).filter((key) => templateCatalogue[key].tellsRunEnd);
/** The templates written only as an offboarding is carried out (final invoice, data export): owed once it was, never held back as the run stops. */
export const offboardingCompletionTemplates: readonly string[] = Object.keys(templateCatalogue).filter((key) => templateCatalogue[key].owedOnceOffboarded);
/** Why an offboarding's notice or help to switch, still queued, was not sent when the notice was ended early: the data export's message says the contract has ended. */
export const NOTICE_ENDED_EARLY = 'notice-ended-early: the notice was ended early (the customer left at once) before it went out; the data export\'s message says the contract has ended';
/** The templates of tasks for the company's own teams (a call, a fix case), not messages to the customer. */
export const teamTemplates: readonly string[] = Object.keys(templateCatalogue).filter((key) => templateCatalogue[key].audience === 'team');
/** The tasks for the billing team: what the company owes or must bill (a final invoice, a goodwill credit, an accepted offer). */
export const billingTemplates: readonly string[] = teamTemplates.filter((key) => templateCatalogue[key].team === 'billing');

/** Why a message chasing an invoice was held back once the invoice was paid (as the message history shows it). */
export const INVOICE_PAID = 'invoice-paid: the invoice was paid; nothing chasing it goes out after payment';
/** Why a message chasing an invoice was held back once the invoice was cancelled (voided or credited). */
export const INVOICE_CANCELLED = 'invoice-cancelled: the invoice was cancelled; nothing is owed on it';
/** Why a message chasing an invoice was held back once its due day moved later (a payment extension): it is not overdue. */
export const INVOICE_NOT_DUE = 'invoice-not-due: the due day was moved later (a payment extension); the invoice is not overdue';
/** Why an account review's proposal, still queued (the customer's quiet hours), was held back: the customer accepted it before it went, and the confirmation says what was agreed. */
export const PROPOSAL_ANSWERED = 'proposal-answered: the customer accepted it before it went; the confirmation says what was agreed';
/** Why an account review's proposal, still queued (the customer's quiet hours), was held back: the customer declined it before it went, so it does not ask them to accept it after their no. */
export const PROPOSAL_DECLINED = 'proposal-declined: the customer declined it before it went';
/**
 * Why a welcome check's welcome, still queued (the customer's quiet hours), was held back: the customer complained before
 * it went, so it does not ask them whether everything works as if nobody knew; the check's call at the end of its wait
 * names the complaint.
 */
export const COMPLAINED_FIRST = 'complained-first: the customer complained before it went; a person calls at the end of the welcome check, starting with the complaint, instead of asking whether everything works';
/**
 * Why an account review's proposal, still queued (the customer's quiet hours), was held back: the customer complained (a
 * complaint recorded, reopened or imported) before it went. A customer in the middle of a complaint is not asked to take
 * a lesser service: fix first. It never reached them, so no answer to it is taken; the review proposes again once nothing
 * of theirs is open (the proposal worked out anew then), or ends kept if it stays open.
 */
export const PROPOSAL_HELD_AT_COMPLAINT = 'complained-first: the customer complained before the proposal went; nobody in the middle of a complaint is asked to take a lesser service, and the review proposes again once nothing of theirs is open';
/** A proposal held back because the customer answered it before it went (accepted or declined): it did not fail to reach them, they answered it. */
export function proposalAnsweredBeforeItWent(suppressedReason: string | null | undefined): boolean {
  return suppressedReason === PROPOSAL_ANSWERED || suppressedReason === PROPOSAL_DECLINED;
}
/** Why a message chasing payment, still queued, was held back: the customer promised to pay (the reason adds by when). */
export const PROMISED_TO_PAY = 'promise-to-pay';

/** A message a promise to pay held back (its run sends it again if the promise lapses unpaid), by its reason. */
export function heldByPromise(suppressedReason: string | null | undefined): boolean {
  return suppressedReason?.startsWith(`${PROMISED_TO_PAY}:`) ?? false;
}
/**
 * Why a message chasing payment, still queued, was held back: the customer disputed the invoice (the reason adds since when).
 * A reminder so held is sent again by its run once the dispute is rejected; upheld, it is held back for good (`DISPUTE_UPHELD`).
 */
export const INVOICE_DISPUTED = 'invoice-disputed';
/** Why a message held back by a dispute stays held back for good: the dispute was upheld, the invoice is not owed as billed. */
export const DISPUTE_UPHELD = 'dispute-upheld: the customer\'s dispute of the invoice was upheld; nothing chasing it as billed goes out';
/** The reasons of a hold its run may lift (a promise to pay that lapsed, a dispute rejected): the run sends such a reminder again. */
export const HELD_FOR_RUN = [PROMISED_TO_PAY, INVOICE_DISPUTED] as const;
/** A message a promise to pay or an open dispute held back, which its run sends again once the hold ends, by its reason. */
export function heldForRun(suppressedReason: string | null | undefined): boolean {
  return HELD_FOR_RUN.some((r) => suppressedReason?.startsWith(`${r}:`) ?? false);
}
/** SQL: the message's `suppressed_reason` (column `column`) is a hold its run may lift (`heldForRun`). */
export function heldForRunSql(column: string): string {
  return `(${HELD_FOR_RUN.map((r) => `starts_with(${column}, '${r}:')`).join(' or ')})`;
}

/** Who reads a message of `template`: the customer unless the catalogue says it is a team's task (a template since removed counts as the customer's). */
export function audienceOf(template: string): MessageAudience {
  return templateCatalogue[template]?.audience ?? 'customer';
}

/**
 * Who a message went to: the customer, or (a task about them, e.g. a fix case or a call to make) one of the company's
 * teams, named when its payload names the team that owns it (a fix case's `owner`) or the task is always one team's
 * (billing's), else null (a call to make, which whoever makes the calls takes).
 */
export function recipientOf(template: string, payload: Readonly<Record<string, unknown>>): { audience: MessageAudience; team: string | null } {
  const audience = audienceOf(template);
  if (audience !== 'team') return { audience, team: null };
  return { audience, team: typeof payload.owner === 'string' && payload.owner !== '' ? payload.owner : (templateCatalogue[template]?.team ?? null) };
}

/** A team's task as its gateway labels it: the team it is for (null: none named) and whether it is a call to make; null for a message to the customer. */
export function taskOf(template: string, payload: Readonly<Record<string, unknown>>): { team: string | null; callsCustomer: boolean } | null {
  const { audience, team } = recipientOf(template, payload);
  return audience === 'team' ? { team, callsCustomer: templateCatalogue[template]?.callsCustomer === true } : null;
}
