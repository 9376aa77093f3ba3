import { LOYALTY_BANDS } from '../../domain/guards/fairness.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { GUARD_REASONS } from '../../domain/guards/contact-guard.js';
import { teamTemplates } from '../../domain/messages/catalogue.js';
import { assertPastDay } from '../scores/scoring.service.js';
import { APPRECIATION, NOT_THANKED } from '../../domain/playbooks/appreciation.js';

/** The band of customers without a payment-loyalty score yet. */
const UNSCORED = 'unscored';

/**
 * One payment-loyalty band. Customers are counted under their band of today; reminders,
 * fees, offers and messages under the band they were decided for (a loyal payer's spared fee
 * or thank-you stays with "loyal" even if they pay late later).
 */
export interface FairnessBand {
  /** Payment-loyalty band (`unscored` for customers without one). */
  band: string;
  customers: number;
  /** Offers the customers of the band received (thank-yous with an offer, an account review's offer), sent. */
  offers: number;
  /**
   * An account review's proposals of a cheaper service tier, sent: apart from offers, as they
   * go to loss-making accounts and take service away rather than add value.
   */
  tierChangeProposals: number;
  /** Notices that the contract ends (an account review's offboarding, approved by a person), sent: the harshest measure, counted by band. */
  offboardingNotices: number;
  remindersSent: number;
  /** Reminder fees charged that stand: those reversed since (feesReversedMinor) are not in it. */
  feesChargedMinor: number;
  feesWaivedMinor: number;
  /** Reminder fees charged and reversed since, as the billing system cancelled the invoice: under the band they were charged to. */
  feesReversedMinor: number;
  /** Thank-yous to silent loyal customers that went out, under the band they were written for. */
  thankYousSent: number;
  /** Thank-you runs that ended without one (the contact guard held it back for good: no consent, an issue open past the wait), under today's band. */
  thankYousNotGiven: number;
  /** Messages sent to the customers of the band (not the tasks for the company's teams about them). */
  messagesSent: number;
  marketingMessagesSent: number;
  /** Messages the contact guard held back (customer left or erased, no consent or opted out, contact budget, open complaint); not those held back because their run ended or their invoice was paid. */
  messagesSuppressed: number;
}

/**
 * What each loyalty band was offered, charged and sent, side by side: loyalty has to pay
 * off, so the loyal band should see fewer fees, more waived, and no fewer offers.
 */
export class FairnessReportService {
  constructor(private readonly em: EntityManager) {}

  async byLoyaltyBand(since: string): Promise<FairnessBand[]> {
    // As the other reports' days: a day to come gives an empty report (a mistyped year), one before 1900 is a typo.
    assertPastDay(since, 'since');
    // Every band in its order, empty ones too, as scoreDistribution lists bands: a dashboard's columns stay put.
    const bands = [...LOYALTY_BANDS, UNSCORED];
    const { rows } = await sql<Record<string, string | number>>`
      with band as (
        select c.id as customer_id, coalesce(s.band, ${UNSCORED}) as band
          from customer c left join current_score s on s.customer_id = c.id and s.kind = 'payment-loyalty'
      ), booked as (
        -- Each fair reminder under the band it was decided for, as booked when it went out (an invoice's runs may have used different bands).
        select r.invoice_id, r.band, count(*) as reminders, sum(r.charged_minor) as charged, sum(r.waived_minor) as waived, sum(r.reversed_minor) as reversed
          from reminder_booking r join invoice i on i.id = r.invoice_id
         where i.due_at >= ${since}::date group by 1, 2
      ), invoices as (
        -- A fee reversed (its invoice cancelled by the billing system) is no longer charged: counted apart, as reversed.
        select band, sum(reminders) as reminders, sum(charged) - sum(reversed) as charged, sum(waived) as waived, sum(reversed) as reversed from (
          select band, reminders, charged, waived, reversed from booked
          union all
          -- What an invoice carries beyond its bookings: the reminders and fees an import brought (the billing system's), under today's band.
          select b.band, greatest(i.reminders_sent - coalesce(k.reminders, 0), 0), greatest(i.fee_charged_minor - coalesce(k.charged, 0), 0), greatest(i.fee_waived_minor - coalesce(k.waived, 0), 0),
                 greatest(i.fee_reversed_minor - coalesce(k.reversed, 0), 0)
            from invoice i join band b on b.customer_id = i.customer_id
            left join (select invoice_id, sum(reminders) as reminders, sum(charged) as charged, sum(waived) as waived, sum(reversed) as reversed from booked group by 1) k on k.invoice_id = i.id
           where i.due_at >= ${since}::date
        ) u group by 1
      ), messages as (
        -- Messages under the band they were written for (today's band for those written before it was kept).
        select coalesce(m.loyalty_band, b.band) as band,
               count(*) filter (where m.sent_at is not null and ((m.template = 'account-proposal' and m.payload -> 'proposal' ->> 'kind' = 'offer')
                                                               or (m.template = 'appreciation' and m.payload ->> 'offerCode' is not null))) as offers,
               count(*) filter (where m.sent_at is not null and m.template = 'account-proposal' and m.payload -> 'proposal' ->> 'kind' = 'tier-change') as tier_changes,
               count(*) filter (where m.sent_at is not null and m.template = 'offboarding-notice') as notices,
               count(*) filter (where m.sent_at is not null and m.template = 'appreciation') as thanks,
               count(*) filter (where m.sent_at is not null) as sent,
               count(*) filter (where m.sent_at is not null and m.purpose = 'marketing') as marketing,
               count(*) filter (where split_part(m.suppressed_reason, ':', 1) in (${sql.join(GUARD_REASONS.map((r) => sql`${r}`))})) as suppressed
          from outbox_message m join band b on b.customer_id = m.customer_id
         where m.created_at >= ${since}::date and m.template not in (${sql.join(teamTemplates.map((t) => sql`${t}`))}) group by 1
      ), not_thanked as (
        -- Thank-you runs that ended without one since that day (no band is recorded on a run: the customer's today).
        select b.band, count(*) as n from playbook_run r join band b on b.customer_id = r.customer_id
         where r.playbook = ${APPRECIATION} and r.outcome = ${NOT_THANKED} and r.finished_at >= ${since}::date group by 1
      ), customers as (
        select band, count(*) as n from band group by band
      )
      select x.band, coalesce(c.n, 0)::int as customers,
             coalesce(ms.offers, 0)::int as offers, coalesce(ms.tier_changes, 0)::int as tier_changes, coalesce(ms.notices, 0)::int as notices, coalesce(iv.reminders, 0)::int as reminders,
             coalesce(iv.charged, 0) as charged, coalesce(iv.waived, 0) as waived, coalesce(iv.reversed, 0) as reversed,
             coalesce(ms.thanks, 0)::int as thanks, coalesce(nt.n, 0)::int as not_thanked, coalesce(ms.sent, 0)::int as sent, coalesce(ms.marketing, 0)::int as marketing, coalesce(ms.suppressed, 0)::int as suppressed
        -- A band fees or messages were decided for may have no customers today.
        from (select unnest(${bands}::text[]) as band union select band from customers union select band from invoices union select band from messages) x
        left join customers c on c.band = x.band left join invoices iv on iv.band = x.band left join messages ms on ms.band = x.band left join not_thanked nt on nt.band = x.band
       order by array_position(${bands}::text[], x.band) nulls last, x.band`.execute(this.em.getKysely());
    return rows.map((r) => ({
      band: String(r.band),
      customers: Number(r.customers),
      offers: Number(r.offers),
      tierChangeProposals: Number(r.tier_changes),
      offboardingNotices: Number(r.notices),
      remindersSent: Number(r.reminders),
      feesChargedMinor: Number(r.charged),
      feesWaivedMinor: Number(r.waived),
      feesReversedMinor: Number(r.reversed),
      thankYousSent: Number(r.thanks),
      thankYousNotGiven: Number(r.not_thanked),
      messagesSent: Number(r.sent),
      marketingMessagesSent: Number(r.marketing),
      messagesSuppressed: Number(r.suppressed),
    }));
  }
}
