import DataLoader from 'dataloader';
import { sql } from 'kysely';
import { LockMode, UniqueConstraintViolationException, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { bestDiscountFirst, bestOfferForExistingCustomer, offersForExistingCustomer, type OfferTerms } from '../../domain/guards/fairness.js';
import { isUuid } from '../../domain/ids.js';
import type { NewCustomerTerms } from '../../domain/messages/template.js';
import { beforeEarliestDay, tooEarly } from '../../domain/earliest-day.js';
import { CustomerStatus, Offer, OfferAudience, type ServiceTier } from '../../entities/index.js';
import { AuditService } from '../audit/audit.service.js';
import { keysetPage } from '../common/keyset-page.js';
import { scopedTag, type Page, type PageArgs } from '../common/pagination.js';
import { OfferException, OfferExceptionCode } from './offer.exception.js';
import { characterCount, echoed, hiddenCharacterProblem } from '../../domain/text.js';
import { DISCOUNT_PERCENT, MAX_OFFER_DESCRIPTION, MAX_TRANSLATED_NAMES, messagesLanguage, NAME_LANGUAGE, OFFER_CODE, OFFER_CODE_RULE, OFFER_NAME_MAX_LENGTH } from '../../domain/offers/offer-text.js';
import { promisedOfferSql, promisedUntilSql } from './offer-promises.js';

export interface OfferInput {
  code: string;
  name: string;
  /** Its name in other languages (`de`), for messages in them; one per language. */
  translatedNames?: { language: string; name: string }[] | null;
  description?: string | null;
  audience: OfferAudience;
  discountPercent?: number | null;
  serviceTier?: ServiceTier | null;
  /** YYYY-MM-DD, first and last day it can be made (open-ended without validUntil). */
  validFrom: string;
  validUntil?: string | null;
}

export interface OfferListArgs extends PageArgs {
  /** Only offers valid on this day (YYYY-MM-DD). */
  activeOn?: string | null;
  audience?: OfferAudience[] | null;
}

const today = () => new Date().toISOString().slice(0, 10);

/** An offer an existing customer may be given today, and whether it is a new customers' offer matched for them. */
export interface EntitledOffer {
  offer: Offer;
  matchesNewCustomerOffer: boolean;
}

/**
 * What the company offers, to whom and when: marketers create and end offers; the
 * playbooks make them through the fairness rule (an existing customer never gets less
 * than a new one), so a new-customer deal is matched for existing customers from its first day.
 */
export class OfferService {
  /** Per request (services are): the customers of a page asked together, their tiers in one statement. */
  private readonly entitledByCustomer = new DataLoader<string, EntitledOffer[]>((ids) => this.loadEntitled(ids));
  private discountOffersToday?: Promise<{ day: string; offers: Offer[] }>;

  constructor(
    private readonly em: EntityManager,
    private readonly audit = new AuditService(),
  ) {}

  /**
   * What the customer may be offered today under the fairness rule, the biggest discount first: the existing and
   * all customers' discount offers open today that leave them on their tier, and the best new customers' offer when
   * it beats those (marked as matched), so staff and front ends can honour it after the year's thank-you was written.
   * None for a customer who left or was erased; an empty list for an unknown ID.
   */
  entitledFor(customerId: string): Promise<EntitledOffer[]> {
    return this.entitledByCustomer.load(customerId);
  }

  private async loadEntitled(ids: readonly string[]): Promise<EntitledOffer[][]> {
    const [{ day, offers }, customers] = await Promise.all([
      this.openDiscountOffers(),
      // Read as rows, not entities: the page's customers stay as the page loaded them.
      sql<{ id: string; service_tier: string; status: string }>`select id, service_tier, status from customer where id = any(${[...ids]}::uuid[])`
        .execute(this.em.getKysely())
        .then((r) => r.rows),
    ]);
    const byCode = new Map(offers.map((o) => [o.code, o]));
    const terms = offers.map(termsOf);
    // The rule is the same for every customer of a tier: worked out once per tier on the page.
    const byTier = new Map<string, EntitledOffer[]>();
    const forTier = (tier: string) => {
      let entitled = byTier.get(tier);
      if (!entitled) {
        const { offers: own, matchedNewCustomerOffer } = offersForExistingCustomer(terms, day, tier);
        entitled = [...own]
          .sort(bestDiscountFirst)
          .map((t) => ({ offer: byCode.get(t.code)!, matchesNewCustomerOffer: t === matchedNewCustomerOffer }));
        byTier.set(tier, entitled);
      }
      return entitled;
    };
    const byId = new Map(customers.map((c) => [c.id, c]));
    return ids.map((id) => {
      const c = byId.get(id);
      if (!c || c.status === CustomerStatus.Offboarded || c.status === CustomerStatus.Erased) return [];
      return forTier(c.service_tier);
    });
  }

  /** The discount offers open today, read once per request (the offers table is small). */
  private openDiscountOffers(): Promise<{ day: string; offers: Offer[] }> {
    const day = today();
    return (this.discountOffersToday ??= this.em
      .find(Offer, { discountPercent: { $ne: null }, validFrom: { $lte: day }, $or: [{ validUntil: null }, { validUntil: { $gte: day } }] })
      .then((offers) => ({ day, offers })));
  }

  /**
   * The best discount offer an existing customer gets on `day` (keeping their tier, when given), and the new-customer offer
   * it matches, if any; with `openUntil`, of the offers still open on that day too (an offer ending sooner is left out, a
   * new customers' one as well: it is gone before the customer could use it).
   */
  async bestForExistingCustomer(day: string, keepingTier?: string, openUntil?: string): Promise<{ best: OfferTerms | null; matchedNewCustomerOffer: OfferTerms | null }> {
    const offers = (await this.em.find(Offer, { discountPercent: { $ne: null } })).map(termsOf).filter((o) => !openUntil || !o.validUntil || o.validUntil >= openUntil);
    return { best: bestOfferForExistingCustomer(offers, day, keepingTier), matchedNewCustomerOffer: offersForExistingCustomer(offers, day, keepingTier).matchedNewCustomerOffer };
  }

  /** Every offer's terms (a change of tier without a discount at 0%), for a playbook's rule to choose from. */
  async terms(): Promise<OfferTerms[]> {
    return (await this.em.find(Offer, {})).map(termsOf);
  }

  /**
   * How messages to an existing customer name `offer`, as their payload carries it: its own name and its translations
   * (`offerNames`, absent without any), each message picking the one of the language it is written in when it is written
   * out, so a reader whose locale changed meanwhile, or a team's English task, reads the name of its own language. None for
   * a new customers' offer matched for them (what a newcomer gets, they get too): quoted by its code and discount, as its
   * name ("your first three months") speaks to newcomers.
   */
  async naming(offer: Pick<OfferTerms, 'code' | 'audience'>): Promise<{ offerName?: string; offerNames?: Record<string, string> }> {
    if (offer.audience === OfferAudience.NewCustomers) return {};
    const { name, translatedNames } = await this.em.findOneOrFail(Offer, { code: offer.code }, { fields: ['name', 'translatedNames'] });
    return { offerName: name, ...(translatedNames ? { offerNames: translatedNames } : {}) };
  }

  /**
   * A new customers' offer matched for an existing customer, its terms as newcomers read them (`newCustomerTerms`: its
   * name, its translations, its description: what it applies to, for how long): its name speaks to newcomers, so a
   * message quotes it by code (`naming`) and states these terms, the customer knowing what they take. Nothing for
   * any other offer, which its name says.
   */
  async newCustomerTerms(offer: Pick<OfferTerms, 'code' | 'audience'>): Promise<{ newCustomerTerms?: NewCustomerTerms }> {
    if (offer.audience !== OfferAudience.NewCustomers) return {};
    const { name, translatedNames, description } = await this.em.findOneOrFail(Offer, { code: offer.code }, { fields: ['name', 'translatedNames', 'description'] });
    return { newCustomerTerms: { name, ...(translatedNames ? { names: translatedNames } : {}), ...(description ? { description } : {}) } };
  }

  /** Offers, latest first (by first day, then code), optionally only those valid on a day or for some audiences. */
  list(args: OfferListArgs): Promise<Page<Offer>> {
    const where: FilterQuery<Offer>[] = [];
    if (args.activeOn) where.push({ validFrom: { $lte: args.activeOn } }, { $or: [{ validUntil: null }, { validUntil: { $gte: args.activeOn } }] });
    if (args.audience?.length) where.push({ audience: { $in: args.audience } });
    return keysetPage(this.em, Offer, { tag: scopedTag('offers', { activeOn: args.activeOn, audience: args.audience }), where: { $and: where }, key: { property: 'validFrom', direction: 'desc', cursor: 'day' }, tiebreaker: { property: 'code', direction: 'asc' } }, args);
  }

  /** A new offer; its code is unique (CONFLICT otherwise). Audited. */
  async create(input: OfferInput, actor: string): Promise<Offer> {
    const code = input.code.trim().toUpperCase();
    if (!OFFER_CODE.test(code)) throw invalid('code', `code must be ${OFFER_CODE_RULE}, e.g. "LOYAL10"`);
    const name = shownName(input.name, 'name', "An offer's name");
    const translatedNames = checkedTranslations(input.translatedNames ?? []);
    const discount = input.discountPercent ?? null;
    if (discount !== null && !(Number.isInteger(discount) && discount >= DISCOUNT_PERCENT.min && discount <= DISCOUNT_PERCENT.max)) {
      throw invalid('discountPercent', `discountPercent must be a whole number from ${DISCOUNT_PERCENT.min} to ${DISCOUNT_PERCENT.max}`);
    }
    if (discount === null && !input.serviceTier) throw invalid('discountPercent', 'An offer is a discount, a change of service tier, or both: give discountPercent or serviceTier');
    const description = input.description?.trim() || null;
    if (description && characterCount(description) > MAX_OFFER_DESCRIPTION) throw invalid('description', `description must be at most ${MAX_OFFER_DESCRIPTION} characters`);
    if (beforeEarliestDay(input.validFrom)) throw invalid('validFrom', tooEarly('validFrom'));
    if (input.validUntil && input.validUntil < input.validFrom) throw invalid('validUntil', 'validUntil must not be before validFrom');
    try {
      return await this.em.transactional(async (em) => {
        const offer = em.create(Offer, {
          code,
          name,
          translatedNames,
          description,
          audience: input.audience,
          discountPercent: discount,
          serviceTier: input.serviceTier ?? null,
          validFrom: input.validFrom,
          validUntil: input.validUntil ?? null,
        });
        this.audit.record(em, { actor, action: 'offer.create', entityType: 'offer', entityId: offer.id, after: { code, translatedNames, audience: offer.audience, discountPercent: discount, serviceTier: offer.serviceTier, validFrom: offer.validFrom, validUntil: offer.validUntil } });
        return offer;
      });
    } catch (error) {
      // The unique index decides, also between two marketers creating the same code at once.
      if (error instanceof UniqueConstraintViolationException) throw new OfferException(OfferExceptionCode.CodeTaken, `An offer with code ${code} exists`, { field: 'code', offerCode: code });
      throw error;
    }
  }

  /**
   * Withdraws an offer: its last day becomes `on` (default today); one already ending by
   * then is a CONFLICT. An offer ended before its first day is never made. Audited. The row is
   * held from the check to the write: of two ends at the same moment, the second sees the first's.
   * The day is kept as ended here (`endedHereOn`): an offers import of a source system that does
   * not know of the end yet does not open the offer again (docs/import.md).
   */
  async end(id: string, actor: string, on: string = today()): Promise<Offer> {
    if (!isUuid(id)) throw new OfferException(OfferExceptionCode.NotFound, `"${echoed(id)}" is not an offer ID`, { id: echoed(id), field: 'id' });
    if (beforeEarliestDay(on)) throw new OfferException(OfferExceptionCode.InvalidInput, tooEarly('on'), { field: 'on' });
    return this.em.transactional(async (em) => {
      const offer = await em.findOne(Offer, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!offer) throw new OfferException(OfferExceptionCode.NotFound, `No offer with ID ${id}`, { id, field: 'id' });
      if (offer.validUntil && offer.validUntil <= on) {
        throw new OfferException(OfferExceptionCode.AlreadyEnded, `Offer ${offer.code} already ends on ${offer.validUntil}`, { id, validUntil: offer.validUntil });
      }
      // Thank-yous told customers the offer "is yours until" a day: it is not ended before the latest such day.
      const [promised] = await em.execute<{ until: string | null; customers: string }[]>(
        `select to_char(max(${promisedUntilSql('m')}), 'YYYY-MM-DD') as until, count(distinct m.customer_id)::text as customers from outbox_message m
          where ${promisedOfferSql('m', '?')} and ${promisedUntilSql('m')} > ?::date`,
        [offer.code, on],
      );
      if (promised?.until) {
        throw new OfferException(
          OfferExceptionCode.Promised,
          `Offer ${offer.code} was promised to ${promised.customers} customer${promised.customers === '1' ? '' : 's'} in their thank-you until ${promised.until}: end it on that day or later`,
          { id, field: 'on', promisedUntil: promised.until, customers: Number(promised.customers) },
        );
      }
      this.audit.record(em, { actor, action: 'offer.end', entityType: 'offer', entityId: id, before: { validUntil: offer.validUntil ?? null }, after: { validUntil: on } });
      offer.validUntil = on;
      offer.endedHereOn = on;
      return offer;
    });
  }

  /**
   * Sets the offer's names in other languages (those given replace all it had; none: only its own name), checked as at
   * its creation: an offer imported, or made before names had translations, gets them so. Messages written from then on
   * quote them; one written before keeps the names it was written with. Audited.
   */
  async setTranslatedNames(id: string, given: { language: string; name: string }[], actor: string): Promise<Offer> {
    if (!isUuid(id)) throw new OfferException(OfferExceptionCode.NotFound, `"${echoed(id)}" is not an offer ID`, { id: echoed(id), field: 'id' });
    const translatedNames = checkedTranslations(given);
    return this.em.transactional(async (em) => {
      const offer = await em.findOne(Offer, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!offer) throw new OfferException(OfferExceptionCode.NotFound, `No offer with ID ${id}`, { id, field: 'id' });
      this.audit.record(em, { actor, action: 'offer.translated-names', entityType: 'offer', entityId: id, before: { translatedNames: offer.translatedNames ?? null }, after: { translatedNames } });
      offer.translatedNames = translatedNames;
      return offer;
    });
  }
}

/** An offer as the fairness rule and the playbooks' choices read it (a change of tier without a discount at 0%). */
const termsOf = (o: Offer): OfferTerms => ({ code: o.code, audience: o.audience, discountPercent: o.discountPercent ?? 0, validFrom: o.validFrom, validUntil: o.validUntil, serviceTier: o.serviceTier ?? null });

/**
 * A name as messages quote it, trimmed and in Unicode NFC (as the offers import stores it, so that importing the same
 * name again changes nothing): 1 to OFFER_NAME_MAX_LENGTH characters, written into the customers' e-mails as it is, so
 * no control or invisible characters (a joiner in an emoji is spelling).
 */
function shownName(value: string, field: string, label: string): string {
  const name = value.trim().normalize('NFC');
  if (!name || characterCount(name) > OFFER_NAME_MAX_LENGTH) throw invalid(field, `${label} must be 1 to ${OFFER_NAME_MAX_LENGTH} characters`);
  const hidden = hiddenCharacterProblem(name, label, { joiners: true });
  if (hidden) throw invalid(field, hidden);
  return name;
}

/** The translations as stored (by language), each checked as the name is; null without any. */
function checkedTranslations(given: { language: string; name: string }[]): Record<string, string> | null {
  if (given.length > MAX_TRANSLATED_NAMES) throw invalid('translatedNames', `at most ${MAX_TRANSLATED_NAMES} translations of the name`);
  const names: Record<string, string> = {};
  for (const t of given) {
    const language = t.language.trim().toLowerCase();
    const known = NAME_LANGUAGE.test(language) ? messagesLanguage(language) : null;
    if (!known) throw invalid('translatedNames', `"${echoed(t.language)}" is not a language: give its code as in a customer's locale, 2 letters where it has them (de for de-AT)`);
    // A customer's locale is kept in its canonical form, so a name under another code (deu for de) would never be read.
    if (known !== language) throw invalid('translatedNames', `${language}: use the ${known.length === 2 ? 'two-letter ' : ''}code ${known}, as a customer's locale names the language`);
    if (language in names) throw invalid('translatedNames', `the name is translated into ${language} twice`);
    names[language] = shownName(t.name, 'translatedNames', `The offer's ${language} name`);
  }
  return given.length ? names : null;
}

/** A refusal of the offer's input, naming its field. */
function invalid(field: string, message: string): OfferException {
  return new OfferException(OfferExceptionCode.InvalidInput, message, { field });
}
