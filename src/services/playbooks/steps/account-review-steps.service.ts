import { randomUUID } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { dayIn } from '../../../domain/billing/paid-day.js';
import { writeWhenItGoes } from '../../../domain/guards/contact-guard.js';
import { offerThatHelps, tierChangeOffer } from '../../../domain/playbooks/account-offer.js';
import { money } from '../../../domain/scoring/format.js';
import { noticeEndDay, proposalHeldBackAtDelivery, type NoticeEnded, type OffboardingCompletion, type OffboardingDecision, type OffboardingStart, type Proposal } from '../../../domain/playbooks/account-review.js';
import type { OfferTerms } from '../../../domain/guards/fairness.js';
import { NOTICE_ENDED_EARLY, PROPOSAL_ANSWERED, PROPOSAL_DECLINED, PROPOSAL_HELD_AT_COMPLAINT } from '../../../domain/messages/catalogue.js';
import { MESSAGE_RELEASED } from '../../outbox/message-audit.js';
import { stepMessageKey } from '../../../domain/playbooks/run-id.js';
import { Customer, CustomerExport, CustomerStatus, MessageChannel, MessagePurpose, OutboxMessage, ServiceTier, ServiceTierChange, TierChangeSource } from '../../../entities/index.js';
import { customerDocument } from '../../customers/customer-data-export.service.js';
import { lockedCustomer } from '../../customers/customer.service.js';
import type { AuditService } from '../../audit/audit.service.js';
import { OfferService } from '../../offers/offer.service.js';
import type { ContactStatusService } from '../../outbox/contact-status.service.js';
import type { OutboxService } from '../../outbox/outbox.service.js';
import type { CustomerRescoreService } from '../../scores/customer-rescore.service.js';
import { finalInvoiceFacts } from '../final-invoice.js';
import { reasonEntryProblem } from '../offboarding-decision.js';
import { holdBackAnnouncements, lastOffboardingWord, offboardingStands, withdrawOffboardingOnCancel } from '../offboarding-withdrawal.js';
import { runStillRunning } from '../running-run.js';
import { AccountReviewJudgement, reviewFigure, type AccountJudgement } from '../account-review-judgement.service.js';
import { openIssuesText } from '../open-issues.js';
import { runActor } from '../../../domain/auth/roles.js';

/** The account-review playbook's side effects; each is idempotent per run and step, and writes nothing once the run no longer runs (`runStillRunning`). */
export class AccountReviewSteps {
  constructor(
    private readonly em: EntityManager,
    private readonly scoring: CustomerRescoreService,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    private readonly contactStatus: ContactStatusService,
    /** The currency of amounts in the data export's message texts (the money policy's). */
    private readonly currency: string,
    /** The days after its day a promise to pay holds the reminders (the promise policy's): the data export's promises kept. */
    private readonly promiseGraceDays: number,
    /** The team that owns customer relationships (the account review policy's): a customer to whom nothing could be proposed is theirs to talk to. */
    private readonly relationshipTeam: string,
  ) {}

  private readonly judgement = new AccountReviewJudgement(this.em, this.scoring);

  /**
   * Profitability over the last year, rescored now, with the cheaper tier the model suggests; a
   * customer who accepted the review's cheaper tier judged as on it for the whole window
   * (AccountReviewJudgement). An account not judged (no order carries a margin) is `valueMinor`
   * null, with why (`notJudged`): a missing margin is not a profitable account, and the run ends
   * `not-judged` rather than "turned around" (runs before that change read it as 0, from a number). `lossMaking`: its band is
   * `loss-making` (a loss too small to be material is `break-even`), for a judged account.
   */
  async profitability(customerId: string): Promise<{ valueMinor: number | null; suggestedTier: string | null; notJudged?: string; basis?: string; lossMaking?: boolean }> {
    const judged = await this.judgement.judge(customerId);
    // How it was judged when not on the plain window: the run keeps it with the figure (profitabilityBasis).
    return { ...reviewFigure(judged), suggestedTier: judged.suggestedTier };
  }

  /**
   * Puts a cheaper service concept to the customer (a service message about their contract: no
   * marketing consent or contact budget needed, but not while a complaint or fix case of theirs is
   * open, as an offer is not either: fix first, and a customer in the middle of a complaint is not
   * asked to take a lesser service, with an answer window towards an offboarding decision running
   * meanwhile; the run proposes again once the hold passes, `guardHold` open-complaint; with the discount open to the
   * customer on that tier, at least the newcomers', where it helps, the move's price and so a service message too: `tierChangeProposal`),
   * or else an offer that moves the account to a tier projected to lose less (`offerThatHelps`): an offer is marketing, so it is
   * proposed only when the contact guard lets marketing reach the customer now (consent, the
   * budget, no issue open), never one it would hold back while the run waits for an answer; in
   * the customer's quiet hours, not yet (`notBefore`: the run proposes again then). A retried
   * step answers with the proposal the customer was sent.
   */
  async propose(input: { workflowId: string; customerId: string }): Promise<Proposal> {
    const { suggestedTier, tierProjections } = await this.judgement.judge(input.customerId);
    return this.em.transactional(async (em) => {
      // A proposal held back at a complaint before it went never reached the customer: proposed again, worked out anew
      // (none while anything of theirs is still open, `guardHold` open-complaint: the run waits for the hold to pass).
      const heldAtComplaint = await em.findOne(
        OutboxMessage,
        { idempotencyKey: stepMessageKey(input.workflowId, 'proposal'), sentAt: null, suppressedReason: PROPOSAL_HELD_AT_COMPLAINT },
        { lockMode: LockMode.PESSIMISTIC_WRITE },
      );
      // A retried step goes on with what the customer was sent, whatever the guard says now.
      const written = heldAtComplaint ? null : await this.outbox.stepPayload(em, input, 'proposal');
      if (written) return written.proposal as Proposal;
      const running = await runStillRunning(em, input.workflowId);
      const proposal = suggestedTier ? await this.tierChangeProposal(em, input.customerId, suggestedTier, tierProjections) : await this.offerProposal(em, input.customerId, tierProjections);
      // (A run no longer running proposes nothing to the customer; it is being wound down.)
      if (proposal.kind === 'none' || !running) return proposal;
      // An offer is marketing; a move to a cheaper tier, with the fair discount on it or at its full fee, is about the contract.
      const purpose = proposal.kind === 'offer' && !proposal.contractChange ? MessagePurpose.Marketing : MessagePurpose.Service;
      if (heldAtComplaint) {
        // Nothing open any more: the same message, never sent, now says what is proposed today, and goes (audited).
        Object.assign(heldAtComplaint, { payload: { proposal }, purpose, suppressedAt: null, suppressedReason: null });
        this.audit.record(em, { actor: runActor(input.workflowId), action: MESSAGE_RELEASED, entityType: 'outbox_message', entityId: heldAtComplaint.id, after: { workflowId: input.workflowId, customerId: input.customerId, proposal } });
        return proposal;
      }
      const sent = await this.outbox.enqueueStepOnce(em, input, 'proposal', { channel: MessageChannel.Email, purpose, template: 'account-proposal', payload: { proposal } });
      return sent.proposal as Proposal;
    });
  }

  /**
   * The cheaper tier the model suggests, with what it projects the account at on it (whoever decides later sees whether a
   * yes was expected to be enough); held back (none yet, `guardHold` open-complaint) while a complaint or fix case of the customer's is open.
   * The fairness rule holds for the move too (`tierChangeOffer`): where an offer to that tier is open to the customer today
   * (at least what newcomers get for it) and the account still does better than now with its discount, the move is put
   * to them with that offer (kind offer, the tier, the discount, booked on acceptance): the discount is the move's price,
   * not promotion, so it goes as the service message the move is (`contractChange`), whatever the customer's marketing
   * consent or contact budget: a customer who takes no marketing, or whose budget our campaigns used up, is never asked
   * to move at the full fee while newcomers get a discount on the same tier (delivery holds it through their quiet hours,
   * as any service message). Where even the newcomers' discount would leave the account no better than now, the move
   * goes at its full fee, the reason saying so: a change of tier is no offer, and nothing proposed would lead towards
   * offboarding instead.
   */
  private async tierChangeProposal(em: EntityManager, customerId: string, tier: string, account: AccountJudgement['tierProjections']): Promise<Proposal> {
    const reason = `the ${tier} service fits how the account is used and costs less to serve`;
    const open = openIssuesText(await this.judgement.openIssues(customerId));
    if (open) return { kind: 'none', reason: `${reason}; proposed once nothing of the customer's is open (${open}): fix first`, guardHold: 'open-complaint' };
    const projected = account?.projections.find((p) => p.tier === tier)?.projectedValueMinor;
    const fullFee = (why?: string): Proposal => ({ kind: 'tier-change', tier, reason: why ? `${reason}; ${why}` : reason, ...(projected === undefined ? {} : { projectedProfitabilityMinor: projected }) });
    if (!account) return fullFee();
    const customer = await em.findOneOrFail(Customer, { id: customerId }, { fields: ['serviceTier'] });
    const offers = new OfferService(em);
    const { offer: helping, notHelping } = tierChangeOffer(await offers.terms(), new Date().toISOString().slice(0, 10), { tier: customer.serviceTier, ...account }, tier);
    if (!helping) {
      if (!notHelping) return fullFee();
      const { offer, projectedValueMinor } = notHelping;
      return fullFee(`at its full fee: the smallest discount open to the customer for the move today, ${offer.code} (${offer.discountPercent}%, at least what newcomers get), would leave the account at ${money(projectedValueMinor)}, no better than ${money(account.valueMinor)} now`);
    }
    const { offer } = helping;
    return {
      ...(await offerProposalOf(offers, offer, {
        tier,
        discountPercent: offer.discountPercent,
        projectedProfitabilityMinor: helping.projectedValueMinor,
        reason: `${reason}; offer ${offer.code} (${offer.discountPercent}%, at least what newcomers get for the move today) moves the account to it, projected at ${money(helping.projectedValueMinor)} instead of ${money(account.valueMinor)}, its discount taken off the tier's fee`,
      })),
      contractChange: true,
    };
  }

  private async offerProposal(em: EntityManager, customerId: string, account: AccountJudgement['tierProjections']): Promise<Proposal> {
    const customer = await em.findOneOrFail(Customer, { id: customerId }, { fields: ['marketingConsent', 'serviceTier'] });
    // No cheaper tier helps: an offer must, by moving the account to a tier projected better (a price cut would deepen the loss).
    const offers = new OfferService(em);
    const helping = account ? offerThatHelps(await offers.terms(), new Date().toISOString().slice(0, 10), { tier: customer.serviceTier, ...account }) : null;
    if (!helping) return { kind: 'none', reason: 'no cheaper tier, and no offer moves the account to a service that loses less (a discount on the same service would deepen the loss)' };
    if (!customer.marketingConsent) return { kind: 'none', reason: 'no cheaper tier; an offer is marketing, which the customer does not take' };
    const { marketing } = (await this.contactStatus.within(em).forCustomer(customerId))!;
    // With the guard's reason: a hold that passes by itself (a complaint closed, the budget freed up) is waited for by the run.
    if (!marketing.allowed) return { kind: 'none', reason: `no cheaper tier; an offer is marketing, which the contact guard holds back now (${marketing.reason}: ${marketing.detail})`, guardHold: marketing.reason };
    const later = writeWhenItGoes(marketing, new Date());
    if (later) return { kind: 'none', reason: "the customer's quiet hours: an offer is proposed when it can go at once", notBefore: later.toISOString() };
    const { offer, tier, projectedValueMinor } = helping;
    // (A change of tier without a discount has none to name.)
    const discountPercent = offer.discountPercent || undefined;
    return offerProposalOf(offers, offer, {
      tier,
      discountPercent,
      projectedProfitabilityMinor: projectedValueMinor,
      reason: `offer ${offer.code}${discountPercent ? ` (${discountPercent}%)` : ''} moves the account to the ${tier} service, projected at ${money(projectedValueMinor)} instead of ${money(account!.valueMinor)}${discountPercent ? ", its discount taken off the tier's fee" : ''}`,
    });
  }

  /**
   * Nothing could be proposed (no cheaper tier helps, no offer does, or none could reach the customer): before the account
   * is judged again and, still loss-making, put to a person for an offboarding decision, the team that owns customer
   * relationships is given a task to talk the account through with the customer, so the first the customer hears of it is
   * a conversation, never a notice. It names what the review found: the profitability the run judged, the score's reasons
   * (the margin against the cost to serve, the cost drivers), why nothing could be proposed, and when the review judges
   * the account again (`reviewAt`). Once per run; nothing once the run no longer runs.
   */
  async askToTalkItThrough(input: { workflowId: string; customerId: string; proposal: Proposal; profitabilityMinor: number | null; profitabilityBasis?: string | null; reviewAt: string }): Promise<void> {
    const { reasons } = await this.judgement.judge(input.customerId);
    await this.em.transactional(async (em) => {
      if (!(await runStillRunning(em, input.workflowId))) return;
      const payload = {
        profitabilityMinor: input.profitabilityMinor,
        ...(input.profitabilityBasis ? { profitabilityBasis: input.profitabilityBasis } : {}),
        reasons,
        nothingProposed: input.proposal.reason,
        reviewAt: input.reviewAt,
        owner: this.relationshipTeam,
      };
      await this.outbox.enqueueStep(em, input, 'nothing-proposed', { channel: MessageChannel.Call, template: 'account-nothing-proposed', payload });
    });
  }

  /**
   * The customer said yes: a tier change takes effect (audited); an offer is booked for billing (a
   * task, and `customer.offer-accepted` in the audit log: honoured even if the offer ended since it
   * was proposed) and the tier it moves the account to takes effect; either is confirmed to the customer. A proposal still queued (the customer's
   * quiet hours) is held back, so the confirmation goes alone; one delivery held back (an opt-out,
   * a complaint) never reached the customer: nothing is applied or confirmed (the API refuses such
   * an answer; this is for one sent in the Temporal UI).
   */
  async apply(input: { workflowId: string; customerId: string; proposal: Proposal }): Promise<void> {
    await this.em.transactional(async (em) => {
      if (!(await runStillRunning(em, input.workflowId))) return;
      const proposal = await em.findOne(OutboxMessage, { idempotencyKey: stepMessageKey(input.workflowId, 'proposal') }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (proposal?.suppressedAt && proposalHeldBackAtDelivery(proposal.suppressedReason ?? 'held back')) return;
      if (proposal && !proposal.sentAt && !proposal.suppressedAt) Object.assign(proposal, { suppressedAt: new Date(), suppressedReason: PROPOSAL_ANSWERED });
      if (input.proposal.kind === 'offer' && (await this.outbox.enqueueStep(em, input, 'offer-accepted', { channel: MessageChannel.Call, template: 'account-offer-accepted', payload: { proposal: input.proposal } }))) {
        const { offerCode, discountPercent } = input.proposal;
        this.audit.record(em, { actor: runActor(input.workflowId), action: 'customer.offer-accepted', entityType: 'customer', entityId: input.customerId, after: { offerCode, discountPercent: discountPercent ?? null, workflowId: input.workflowId } });
      }
      // A tier change, or an offer that moves the account to another tier, takes effect.
      const newTier = input.proposal.kind === 'tier-change' || input.proposal.kind === 'offer' ? input.proposal.tier : undefined;
      if (newTier) {
        const customer = await lockedCustomer(em, input.customerId);
        const tier = newTier as ServiceTier;
        if (customer.serviceTier !== tier) {
          this.audit.record(em, { actor: runActor(input.workflowId), action: 'customer.service-tier', entityType: 'customer', entityId: customer.id, before: { serviceTier: customer.serviceTier }, after: { serviceTier: tier } });
          // The CRM still has the tier before the first such move: its exports are not to put it back.
          customer.tierChangedFrom ??= customer.serviceTier;
          // From today where the customer lives, the profitability window counts the new tier's fee margin.
          em.persist(em.create(ServiceTierChange, { customer, changedOn: dayIn(customer.timeZone), fromTier: customer.serviceTier, toTier: tier, source: TierChangeSource.AccountReview }));
          customer.serviceTier = tier;
        }
      }
      await this.outbox.enqueueStep(em, input, 'proposal-confirmed', { channel: MessageChannel.Email, template: 'account-proposal-confirmed', payload: { proposal: input.proposal } });
    });
  }

  /**
   * The customer said no: a proposal still queued (the customer's quiet hours) is held back, so it
   * does not ask them to accept it after their no was recorded. Nothing else changes.
   */
  async decline(input: { workflowId: string }): Promise<void> {
    await this.em.transactional(async (em) => {
      if (!(await runStillRunning(em, input.workflowId))) return;
      const proposal = await em.findOne(OutboxMessage, { idempotencyKey: stepMessageKey(input.workflowId, 'proposal') }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (proposal && !proposal.sentAt && !proposal.suppressedAt) Object.assign(proposal, { suppressedAt: new Date(), suppressedReason: PROPOSAL_DECLINED });
    });
  }

  /** The review was cancelled: an offboarding it started (notice given) is withdrawn, the customer active again. */
  withdrawOffboarding(input: { workflowId: string; customerId: string }): Promise<boolean> {
    return withdrawOffboardingOnCancel(this.em, this.audit, input);
  }

  /** Why the run must not take a decision sent with this `reasonEntry` (reasonEntryProblem); null when it may. */
  reasonEntryProblem(input: { workflowId: string; decision: OffboardingDecision }): Promise<string | null> {
    return reasonEntryProblem(this.em, input.workflowId, input.decision);
  }

  /**
   * Why the run must not take an approval of the customer's offboarding now (AccountReviewJudgement.approvalRefusal: a
   * complaint or fix case open, the account rescored now not loss-making or not judged), naming the reason; null when it may.
   */
  async approvalProblem(input: { customerId: string; workflowId?: string }): Promise<string | null> {
    const refusal = await this.judgement.approvalRefusal(input.customerId, this.currency, input.workflowId);
    return refusal && `the offboarding is not approved (${refusal.refused}): ${refusal.message}; a rejection is taken`;
  }

  /**
   * Why the review's proposal, or its finding that nothing could be proposed, no longer holds (AccountReviewJudgement.staleProposal:
   * rescored now, a cheaper tier helps that it did not propose), in words; null when it holds or the account is not judged.
   */
  async proposalNoLongerHolds(input: { workflowId: string; customerId: string }): Promise<string | null> {
    const judged = await this.judgement.judge(input.customerId);
    if (judged.valueMinor === null || !judged.lossMaking) return null;
    const stale = await this.judgement.staleProposal(input.customerId, input.workflowId, judged, this.currency);
    return stale && `${stale.refused}: ${stale.message}`;
  }

  /**
   * Approved offboarding begins: notice to the customer, with help to switch; the approver is
   * recorded. Not again once this run's offboarding was withdrawn (its end withdrew it, then a
   * reset to before the notice made it run again): the notice's message is the one held back or
   * taken back, so a second start would offboard without notice; a new review decides anew.
   */
  async startOffboarding(input: { workflowId: string; customerId: string; decision: OffboardingDecision; noticeEndsAt: string }): Promise<OffboardingStart> {
    return this.em.transactional(async (em) => {
      if (!(await runStillRunning(em, input.workflowId))) return 'run-ended';
      const customer = await lockedCustomer(em, input.customerId);
      if ((await lastOffboardingWord(em, customer.id, input.workflowId)) === 'customer.offboarding-withdrawn') return 'withdrawn';
      if (customer.status === CustomerStatus.Active) {
        this.audit.record(em, {
          actor: input.decision.decidedBy,
          action: 'customer.offboarding',
          entityType: 'customer',
          entityId: customer.id,
          before: { status: customer.status },
          // Why: the decision's own audit entry (through the API), or the reason typed in the Temporal UI.
          after: { status: CustomerStatus.Offboarding, workflowId: input.workflowId, ...(input.decision.reasonEntry ? { decisionEntry: input.decision.reasonEntry } : { reason: input.decision.reason }) },
        });
        customer.status = CustomerStatus.Offboarding;
      }
      // The day the letter names is the customer's own (noticeEndsOn): the run offboards them at noticeEndsAt.
      const noticeEndsOn = noticeEndDay(input.noticeEndsAt, customer.timeZone);
      await this.outbox.enqueueStep(em, input, 'notice', { channel: MessageChannel.Email, template: 'offboarding-notice', payload: { noticeEndsAt: input.noticeEndsAt, noticeEndsOn } });
      // What they need to switch: their reference with us and the day it all ends (the final invoice, the data export).
      const switchHelp = { noticeEndsAt: input.noticeEndsAt, noticeEndsOn, customerRef: customer.externalRef ?? null };
      await this.outbox.enqueueStep(em, input, 'switch-help', { channel: MessageChannel.Email, template: 'offboarding-switch-help', payload: switchHelp });
      return 'notice-given';
    });
  }

  /**
   * Whether this run's offboarding was withdrawn: its last word on the customer's offboarding is a withdrawal (its end,
   * cancelled or terminated during the notice, withdrew it). A run reset after such an end that finds it so at the start
   * of its notice ends at once: the withdrawal stands, and waiting out a notice nobody was given would show the customer
   * under notice meanwhile. Whether the run itself is still recorded running does not matter (a reset run may be taken
   * up before the reconciliation records it running again).
   */
  async offboardingWithdrawn(input: { workflowId: string; customerId: string }): Promise<boolean> {
    return (await lastOffboardingWord(this.em, input.customerId, input.workflowId)) === 'customer.offboarding-withdrawn';
  }

  /**
   * At the end of the notice: the final invoice is due from billing, the customer gets their
   * data, the account closes. Only while the customer's offboarding by this run still stands
   * (`offboardingStands`): one withdrawn meanwhile (the run's end withdrew it, then a reset
   * made the run run again) is left withdrawn, and the run answers `withdrawn`. A run no longer
   * running answers `withdrawn` as well: its end withdraws the offboarding.
   */
  async completeOffboarding(input: { workflowId: string; customerId: string; decision: OffboardingDecision; noticeEnded?: NoticeEnded }): Promise<OffboardingCompletion> {
    return this.em.transactional(async (em) => {
      if (!(await runStillRunning(em, input.workflowId))) return 'withdrawn';
      const customer = await lockedCustomer(em, input.customerId);
      // A retry of this step after it committed finds its export: the offboarding is done.
      const completed = (await em.count(CustomerExport, { workflowId: input.workflowId })) > 0;
      if (!completed && !(await offboardingStands(em, customer, input.workflowId))) return 'withdrawn';
      // Ended early: a notice and help to switch still queued (the customer's quiet hours) would announce a later end and a
      // final invoice up to that day to a customer who has left; they are held back with the completion (one being handed
      // over is waited for, and counts as read). The data export's message says the contract has ended.
      if (input.noticeEnded) await holdBackAnnouncements(em, { customerId: customer.id, workflowId: input.workflowId }, NOTICE_ENDED_EARLY);
      const exportId = randomUUID();
      const inserted = await em
        .createQueryBuilder(CustomerExport)
        .insert({ id: exportId, workflowId: input.workflowId, customer: customer.id, document: await customerDocument(em, customer, this.currency, this.promiseGraceDays), createdAt: new Date() })
        .onConflict('workflowId')
        .ignore()
        .execute('run');
      if (customer.status !== CustomerStatus.Offboarded) {
        // Ended early (the customer leaves now): by whoever ended the notice, naming the entry of their request (which holds why).
        const early = input.noticeEnded && { noticeEndedEarly: { workflowId: input.workflowId, ...(input.noticeEnded.reasonEntry ? { requestEntry: input.noticeEnded.reasonEntry } : {}) } };
        this.audit.record(em, { actor: input.noticeEnded?.endedBy ?? input.decision.decidedBy, action: 'customer.offboarded', entityType: 'customer', entityId: customer.id, before: { status: customer.status }, after: { status: CustomerStatus.Offboarded, ...early } });
        customer.status = CustomerStatus.Offboarded;
      }
      // Billing bills by the customer's reference, the day the notice named and what is still open, not by a name many customers share.
      const facts = await finalInvoiceFacts(em, customer, input.workflowId, this.currency, input.noticeEnded !== undefined);
      await this.outbox.enqueueStep(em, input, 'final-invoice', { channel: MessageChannel.Call, template: 'offboarding-final-invoice', payload: { ...facts } });
      if (inserted.affectedRows === 1) {
        // Ended early, the customer is told the contract ended today and what the final invoice covers; the day their notice named only when it reached them.
        const noticeSent = input.noticeEnded && (await em.count(OutboxMessage, { idempotencyKey: stepMessageKey(input.workflowId, 'notice'), sentAt: { $ne: null } })) > 0;
        const early = facts.endedEarlyOn ? { endedEarlyOn: facts.endedEarlyOn, ...(noticeSent && facts.noticeEndsOn ? { noticeEndsOn: facts.noticeEndsOn } : {}) } : {};
        await this.outbox.enqueueStep(em, input, 'data-export', { channel: MessageChannel.Email, template: 'offboarding-data-export', payload: { exportId, ...early } });
      }
      return 'offboarded';
    });
  }
}

/** An account review's proposal of an offer. */
type OfferProposal = Extract<Proposal, { kind: 'offer' }>;

/**
 * A proposal of `offer`, which moves the account to `terms.tier`: named as the customer reads it, a code alone saying nothing
 * to them; a matched newcomers' offer with its terms (what it applies to, for how long), as a thank-you states them.
 */
async function offerProposalOf(offers: OfferService, offer: OfferTerms, terms: Pick<OfferProposal, 'tier' | 'discountPercent' | 'projectedProfitabilityMinor' | 'reason'>): Promise<OfferProposal> {
  return { kind: 'offer', offerCode: offer.code, ...(await offers.naming(offer)), ...(await offers.newCustomerTerms(offer)), ...terms };
}
