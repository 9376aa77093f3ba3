import type { EntityManager } from '@mikro-orm/postgresql';
import { bestOfferForExistingCustomer, offersForExistingCustomer, type OfferTerms } from '../../domain/guards/fairness.js';
import { Offer } from '../../entities/index.js';

/** The offers playbooks may make, through the fairness rule: an existing customer never gets less than a new one. */
export class OfferService {
  constructor(private readonly em: EntityManager) {}

  /** The best discount offer an existing customer gets on `day`, and the new-customer offer it matches, if any. */
  async bestForExistingCustomer(day: string): Promise<{ best: OfferTerms | null; matchedNewCustomerOffer: OfferTerms | null }> {
    const offers = (await this.em.find(Offer, { discountPercent: { $ne: null } })).map(
      (o): OfferTerms => ({ code: o.code, audience: o.audience, discountPercent: o.discountPercent ?? 0, validFrom: o.validFrom, validUntil: o.validUntil }),
    );
    return { best: bestOfferForExistingCustomer(offers, day), matchedNewCustomerOffer: offersForExistingCustomer(offers, day).matchedNewCustomerOffer };
  }
}
