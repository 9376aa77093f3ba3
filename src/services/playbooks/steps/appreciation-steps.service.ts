import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { writeWhenItGoes } from '../../../domain/guards/contact-guard.js';
import { INVOICE_OVERDUE, NOT_LOYAL, THANK_YOU_STEP, type AppreciationPolicy, type ThankYou } from '../../../domain/playbooks/appreciation.js';
import { LOSS_MAKING } from '../../../domain/scoring/profitability.js';
import { ScoreKind } from '../../../domain/scoring/score-kind.js';
import { MessageChannel, MessagePurpose, type ServiceTier } from '../../../entities/index.js';
import { OfferService } from '../../offers/offer.service.js';
import type { ContactStatusService } from '../../outbox/contact-status.service.js';
import type { OutboxService } from '../../outbox/outbox.service.js';
import type { CustomerRescoreService } from '../../scores/customer-rescore.service.js';
import { runStillRunning } from '../running-run.js';
import { overdueUnpaidInvoice } from '../../facts/invoice-facts.js';
import { dayNumber, isoDay } from '../../../domain/dates.js';

/** The appreciation playbook's side effect: one thank-you with the best offer, once per run. */
export class AppreciationSteps {
  constructor(
    private readonly em: EntityManager,
    private readonly outbox: OutboxService,
    private readonly contactStatus: ContactStatusService,
    private readonly scoring: CustomerRescoreService,
    /** The worker's appreciation policy: how long since another thank-you counts as lately. */
    private readonly policy: AppreciationPolicy,
  ) {}

  /**
   * Thanks the customer with the best offer an existing customer gets today, never less than
   * what new customers get, when the contact guard lets marketing reach them now, their account
   * does not lose money, they are still a loyal payer today (rescored now; not asked of a
   * campaign's thank-you), no other thank-you reached them lately (one waiting into the new
   * year meets the next year's), and it goes at once (not in their quiet hours: then, and only
   * when nothing else holds it back, it says when); else writes nothing and says why, for the
   * run to wait or give up. A retried step
   * answers with the offer the customer was sent.
   */
  async thank(input: { workflowId: string; customerId: string }): Promise<ThankYou> {
    // Today's payment-loyalty band, not last night's: a bulk import of payments is rescored by the next nightly run.
    await this.scoring.rescoreCustomer(input.customerId, new Set([ScoreKind.PaymentLoyalty]));
    return this.em.transactional(async (em) => {
      const written = await this.outbox.stepPayload(em, input, THANK_YOU_STEP);
      if (written) return thankYou(written);
      // The run's last step: recorded completed, the run was reset since (it waits until recorded running again); cancelled, it writes nothing.
      if (!(await runStillRunning(em, input.workflowId, { lastStep: true }))) return heldBack('run-ended', 'the run no longer runs: nothing was written');
      // One thank-you step of the customer's at a time: two runs (last year's still waiting, this year's) cannot both write. (Its tier: the offer keeps it.)
      const [{ service_tier: serviceTier }] = await em.execute<{ service_tier: ServiceTier }[]>(`select service_tier from customer where id = ? for no key update`, [input.customerId]);
      const { marketing } = (await this.contactStatus.within(em).forCustomer(input.customerId))!;
      if (!marketing.allowed) return heldBack(marketing.reason, marketing.detail);
      // What the run's start checked may have changed while it waited for the guard. Checked before the customer's quiet
      // hours, which only say when a thank-you may go: one that a hold keeps back now shows held back at night too (as
      // the campaign preview counts it), not as on its way until the morning, when it would find the hold.
      const [facts] = await em.execute<{ loss_making: boolean; loyalty_band: string | null; by_campaign: boolean; thanked_at: Date | null }[]>(
        `select exists (select 1 from current_score s where s.customer_id = c.id and s.kind = 'profitability' and s.band = ?) as loss_making,
                (select s.band from current_score s where s.customer_id = c.id and s.kind = 'payment-loyalty') as loyalty_band,
                exists (select 1 from playbook_run r where r.workflow_id = ? and r.campaign_id is not null) as by_campaign,
                (select max(m.created_at) from outbox_message m where m.customer_id = c.id and m.template = 'appreciation' and m.suppressed_at is null
                    and m.idempotency_key <> ? and m.created_at > now() - make_interval(days => ?)) as thanked_at
           from customer c where c.id = ?`,
        [LOSS_MAKING, input.workflowId, `${input.workflowId}/thank-you`, this.policy.silentDays, input.customerId],
      );
      const [owed] = (
        await sql<{ ref: string; due_at: string }>`select coalesce(i.external_ref, i.id::text) as ref, i.due_at::text from invoice i
          where i.customer_id = ${input.customerId}::uuid and ${overdueUnpaidInvoice()} order by i.due_at limit 1`.execute(em.getKysely())
      ).rows;
      if (facts.loss_making) return heldBack('loss-making', 'the account became loss-making: an account review, not a thank-you offer');
      // Thanked while owing us reads as neither thanks nor a reminder: the thank-you waits until the invoice is settled,
      // however long overdue (an invoice past the sweep's window, left to a person, is owed all the same); the oldest named.
      if (owed) return heldBack(INVOICE_OVERDUE, `invoice ${owed.ref} was due on ${owed.due_at} and is unpaid`);
      // A thank-you the sweep or a person started is for loyal payers: one who paid late meanwhile (the invoice that held it
      // back, say) is no longer thanked as one. A campaign's thanks whom its segment chose (it needs no loyal band).
      if (!facts.by_campaign && (!facts.loyalty_band || !this.policy.loyaltyBands.includes(facts.loyalty_band))) {
        return heldBack(NOT_LOYAL, `the customer's payment-loyalty band is ${facts.loyalty_band ? `"${facts.loyalty_band}"` : 'not scored'} now; a thank-you is for ${this.policy.loyaltyBands.map((b) => `"${b}"`).join(', ')}`);
      }
      if (facts.thanked_at) return heldBack('thanked-recently', `another thank-you was written on ${new Date(facts.thanked_at).toISOString().slice(0, 10)}`);
      // Nothing holds it back: in the customer's quiet hours it waits for them to end (written then, not queued through the night).
      const later = writeWhenItGoes(marketing, new Date());
      if (later) return { offerCode: null, matchedNewCustomerOffer: false, heldBack: null, notBefore: later.toISOString() };
      // A thank-you keeps the customer's service: an offer that moves them to another tier is not one.
      const offers = new OfferService(em);
      // One the customer can still use a while after reading it: not a flash sale ending today.
      const usableDays = this.policy.offerUsableDays ?? 0;
      const today = new Date().toISOString().slice(0, 10);
      const openUntil = usableDays > 0 ? isoDay(dayNumber(today) + usableDays) : undefined;
      const { best, matchedNewCustomerOffer } = await offers.bestForExistingCustomer(today, serviceTier, openUntil);
      // Named as the customer reads an offer (its name, and the day it ends), as an account review's proposal is.
      const payload = {
        offerCode: best?.code ?? null,
        // (null: none to quote, for no offer or a new customers' one.)
        offerName: null as string | null,
        ...(best ? await offers.naming(best) : {}),
        discountPercent: best?.discountPercent ?? null,
        offerValidUntil: best?.validUntil ?? null,
        // An offer without an end is the customer's at least for the days they are given to use it: the thank-you's promise.
        ...(best && !best.validUntil && openUntil ? { offerPromisedUntil: openUntil } : {}),
        matchedNewCustomerOffer: matchedNewCustomerOffer !== null,
        // A new customers' offer has no name for a customer of years; its terms (what it applies to, for how long) it has.
        ...(best ? await offers.newCustomerTerms(best) : {}),
      };
      return thankYou(await this.outbox.enqueueStepOnce(em, input, THANK_YOU_STEP, { channel: MessageChannel.Email, purpose: MessagePurpose.Marketing, template: 'appreciation', payload }));
    });
  }
}

const heldBack = (reason: string, detail: string): ThankYou => ({ offerCode: null, matchedNewCustomerOffer: false, heldBack: { reason, detail } });

function thankYou(payload: Record<string, unknown>): ThankYou {
  // Thank-yous written before `matchedNewCustomerOffer` was recorded count as not matched.
  return { offerCode: (payload.offerCode as string | null) ?? null, matchedNewCustomerOffer: payload.matchedNewCustomerOffer === true, heldBack: null };
}
