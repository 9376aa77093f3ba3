import type { EntityManager } from '@mikro-orm/postgresql';
import { Customer, MessageChannel, MessagePurpose } from '../../entities/index.js';
import { OfferService } from '../offers/offer.service.js';
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
   * what new customers get. A retried step answers with the offer the customer was sent.
   */
  async thank(input: { workflowId: string; customerId: string }): Promise<{ offerCode: string | null; matchedNewCustomerOffer: boolean }> {
    // A thank-you keeps the customer's service: an offer that moves them to another tier is not one.
    const { serviceTier } = await this.em.findOneOrFail(Customer, { id: input.customerId }, { fields: ['serviceTier'] });
    const { best, matchedNewCustomerOffer } = await new OfferService(this.em).bestForExistingCustomer(new Date().toISOString().slice(0, 10), serviceTier);
    const payload = { offerCode: best?.code ?? null, discountPercent: best?.discountPercent ?? null, matchedNewCustomerOffer: matchedNewCustomerOffer !== null };
    // (A run no longer running thanks no one; it answers with the offer all the same, as it is being wound down.)
    const sent = await this.em.transactional(async (em) =>
      (await runStillRunning(em, input.workflowId))
        ? this.outbox.enqueueStepOnce(em, input, 'thank-you', { channel: MessageChannel.Email, purpose: MessagePurpose.Marketing, template: 'appreciation', payload })
        : payload,
    );
    const matched = typeof sent.matchedNewCustomerOffer === 'boolean' ? sent.matchedNewCustomerOffer : payload.matchedNewCustomerOffer; // written before it said so
    return { offerCode: (sent.offerCode as string | null) ?? null, matchedNewCustomerOffer: matched };
  }
}
