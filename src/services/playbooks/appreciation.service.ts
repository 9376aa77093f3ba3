import type { EntityManager } from '@mikro-orm/postgresql';
import { MessageChannel, MessagePurpose } from '../../entities/index.js';
import { OfferService } from '../offers/offer.service.js';
import type { OutboxService } from '../outbox/outbox.service.js';
import { runStillRunning } from './running-run.js';

/** The appreciation playbook's side effect: one thank-you with the best offer, once per run. */
export class AppreciationService {
  constructor(
    private readonly em: EntityManager,
    private readonly outbox: OutboxService,
  ) {}

  /** Thanks the customer with the best offer an existing customer gets today, never less than what new customers get. */
  async thank(input: { workflowId: string; customerId: string }): Promise<{ offerCode: string | null; matchedNewCustomerOffer: boolean }> {
    const { best, matchedNewCustomerOffer } = await new OfferService(this.em).bestForExistingCustomer(new Date().toISOString().slice(0, 10));
    // (A run no longer running thanks no one; it answers with the offer all the same, as it is being wound down.)
    await this.em.transactional(async (em) =>
      (await runStillRunning(em, input.workflowId)) &&
      this.outbox.enqueueStep(em, input, 'thank-you', {
        channel: MessageChannel.Email,
        purpose: MessagePurpose.Marketing,
        template: 'appreciation',
        payload: { offerCode: best?.code ?? null, discountPercent: best?.discountPercent ?? null },
      }),
    );
    return { offerCode: best?.code ?? null, matchedNewCustomerOffer: matchedNewCustomerOffer !== null };
  }
}
