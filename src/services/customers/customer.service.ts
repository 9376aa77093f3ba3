import DataLoader from 'dataloader';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, type RawBuilder } from 'kysely';
import { canonicalLocale, CUSTOMER_NAME_MAX_LENGTH, isEmail, isTimeZone, normaliseEmail } from '../../domain/customers/contact.js';
import { Customer, CustomerStatus, MessagePurpose, OutboxMessage } from '../../entities/index.js';
import { AuditService, changedFields } from '../audit/audit.service.js';
import type { OrderService } from '../orders/order.service.js';
import type { ScoreService } from '../scores/score.service.js';
import { ChildPager } from '../common/child-pages.js';
import { encodeCursor, invalidCursor, pageWindow, windowCursor, windowPage, type CursorField, type CursorReading, type Page, type PageArgs, type PageWindow } from '../common/pagination.js';
import { PaginationException, PaginationExceptionCode } from '../common/pagination.exception.js';
import { readPrepared } from '../common/prepared.js';
import { projection, rowMapper, selectColumns } from '../common/read-model.js';
import { CustomerException, CustomerExceptionCode } from './customer.exception.js';
import { lookAgainInNewTimeZoneSql } from '../outbox/waiting-messages.js';
import { ScoreKind } from '../../domain/scoring/score-kind.js';
import { assertCustomerFilter, assertCustomerSort, customerSortKey, customerListTag, customerWhere, defaultCustomerSort, rfmSegmentOrder, type CustomerFilter, type CustomerSort, type SortKey } from './customer-query.js';

type Row = Record<string, unknown> & { id: string };
import { isUuid } from '../../domain/ids.js';
import { characterCount, echoed, hiddenCharacterProblem, MAX_REASON, reasonProblem } from '../../domain/text.js';

/** A score's value as its cursor holds it (what PostgreSQL reads as double precision; not "", " 1" or "0x10"). */
const DECIMAL = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i;


export function assertCustomerId(id: string, field?: string): void {
  if (!isUuid(id)) throw new CustomerException(CustomerExceptionCode.InvalidId, `"${echoed(id)}" is not a customer ID`, { id: echoed(id), ...(field ? { field } : {}) });
}

export interface CustomerContactPatch {
  name?: string | null;
  email?: string | null;
  phone?: string | null;
  timeZone?: string | null;
  locale?: string | null;
  marketingConsent?: boolean | null;
  /**
   * How the customer gave marketing consent (a call, a form, a letter): required when this change gives it where they had
   * none (after an opt-out or the unsubscribe link, or never given); audited as the change's reason, and shown as `how` in
   * their data export's consentHistory. Not taken with any other change: refused without `marketingConsent: true`, and
   * at most MAX_REASON characters whenever it is given.
   */
  consentReason?: string | null;
}

const CONTACT_FIELDS = ['name', 'email', 'phone', 'timeZone', 'locale', 'marketingConsent'] as const;

/** What a list page's caller reads of each customer, read in the page's own statement. */
export interface CustomerPageIncludes {
  /** The customer properties read (all when absent); the ID always. */
  fields?: readonly string[];
  /** The latest scores, with these fields (see ScoreService.latestFor). */
  scores?: { fields?: readonly string[] } | null;
  /** One page of each customer's orders, with these properties. */
  orders?: { page: PageArgs; fields?: readonly string[] } | null;
}

/** A rescore the current scores come from (see CustomerService.scoresGeneration); all null before the first. */
interface ScoresGeneration {
  runId: string | null;
  status: string | null;
  asOf: string | null;
}

/**
 * Refuses a page by a score (STALE_CURSOR) once a rescore has written current scores since the listing's first page, or
 * writes them now: it moves every customer's value, so a cursor's position skips those moved past it and lists twice
 * those moved back (a pass over 10,000 customers during a rescore reached 6,000 to 8,700 of them, each page answering as
 * if complete). A single customer's rescore (after a payment, a complaint) moves that customer only, as any change to a
 * sort key does, and is not asked.
 */
function assertScoresSettled(listedUnder: ScoresGeneration, now: ScoresGeneration, kind: ScoreKind, field: CursorField): void {
  const writing = now.status === 'running' || listedUnder.status === 'running';
  if (!writing && now.runId === listedUnder.runId) return;
  const when = now.status === 'running' ? 'a rescore is writing them now' : 'a rescore wrote them since its first page';
  throw new PaginationException(PaginationExceptionCode.StaleCursor, `This list is sorted by ${kind} scores and ${when} (as of ${now.asOf}): start again from the first page${now.status === 'running' ? ' once it has completed (scoringRuns)' : ''}`, {
    field,
    rescoreStatus: now.status,
    asOf: now.asOf,
  });
}

/** The saved segment whose members a customer list is: its cursors are that segment's. */
export interface ListedSegment {
  id: string;
  updatedAt: Date;
}

/**
 * The tag of a customer list's cursors, and how it reads them back. A segment's members carry the segment too, so that a
 * cursor of this segment taken before its filter was edited (by whoever: a marketer meanwhile) is told from a cursor of
 * another list: the list moved under the client, as after a rescore (STALE_CURSOR: start again), not the client's mistake.
 */
function listTagOf(sort: CustomerSort, filter: CustomerFilter, segment: ListedSegment | null): { tag: string; reading: CursorReading } {
  const listTag = customerListTag(sort, filter);
  if (!segment) return { tag: listTag, reading: {} };
  const ofSegment = `segment:${segment.id}|`;
  // The sort's tag without a filter: a cursor of the same sort under another filter is this tag, or it and the filter's hash.
  const sortTag = customerListTag(sort);
  return {
    tag: `${ofSegment}${listTag}`,
    reading: {
      staleIf: (tag, field) => {
        const rest = tag.startsWith(ofSegment) ? tag.slice(ofSegment.length) : null;
        if (rest === null || (rest !== sortTag && !rest.startsWith(`${sortTag}:`))) return null;
        return new PaginationException(PaginationExceptionCode.StaleCursor, "The segment's filter changed since this list's first page: start again from the first page", {
          field,
          segmentUpdatedAt: segment.updatedAt.toISOString(),
        });
      },
    },
  };
}

export class CustomerService {
  private readonly byId: DataLoader<string, Customer | null>;
  private readonly referrals: ChildPager<Customer>;
  private readonly toModel: (row: Record<string, unknown>) => Customer;

  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly scores: ScoreService,
    private readonly orders: OrderService,
    /**
     * Hears, after the commit, of a customer whose marketing consent was withdrawn (an opt-out, the unsubscribe link, an
     * update): a thank-you of theirs waiting for their quiet hours ends not thanked now, not at its deadline. One not told
     * (the engine unreachable) is told by the run reconciliation.
     */
    private readonly onConsentWithdrawn?: (customerId: string) => Promise<unknown>,
  ) {
    this.toModel = rowMapper(em, Customer);
    this.byId = new DataLoader(async (ids) => {
      const found = await em.find(Customer, { id: { $in: [...ids] } });
      // An ID may be written in capitals (a UUID is case-insensitive); PostgreSQL answers it in lower case.
      return ids.map((id) => found.find((c) => c.id === id.toLowerCase()) ?? null);
    });
    this.referrals = new ChildPager(em, Customer, {
      tag: 'referrals',
      table: 'customer',
      parentColumn: 'referrer_id',
      orderColumn: 'created_at',
      orderType: 'timestamptz',
      orderProperty: 'createdAt',
    });
  }

  /**
   * Customers matching a filter, in the given order, as a cursor page: one statement, which
   * also reads the included scores and orders of each customer on the page (a second
   * statement for totalCount, only when asked for).
   */
  async list(args: PageArgs & { filter?: CustomerFilter | null; sort?: CustomerSort | null; segment?: ListedSegment | null }, includes: CustomerPageIncludes = {}): Promise<Page<Customer>> {
    const window = pageWindow(args);
    const sort = args.sort ?? defaultCustomerSort;
    assertCustomerSort(sort);
    assertCustomerFilter(args.filter ?? {});
    const where = customerWhere(args.filter ?? {});
    const db = this.em.getKysely();
    const key = customerSortKey(sort);
    const { scores, orders } = includes;
    const ordersColumn = orders ? this.orders.pageColumn(sql`c.id`, orders.page, orders.fields) : null;
    const columns = [
      selectColumns(this.em, Customer, 'c', projection(this.em, Customer, includes.fields)),
      ...(scores ? [sql`${this.scores.latestColumn(sql`c.id`, scores.fields)} as _scores`] : []),
      ...(ordersColumn ? [sql`${ordersColumn} as _orders`] : []),
    ];
    const select = sql.join(columns);
    const { tag, reading } = listTagOf(sort, args.filter ?? {}, args.segment ?? null);
    const { rows, cursorOf } = key ? await this.byExpression(key, sort, tag, reading, where, window, select) : await this.byScore(sort, tag, reading, where, window, select);
    // Counting the whole filtered list costs a scan: only when the client asks for totalCount.
    let total: Promise<number> | undefined;
    const totalCount = () => (total ??= sql<{ n: string }>`select count(*) as n from customer c where ${where}`.execute(db).then((r) => Number(r.rows[0].n)));
    // Each customer's row, for its cursor: encoded only if a client reads it.
    const rowOf = new Map<Customer, Row>();
    const customers = rows.map((row) => {
      const customer = this.toModel(row);
      rowOf.set(customer, row);
      if (row._scores) this.scores.primeLatest(customer.id, scores!.fields, row._scores as Record<string, unknown>[]);
      if (row._orders) this.orders.primeForCustomer(customer.id, orders!.page, orders!.fields, row._orders as Record<string, unknown>[]);
      return customer;
    });
    return windowPage(customers, window, totalCount, (c) => cursorOf(rowOf.get(c)!));
  }

  /** Keyset page over a sort expression on the customer row (creation, name, tenure, revenue); backward, read in the reverse order. */
  private async byExpression(key: SortKey, sort: CustomerSort, tag: string, reading: CursorReading, where: RawBuilder<boolean>, window: PageWindow, select: RawBuilder<unknown>) {
    // The order the page is read in: the list's, or going backward its reverse.
    const ascending = (sort.direction === 'asc') !== window.backward;
    const dir = sql.raw(ascending ? 'asc' : 'desc');
    let beyond = sql<boolean>`true`;
    const cursor = windowCursor(window, tag, [key.cursor, 'uuid'], reading) as [string, string] | null;
    if (cursor) {
      const [value, id] = cursor;
      beyond = sql<boolean>`(${key.expr}, c.id) ${sql.raw(ascending ? '>' : '<')} (${value}::${sql.raw(key.type)}, ${id}::uuid)`;
    }
    const rows = await readPrepared(
      this.em,
      sql<Row>`
        select ${select}, ${key.expr}::text as _sort from customer c
        where ${where} and ${beyond}
        order by ${key.expr} ${dir}, c.id ${dir}
        limit ${sql.lit(window.size + 1)}`,
    );
    return { rows, cursorOf: (row: Row) => encodeCursor(tag, [String(row._sort), row.id]) };
  }

  /**
   * Keyset page by a score: first the customers with that score, read in score order
   * from current_score's (kind, value) index, then, once those run out, the ones
   * without a value of it (by ID), so unscored customers come last in either direction. The
   * cursor says which part it is in. Backward the parts are read the other way round (the
   * unscored ones before the cursor first, then the scored ones), each in the reverse order.
   */
  private async byScore(sort: CustomerSort, tag: string, reading: CursorReading, where: RawBuilder<boolean>, window: PageWindow, select: RawBuilder<unknown>) {
    const kind = sort.scoreKind ?? ScoreKind.ChurnRisk;
    // RFM by segment, then by the code within it (`rfmSegmentOrder`, read from its own index); every other score by its value.
    const value = kind === ScoreKind.Rfm ? rfmSegmentOrder('cs') : sql`cs.value`;
    const ofKind = kind === ScoreKind.Rfm ? sql`cs.kind = 'rfm'` : sql`cs.kind = ${kind}`;
    const ascending = (sort.direction === 'asc') !== window.backward;
    const dir = sql.raw(ascending ? 'asc' : 'desc');
    const op = sql.raw(ascending ? '>' : '<');
    // Without a cursor, each part whole; the part the cursor is in from it; the part read before it (none left), the part after it (all).
    let scoredBeyond = sql<boolean>`true`;
    let unscoredBeyond = sql<boolean>`true`;
    // The rescore whose scores the listing's first page read (its cursors carry it), so a later page can tell whether one has moved them since.
    const now = await this.scoresGeneration();
    let listedUnder = now;
    const cursor = windowCursor(window, tag, ['text', 'any', 'uuid', 'any', 'any'], reading) as ['scored' | 'unscored', string | null, string, string | null, string | null] | null;
    if (cursor) {
      const [part, position, id, runId, status] = cursor;
      // A scored customer's cursor holds the score's value (its place in the order), an unscored one's none.
      if (!(part === 'scored' ? typeof position === 'string' && DECIMAL.test(position) && Number.isFinite(Number(position)) : part === 'unscored')) throw invalidCursor(window.cursor!, window.field);
      if (![runId, status].every((v) => v === null || typeof v === 'string')) throw invalidCursor(window.cursor!, window.field);
      listedUnder = { runId, status, asOf: null };
      assertScoresSettled(listedUnder, now, kind, window.field);
      if (part === 'scored') {
        scoredBeyond = sql<boolean>`(${value}, cs.customer_id) ${op} (${position}::double precision, ${id}::uuid)`;
        // Going backward from a scored customer, no unscored one comes before it.
        if (window.backward) unscoredBeyond = sql<boolean>`false`;
      } else {
        unscoredBeyond = sql<boolean>`c.id ${op} ${id}::uuid`;
        // Going forward from an unscored customer, no scored one comes after it.
        if (!window.backward) scoredBeyond = sql<boolean>`false`;
      }
    }
    const limit = window.size + 1;
    // The first part read takes the page size as a literal (one prepared shape per size); the second, read only once the
    // first runs out (once per listing), its varying remainder as a parameter, so it does not use up prepared shapes.
    const scoredRows = (n: RawBuilder<unknown>) =>
      readPrepared(
        this.em,
        sql<Row>`
          select ${select}, 1 as _part, (${value})::text as _value_text
            from current_score cs join customer c on c.id = cs.customer_id
           where ${ofKind} and cs.value is not null and ${where} and ${scoredBeyond}
           order by ${value} ${dir}, cs.customer_id ${dir} limit ${n}`,
      );
    const unscoredRows = (n: RawBuilder<unknown>) =>
      readPrepared(
        this.em,
        sql<Row>`
          select ${select}, 2 as _part, null as _value_text from customer c
           where ${where} and ${unscoredBeyond}
             and not exists (select 1 from current_score x where x.customer_id = c.id and x.kind = ${kind} and x.value is not null)
           order by c.id ${dir} limit ${n}`,
      );
    const [firstPart, secondPart] = window.backward ? [unscoredRows, scoredRows] : [scoredRows, unscoredRows];
    const read = await firstPart(sql.lit(limit));
    const rows = read.length < limit ? [...read, ...(await secondPart(sql`${limit - read.length}`))] : read;
    return {
      rows,
      cursorOf: (row: Row) => encodeCursor(tag, [Number(row._part) === 1 ? 'scored' : 'unscored', (row._value_text as string | null) ?? null, row.id, listedUnder.runId, listedUnder.status]),
    };
  }

  /**
   * The rescore the current scores are from, or being written by: the last one started of the newest day scored (or a
   * later day), whatever its status; a rescore as of an earlier day (a backfill) writes no current score. Told by the run
   * and its status, not by times: a rescore's last scores may commit after its record's finishing time.
   */
  private async scoresGeneration(): Promise<ScoresGeneration> {
    const { rows } = await sql<{ id: string; status: string; as_of: string }>`
      select r.id, r.status::text, r.as_of::text from scoring_run r
       where r.as_of >= coalesce((select max(as_of) from scoring_run where status = 'completed'), '-infinity'::date)
       order by r.started_at desc, r.id desc limit 1`.execute(this.em.getKysely());
    return rows.length ? { runId: rows[0].id, status: rows[0].status, asOf: rows[0].as_of } : { runId: null, status: null, asOf: null };
  }

  async find(id: string, field?: string): Promise<Customer | null> {
    assertCustomerId(id, field);
    return this.byId.load(id);
  }

  /**
   * The customer read again from the database, for an answer after something else (a run's step,
   * in the worker) changed them: the copy this request loaded before is brought up to date.
   */
  async refresh(id: string): Promise<void> {
    const customer = await this.find(id);
    if (customer) await this.em.refresh(customer);
  }

  /** The customer; `field` names the argument that gave the ID (`customerId`) in an error about it. */
  async get(id: string, field?: string): Promise<Customer> {
    const customer = await this.find(id, field);
    if (!customer) throw new CustomerException(CustomerExceptionCode.NotFound, `No customer with ID ${id}`, { id, ...(field ? { field } : {}) });
    return customer;
  }

  /** Who brought the customer in (batched across a page). */
  async referrerOf(customer: Customer): Promise<Customer | null> {
    return customer.referrer ? this.byId.load(customer.referrer.id) : null;
  }

  /** The customers this one brought in, newest first. */
  async referralsOf(customerId: string, args: PageArgs): Promise<Page<Customer>> {
    return this.referrals.page(customerId, args);
  }

  /**
   * The customer opts out of marketing (an unsubscribe link, a call): consent is withdrawn and
   * the marketing messages still queued for them are held back now, so none goes out after
   * it; service messages (a payment reminder) still go. Idempotent; audited when it changed something.
   */
  async optOut(id: string, actor: string): Promise<Customer> {
    const customer = await this.em.transactional(async (em) => {
      const customer = await lockedCustomer(em, id, 'customerId');
      const held = await em.nativeUpdate(OutboxMessage, { customer: id, purpose: MessagePurpose.Marketing, sentAt: null, suppressedAt: null }, { suppressedAt: new Date(), suppressedReason: OPTED_OUT });
      if (customer.marketingConsent || held > 0) {
        this.audit.record(em, { actor, action: 'customer.opt-out', entityType: 'customer', entityId: id, before: { marketingConsent: customer.marketingConsent }, after: { marketingConsent: false, queuedMarketingHeldBack: held } });
      }
      customer.marketingConsent = false;
      return customer;
    });
    await this.consentWithdrawn(id);
    return customer;
  }

  /** Tells what waits on the customer's consent that it is gone; a failure to tell is left to the run reconciliation. */
  private async consentWithdrawn(id: string): Promise<void> {
    await this.onConsentWithdrawn?.(id.toLowerCase()).catch(() => undefined);
  }

  /** Changes contact data and marketing consent; audited with before and after. Erased data stays erased (CONFLICT). */
  async updateContact(id: string, patch: CustomerContactPatch, actor: string): Promise<Customer> {
    const clean = validateContactPatch(patch);
    let withdrawn = false;
    const updated = await this.em.transactional(async (em) => {
      const customer = await lockedCustomer(em, id);
      if (customer.status === CustomerStatus.Erased) throw new CustomerException(CustomerExceptionCode.Erased, `The personal data of customer ${id} was erased: it is not entered again`, { id });
      const before = Object.fromEntries(CONTACT_FIELDS.map((f) => [f, customer[f]]));
      // Consent given where the customer had none is marketing sent on a person's word: they say how it was given, as
      // the import's "a file that still says yes does not give it back" holds a CRM to the same.
      const consentGiven = clean.marketingConsent === true && !customer.marketingConsent;
      const consentReason = consentGiven ? givenConsentReason(patch.consentReason) : null;
      em.assign(customer, clean);
      const after = Object.fromEntries(CONTACT_FIELDS.map((f) => [f, customer[f]]));
      const diff = changedFields(before, after);
      if (Object.keys(diff.after).length > 0) {
        this.audit.record(em, { actor, action: 'customer.update', entityType: 'customer', entityId: id, before: diff.before, after: consentReason ? { ...diff.after, reason: consentReason } : diff.after });
      }
      if ('timeZone' in diff.after) await em.execute(lookAgainInNewTimeZoneSql('m.customer_id = ?'), [id]);
      withdrawn = diff.after.marketingConsent === false;
      return customer;
    });
    if (withdrawn) await this.consentWithdrawn(id);
    return updated;
  }
}

/**
 * The customer's row, read through `em` (VALIDATION for a malformed ID, NOT_FOUND without one); locked for the rest of the
 * transaction with `lock` (`share`: others may read and share it, but not change it, e.g. erase it, until this commits).
 */
export async function storedCustomer(em: EntityManager, id: string, options: { lock?: boolean | 'share' | 'reference'; field?: string } = {}): Promise<Customer> {
  assertCustomerId(id);
  // `true`: for no key update, which an import holding the customers its file names (for key share) does not wait for, nor it
  // for this: an edit waits for no import. `reference`: for update, for what takes the customer's reference (an erasure),
  // which such an import must see come first or wait for.
  if (options.lock === true) await em.execute(`select 1 from customer where id = ? for no key update`, [id]);
  const lockMode = options.lock === 'share' ? LockMode.PESSIMISTIC_READ : options.lock === 'reference' ? LockMode.PESSIMISTIC_WRITE : undefined;
  const customer = await em.findOne(Customer, { id }, lockMode ? { lockMode } : options.lock ? { refresh: true } : {});
  // (`field`: the argument that named the customer, for a form: `id`, or an input's `customerId`.)
  if (!customer) throw new CustomerException(CustomerExceptionCode.NotFound, `No customer with ID ${id}`, { id, field: options.field ?? 'id' });
  return customer;
}

/** The customer's row, locked for the rest of the transaction. */
export function lockedCustomer(em: EntityManager, id: string, field = 'id'): Promise<Customer> {
  return storedCustomer(em, id, { lock: true, field });
}

/** The reason given for marketing consent given where there was none, trimmed; VALIDATION (field `consentReason`) without one. */
function givenConsentReason(reason: string | null | undefined): string {
  const why = (reason ?? '').trim();
  const problem = reasonProblem(why, 'Giving marketing consent needs consentReason: how the customer gave it (a call, a form, a letter)');
  if (problem) throw new CustomerException(CustomerExceptionCode.InvalidInput, problem, { field: 'consentReason' });
  return why;
}

/** Why a queued marketing message was held back when its customer opted out (the delivery guard's wording). */
const OPTED_OUT = 'no-consent: the customer opted out';

/**
 * Checks a contact patch field by field; null means "leave as is", except for phone where it
 * clears it. Every field it refuses is named at once (`fields`), so a form shows them together.
 */
function validateContactPatch(patch: CustomerContactPatch): Partial<Customer> {
  const clean: Partial<Customer> = {};
  const refused: { field: string; messages: string[] }[] = [];
  const refuse = (field: string, message: string) => refused.push({ field, messages: [message] });
  if (patch.name != null) {
    // Written into e-mails ("Hello <name>,"), their sender's display name and the lists: no control or invisible characters,
    // as the import refuses them in a name; letters of every script pass, and a joiner between two of them (Persian, emoji).
    // Stored in NFC, as the import stores one and the search looks for it: "Grünwald" sent with a decomposed ü (macOS, some
    // input methods) is found by "grünwald" typed on a keyboard. Letters are kept as written otherwise.
    // Refused before it is normalised when far too long (a pasted megabyte): NFC makes no name within the limit more than
    // a few times as long as it was sent decomposed.
    const name = patch.name.length > 4 * CUSTOMER_NAME_MAX_LENGTH ? null : patch.name.trim().normalize('NFC');
    const hidden = name && hiddenCharacterProblem(name, 'A name', { joiners: true });
    // Counted as stored, as the import counts it: NFC writes some letters as two (the Devanagari "क़", a Hebrew presentation
    // form), so a name within the bound as typed can be over it in NFC.
    const length = name === null ? null : characterCount(name);
    if (name === null || length! > CUSTOMER_NAME_MAX_LENGTH) refuse('name', `name is at most ${CUSTOMER_NAME_MAX_LENGTH} characters in Unicode NFC${length === null ? '' : ` (this one has ${length})`}`);
    else if (!name) refuse('name', 'name must not be empty');
    else if (hidden) refuse('name', hidden);
    else clean.name = name;
  }
  if (patch.email != null) {
    const email = normaliseEmail(patch.email);
    if (isEmail(email)) clean.email = email;
    else refuse('email', `"${echoed(patch.email)}" is not an e-mail address`);
  }
  if (patch.phone !== undefined) clean.phone = patch.phone?.trim() || null;
  if (patch.timeZone != null) {
    if (isTimeZone(patch.timeZone)) clean.timeZone = patch.timeZone;
    else refuse('timeZone', `"${echoed(patch.timeZone)}" is not an IANA time zone`);
  }
  if (patch.locale != null) {
    const locale = canonicalLocale(patch.locale);
    if (locale) clean.locale = locale;
    else refuse('locale', `"${echoed(patch.locale)}" is not a language tag (e.g. "de" or "de-AT")`);
  }
  if (patch.consentReason != null) {
    // How consent was given goes with giving it: sent with anything else it would be neither stored nor audited while the
    // form said "saved", so it is refused; and it is bounded whether used or not (free text is).
    const reason = patch.consentReason.trim();
    const length = characterCount(reason);
    if (length > MAX_REASON) refuse('consentReason', `consentReason is at most ${MAX_REASON} characters (this one has ${length})`);
    else if (reason && patch.marketingConsent !== true) refuse('consentReason', 'consentReason goes with marketingConsent: true, giving consent where the customer has none: it says how they gave it');
  }
  if (refused.length) {
    throw new CustomerException(CustomerExceptionCode.InvalidInput, refused.flatMap((r) => r.messages).join('; '), { field: refused[0].field, fields: refused });
  }
  if (patch.marketingConsent != null) clean.marketingConsent = patch.marketingConsent;
  return clean;
}
