import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { contactStatus, type ContactPolicy, type ContactStatus } from '../../domain/guards/contact-guard.js';
import { hasOpenIssue, marketingSentSince, offboardingDecided } from '../facts/customer-facts.js';

interface FactsRow {
  id: string;
  erased: boolean;
  offboarded: boolean;
  marketing_consent: boolean;
  time_zone: string;
  has_open_issue: boolean;
  recent_marketing: (Date | string)[] | null;
}

/**
 * Where customers stand with the contact guard now (what may go, why not, until when), from
 * the facts delivery decides on: batched, so a page of customers costs one statement.
 */
export class ContactStatusService {
  private readonly byCustomer: DataLoader<string, ContactStatus | null>;

  constructor(
    private readonly em: EntityManager,
    // The policy delivery sends by.
    private readonly policy: ContactPolicy,
  ) {
    this.byCustomer = new DataLoader((ids) => this.load(ids));
  }

  /** The same guard read through `em` (a playbook step's transaction, which has locked the customer). */
  within(em: EntityManager): ContactStatusService {
    return new ContactStatusService(em, this.policy);
  }

  forCustomer(customerId: string): Promise<ContactStatus | null> {
    return this.byCustomer.load(customerId);
  }

  private async load(ids: readonly string[]): Promise<(ContactStatus | null)[]> {
    const now = new Date();
    // A message goes now or later (quiet hours), so no contact the guard counts is older than a period before now.
    const since = new Date(now.getTime() - this.policy.budgetPeriodMs);
    const { rows } = await sql<FactsRow>`
      select c.id, c.status = 'erased' as erased, ${offboardingDecided('c.status')} as offboarded, c.marketing_consent, c.time_zone,
             ${hasOpenIssue('c.id')} as has_open_issue, ${marketingSentSince('c.id', since)} as recent_marketing
        from customer c where c.id = any(${[...ids]}::uuid[])`.execute(this.em.getKysely());
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => {
      const r = byId.get(id);
      if (!r) return null;
      const customer = {
        erased: r.erased,
        offboarded: r.offboarded,
        marketingConsent: r.marketing_consent,
        timeZone: r.time_zone,
        hasOpenIssue: r.has_open_issue,
        recentMarketingContacts: (r.recent_marketing ?? []).map((t) => new Date(t)),
      };
      return contactStatus(this.policy, customer, now);
    });
  }
}
