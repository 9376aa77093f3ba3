import type { EntityManager } from '@mikro-orm/postgresql';
import { offersForExistingCustomer } from '../../domain/guards/fairness.js';
import { MessageChannel, MessagePurpose, Offer } from '../../entities/index.js';
import type { OutboxService } from '../outbox/outbox.service.js';

/** The appreciation playbook's side effect: one thank-you with the best offer, once per run. */
export class AppreciationService {
  constructor(
    private readonly em: EntityManager,
    private readonly outbox: OutboxService,
  ) {}

  /** Thanks the customer with the best offer an existing customer gets today, never less than what new customers get. */
  async thank(input: { workflowId: string; customerId: string }): Promise<{ offerCode: string | null; matchedNewCustomerOffer: boolean }> {
    const today = new Date().toISOString().slice(0, 10);
    const offers = await this.em.find(Offer, { discountPercent: { $ne: null } });
    const { offers: entitled, matchedNewCustomerOffer } = offersForExistingCustomer(
      offers.map((o) => ({ code: o.code, audience: o.audience, discountPercent: o.discountPercent ?? 0, validFrom: o.validFrom, validUntil: o.validUntil })),
      today,
    );
    const best = [...entitled].sort((a, b) => b.discountPercent - a.discountPercent || a.code.localeCompare(b.code))[0] ?? null;
    await this.em.transactional((em) =>
      this.outbox.enqueue(em, {
        idempotencyKey: `${input.workflowId}/thank-you`,
        customerId: input.customerId,
        channel: MessageChannel.Email,
        purpose: MessagePurpose.Marketing,
        template: 'appreciation',
        payload: { offerCode: best?.code ?? null, discountPercent: best?.discountPercent ?? null },
      }),
    );
    return { offerCode: best?.code ?? null, matchedNewCustomerOffer: matchedNewCustomerOffer !== null };
  }
}
