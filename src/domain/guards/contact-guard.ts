import type { MessageAudience, MessagePurposeKind } from '../messages/catalogue.js';
import { days } from '../policies/duration.js';
import { nextSendTime, type QuietHours } from './quiet-hours.js';

/** Limits on contacting customers that every playbook obeys. Versioned: running playbooks keep theirs. */
export interface ContactPolicy {
  version: number;
  /** Marketing contacts allowed per customer per period, across all playbooks. */
  marketingBudget: number;
  /** ... and while an issue is open (a complaint, or the fix of a persistent issue): fix first, sell later. */
  marketingBudgetWithOpenIssue: number;
  budgetPeriodMs: number;
  quietHours: QuietHours;
}

export const contactPolicy: ContactPolicy = {
  version: 1,
  marketingBudget: 3,
  marketingBudgetWithOpenIssue: 0,
  budgetPeriodMs: days(30),
  quietHours: { startHour: 21, endHour: 8 },
};

export interface ContactRequest {
  purpose: MessagePurposeKind;
  /** Who reads the message: the customer (when absent), or one of the company's teams (a task about the customer). */
  audience?: MessageAudience;
  /** When the playbook wants to send. */
  at: Date;
  /** A letter: handed at once to whoever posts it, it reaches the customer days later, so their quiet hours do not hold it. */
  byPost?: boolean;
  /**
   * A task for the billing team (a final invoice, a credit, a withdrawal from collections): money owed to or by the customer
   * is settled after their erasure too, and the task names the invoice, not the person.
   */
  billingTask?: boolean;
  customer: {
    /** The customer's personal data was erased: nobody is left to write to, not even for service. */
    erased: boolean;
    /** The customer has left, or was given notice (offboarding): no marketing from then on, whatever the consent said. */
    offboarded: boolean;
    marketingConsent: boolean;
    timeZone: string;
    /** A complaint is open, or a persistent issue's fix case: the company still owes the customer a fix. */
    hasOpenIssue: boolean;
    /** When the customer was last sent marketing messages (any playbook). */
    recentMarketingContacts: Date[];
  };
}

/** Why the guard holds a message back: a held-back message's reason begins with one of these (`no-consent: ...`). */
export const GUARD_REASONS = ['erased', 'offboarded', 'no-consent', 'budget-exhausted', 'open-complaint'] as const;

export type ContactDecision =
  | { allowed: true; sendAt: Date; reason: string }
  | { allowed: false; reason: (typeof GUARD_REASONS)[number]; detail: string };

/**
 * May this message go, and when? Nothing goes to a customer whose data was erased (but for billing's task: money owed is
 * settled after an erasure too). A task for
 * the company's own team goes at once otherwise: quiet hours and the contact budget protect
 * the customer, not the staff (a fix deadline is already running). Service messages (a
 * payment reminder, a final invoice) always go, only outside quiet hours; marketing needs a
 * customer who has not left, consent, and room in the contact budget, which an open complaint shrinks.
 */
export function decideContact(policy: ContactPolicy, request: ContactRequest): ContactDecision {
  const { customer } = request;
  if (customer.erased && !(request.audience === 'team' && request.billingTask)) return { allowed: false, reason: 'erased', detail: "the customer's personal data was erased: no contact of any kind" };
  if (request.audience === 'team') return { allowed: true, sendAt: request.at, reason: "a task for the company's team, not held for quiet hours or the contact budget (they are the customer's)" };
  const sendAt = request.byPost ? request.at : nextSendTime(request.at, customer.timeZone, policy.quietHours);
  const when = sendAt === request.at ? 'now' : `at ${sendAt.toISOString()} (after quiet hours in ${customer.timeZone})`;
  if (request.purpose === 'service') return { allowed: true, sendAt, reason: `service message, sent ${when}` };

  if (customer.offboarded) return { allowed: false, reason: 'offboarded', detail: 'the customer was given notice or has left: no marketing once offboarding is decided' };
  if (!customer.marketingConsent) return { allowed: false, reason: 'no-consent', detail: 'the customer has not agreed to marketing contact or opted out' };
  const since = sendAt.getTime() - policy.budgetPeriodMs;
  const used = customer.recentMarketingContacts.filter((t) => t.getTime() > since).length;
  const budget = customer.hasOpenIssue ? policy.marketingBudgetWithOpenIssue : policy.marketingBudget;
  const period = `${Math.round(policy.budgetPeriodMs / days(1))} days`;
  if (used >= budget) {
    return customer.hasOpenIssue
      ? { allowed: false, reason: 'open-complaint', detail: `a complaint or the fix of an issue is open: ${budget} marketing contacts allowed per ${period}, ${used} used` }
      : { allowed: false, reason: 'budget-exhausted', detail: `${used} of ${budget} marketing contacts per ${period} used` };
  }
  return { allowed: true, sendAt, reason: `marketing contact ${used + 1} of ${budget} in ${period}, sent ${when}` };
}


/** How long a marketing message may wait in the outbox for its send time: a delivery round or two. */
export const QUEUED_AT_MOST_MS = 60_000;

/**
 * When a marketing message the guard lets go only later (the customer's quiet hours) should be
 * written instead: its send time; null when it goes at once (or not at all). A playbook step
 * waits for it, as one left queued through the customer's night could meet a complaint opened
 * by morning and be held back for good while the run counts it as sent.
 */
export function writeWhenItGoes(decision: ContactDecision, now: Date): Date | null {
  return decision.allowed && decision.sendAt.getTime() > now.getTime() + QUEUED_AT_MOST_MS ? decision.sendAt : null;
}

/** Where a customer stands with the contact guard now: what may go, and while marketing is held by the budget, until when. */
export interface ContactStatus {
  service: ContactDecision;
  marketing: ContactDecision;
  /** Marketing contacts within the period before the next send time, and how many the period allows (fewer while an issue is open). */
  marketingUsed: number;
  marketingBudget: number;
  /** While the budget alone holds marketing back: when its oldest counted contact leaves the period. */
  marketingFreesAt: Date | null;
}

/** The guard's answer for both purposes at `at`, with the budget behind the marketing one (for people, not for sending). */
export function contactStatus(policy: ContactPolicy, customer: ContactRequest['customer'], at: Date): ContactStatus {
  const service = decideContact(policy, { purpose: 'service', at, customer });
  const marketing = decideContact(policy, { purpose: 'marketing', at, customer });
  // Counted as decideContact counts: the period before the moment a message would go.
  const sendAt = nextSendTime(at, customer.timeZone, policy.quietHours);
  const counted = customer.recentMarketingContacts.filter((t) => t.getTime() > sendAt.getTime() - policy.budgetPeriodMs).sort((a, b) => a.getTime() - b.getTime());
  const marketingBudget = customer.hasOpenIssue ? policy.marketingBudgetWithOpenIssue : policy.marketingBudget;
  const heldByBudget = !marketing.allowed && marketing.reason === 'budget-exhausted';
  const freeing = counted[counted.length - marketingBudget];
  return {
    service,
    marketing,
    marketingUsed: counted.length,
    marketingBudget,
    marketingFreesAt: heldByBudget && freeing ? new Date(freeing.getTime() + policy.budgetPeriodMs) : null,
  };
}

/**
 * The marketing answer for any active customer with these facts (for counts over a segment,
 * grouped by them): `recentContacts` marketing messages sent within the period.
 */
export function marketingVerdict(policy: ContactPolicy, facts: { marketingConsent: boolean; hasOpenIssue: boolean; recentContacts: number }, at: Date): ContactDecision {
  return decideContact(policy, {
    purpose: 'marketing',
    at,
    customer: {
      erased: false,
      offboarded: false,
      marketingConsent: facts.marketingConsent,
      timeZone: 'UTC',
      hasOpenIssue: facts.hasOpenIssue,
      // Sent just now: inside the period whenever the message would go.
      recentMarketingContacts: Array.from({ length: facts.recentContacts }, () => at),
    },
  });
}
