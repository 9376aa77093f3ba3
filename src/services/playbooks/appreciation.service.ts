import type { EntityManager } from '@mikro-orm/postgresql';
import type { ThankYou } from '../../domain/playbooks/appreciation.js';
import { Customer, MessageChannel, MessagePurpose } from '../../entities/index.js';
import { OfferService } from '../offers/offer.service.js';
import { ContactStatusService } from '../outbox/contact-status.service.js';
import type { OutboxService } from '../outbox/outbox.service.js';
import { runStillRunning } from './running-run.js';

/** The appreciation playbook's side effect: one thank-you with the best offer, once per run. */
export class AppreciationService {
  constructor(
    private readonly em: EntityManager,
    private readonly outbox: OutboxService,
  ) {}

  /**
   * Thanks the customer with the best offer an existing customer gets today, never less than
   * what new customers get, when the contact guard lets marketing reach them now; else writes
   * nothing and says why, for the run to wait or give up. A retried step answers with the
   * offer the customer was sent.
   */
  async thank(input: { workflowId: string; customerId: string }): Promise<ThankYou> {
    return this.em.transactional(async (em) => {
      const written = await this.outbox.stepPayload(em, input, 'thank-you');
      if (written) return thankYou(written);
      const { marketing } = (await new ContactStatusService(em).forCustomer(input.customerId))!;
      if (!marketing.allowed) return { offerCode: null, matchedNewCustomerOffer: false, heldBack: { reason: marketing.reason, detail: marketing.detail } };
      // A thank-you keeps the customer's service: an offer that moves them to another tier is not one.
      const { serviceTier } = await em.findOneOrFail(Customer, { id: input.customerId }, { fields: ['serviceTier'] });
      const { best, matchedNewCustomerOffer } = await new OfferService(em).bestForExistingCustomer(new Date().toISOString().slice(0, 10), serviceTier);
      const payload = { offerCode: best?.code ?? null, discountPercent: best?.discountPercent ?? null, matchedNewCustomerOffer: matchedNewCustomerOffer !== null };
      // (A run no longer running thanks no one; it answers with the offer all the same, as it is being wound down.)
      if (await runStillRunning(em, input.workflowId)) {
        await this.outbox.enqueueStepOnce(em, input, 'thank-you', { channel: MessageChannel.Email, purpose: MessagePurpose.Marketing, template: 'appreciation', payload });
      }
      return thankYou(payload);
    });
  }
}

function thankYou(payload: Record<string, unknown>): ThankYou {
  // Thank-yous written before `matchedNewCustomerOffer` was recorded count as not matched.
  return { offerCode: (payload.offerCode as string | null) ?? null, matchedNewCustomerOffer: payload.matchedNewCustomerOffer === true, heldBack: null };
}
