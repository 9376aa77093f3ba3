import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { ACCOUNT_REVIEW } from '../../domain/playbooks/account-review.js';
import { money } from '../../domain/scoring/format.js';
import { LOSS_MAKING, type ProjectedTier } from '../../domain/scoring/profitability.js';
import type { CustomerRescoreService } from '../scores/customer-rescore.service.js';
import { openIssueKind, openIssues, openIssuesText, type OpenIssues } from './open-issues.js';
import { runActor, runOfActor } from '../../domain/auth/roles.js';
import { TierChangeSource } from '../../domain/customers/tier-change.js';
import { stepMessageKey } from '../../domain/playbooks/run-id.js';

/** How an account review judges the account now. */
export interface AccountJudgement {
  /** Margin minus cost to serve as the review judges it, minor units; null: not judged (e.g. no order carries a margin). */
  valueMinor: number | null;
  /** The cheaper tier the profitability model suggests (from the judgement: for a customer on a tier a review gave, as on it). */
  suggestedTier: string | null;
  /** How it was judged, in words: the window, and for a customer who took the review's tier, how the time before the move counts. */
  basis: string;
  /** Judged as on a tier the customer accepted in a review (not on the plain window). */
  projected: boolean;
  /**
   * Whether the account is loss-making as judged: its profitability band (`loss-making`), the one rule the trigger sweep and
   * a start by hand select by. A loss too small to be material is `break-even`: no longer a loss to review or offboard for.
   */
  lossMaking: boolean;
  /** For a loss: its value and every other tier projected from it (what an offer that changes the tier is weighed by); null otherwise. */
  tierProjections: { valueMinor: number; projections: ProjectedTier[] } | null;
  /** The profitability score's reasons as rescored (the margin against the cost to serve, the cost drivers, what another tier would do). */
  reasons: string[];
  /**
   * The customer's tier now and, after a tier change in the window (not the review's), the window as on it for all of it:
   * the figure the model weighs other tiers against, where the plain window (`valueMinor`) counts the tiers held each day.
   */
  heldNow?: { tier: string; valueMinor: number | null };
}

/**
 * A judgement as a review's run keeps it: the figure, and why there is none (`notJudged`) or how it was
 * reached when not on the plain window (`basis`: a tier the customer accepted in a review).
 */
export function reviewFigure({ valueMinor, basis, projected, lossMaking, heldNow }: AccountJudgement): { valueMinor: number | null; notJudged?: string; basis?: string; lossMaking?: boolean } {
  if (valueMinor === null) return { valueMinor, notJudged: basis };
  // The plain window after a tier change in it reads otherwise on the tier held now: the basis says both.
  return projected || (heldNow && heldNow.valueMinor !== null) ? { valueMinor, basis, lossMaking } : { valueMinor, lossMaking };
}

/**
 * Why an offboarding may not be approved now (`refused`), in words (`message`), with what shows it: a complaint or fix
 * case of the customer's open (by topic), or the account, rescored now, not loss-making (the fresh figure) or not judged.
 */
export type ApprovalRefusal =
  | { refused: 'fix-open' | 'complaint-open'; message: string; fixCases: string[]; complaints: string[] }
  | { refused: 'not-judged'; message: string; profitabilityMinor: null }
  | { refused: 'not-loss-making'; message: string; profitabilityMinor: number }
  | StaleProposalRefusal;

/**
 * The account, rescored now, has a change to propose that the review did not: a cheaper tier the model suggests now
 * (`proposal-possible`), after a change of the customer's tier since the review began that was not the review's (a CRM
 * import: `tier-changed`). The review's "nothing to propose" (or its other proposal) no longer holds, so no offboarding
 * is approved on it: the run proposes first.
 */
export interface StaleProposalRefusal {
  refused: 'tier-changed' | 'proposal-possible';
  message: string;
  /** The customer's tier now, and the one they held when the review began. */
  tier: string;
  tierAtStart: string;
  /** The cheaper tier that helps now, and the model's projection of the account on it. */
  suggestedTier: string;
  projectedProfitabilityMinor: number | null;
  /** The account rescored now, and how (the judgement's basis). */
  profitabilityMinor: number;
  profitabilityBasis: string;
}

/** A review's own tier change: the customer accepted its proposal of a cheaper tier, or an offer that moves the account to another tier. */
export interface ReviewTierChange {
  workflowId: string;
  fromTier: string;
  toTier: string;
  at: Date;
  /** The discount of the offer the move came with (its `customer.offer-accepted` entry); null for a tier change alone. */
  discountPercent: number | null;
}

/**
 * An account review's judgement of the account: its profitability rescored now, over the
 * model's window (the last 12 months). A customer who accepted the review's tier (a cheaper one, or
 * another through an offer) is judged as the model projected it when it proposed the tier: as on that
 * tier for the whole window, the costs from before the move counted at its cost shares and its fee margin
 * in place of the old tier's, less what the accepted offer takes off the tier's fee. Judged on the plain
 * window, a move down would count the old tier's service (its support minutes) at full for most of a
 * year after it: accepting the proposal would hardly change how the account looks, and could put a
 * customer who did what was asked in the offboarding inbox; a move up through an offer would count the
 * new tier's fee margin undiscounted, and the old tier's cheaper service, making it look better.
 */
export class AccountReviewJudgement {
  constructor(
    private readonly em: EntityManager,
    private readonly rescores: CustomerRescoreService,
  ) {}

  async judge(customerId: string): Promise<AccountJudgement> {
    const change = await this.latestReviewTierChange(customerId);
    const { score, windowDays, projected } = await this.rescores.profitabilitySinceTierChange(customerId, change && { fromTier: change.fromTier, at: change.at, discountPercent: change.discountPercent });
    const suggestedTier = (score?.details?.suggestedTier as string | null | undefined) ?? null;
    const window = `the last ${windowDays} days`;
    const reasons = score?.reasons ?? [];
    if (!score || score.value === null) return { valueMinor: null, suggestedTier, basis: `not judged: ${score?.reasons[0]?.replace(/^not judged: /, '') ?? 'no profitability score'}`, projected: false, tierProjections: null, lossMaking: false, reasons };
    const projections = (score.details?.tierProjections as ProjectedTier[] | undefined) ?? [];
    if (!projected) {
      // After a tier change in the window (the CRM's), the model weighs other tiers against the window as on the tier held
      // now: that figure is the one an offer is weighed by, and the basis names it beside the plain window's.
      const heldNowMinor = (score.details?.tierHeldNowMinor as number | undefined) ?? null;
      const tierNow = await this.tierNow(customerId);
      const tierProjections = projections.length ? { valueMinor: heldNowMinor ?? score.value, projections } : null;
      const basis =
        `margin minus cost to serve over ${window}` +
        (heldNowMinor !== null ? ` (the fee margin of the tiers held each day, each cost as incurred); on ${tierNow}, the tier held now, for all of it: ${money(heldNowMinor)}, which other tiers are weighed against` : '');
      return { valueMinor: score.value, suggestedTier, basis, projected: false, tierProjections, lossMaking: score.band === LOSS_MAKING, reasons, heldNow: { tier: tierNow, valueMinor: heldNowMinor } };
    }
    const feeSwapped = projected.feeMarginOnTierMinor !== projected.feeMarginCountedMinor;
    return {
      valueMinor: projected.valueMinor,
      lossMaking: projected.band === LOSS_MAKING,
      // Other tiers weighed from the judgement (the costs before the move as this tier incurs them), not from the plain window.
      suggestedTier: projected.suggestedTier,
      tierProjections: projected.projections.length ? { valueMinor: projected.valueMinor, projections: projected.projections } : null,
      basis:
        `as on the ${projected.toTier} tier over ${window}, the tier the customer accepted on ${projected.sinceDay}: ` +
        (projected.costsBefore.length
          ? `the costs before the move (${projected.costsBefore.map((c) => `${money(c.amountMinor)} on ${c.tier}`).join(', ')}) counted at the ${projected.toTier} tier's cost shares (${money(projected.costsBeforeOnTierMinor)})`
          : 'no costs before the move') +
        (feeSwapped ? `, its fee margin for the whole window (${money(projected.feeMarginOnTierMinor)}, not the ${money(projected.feeMarginCountedMinor)} of the tiers held)` : '') +
        (projected.offerDiscountMinor ? `, less the ${money(projected.offerDiscountMinor)} the accepted offer takes off the tier's fee` : '') +
        `, as the proposal projected; on the plain window (${projected.costsBefore.length ? 'those costs at full' : 'the costs'}${feeSwapped ? ', the fee margin of the tiers held' : ''}${projected.offerDiscountMinor ? ', the fee undiscounted' : ''}) it is ${money(score.value)}`,
      projected: true,
      reasons,
      heldNow: { tier: projected.toTier, valueMinor: projected.valueMinor },
    };
  }

  private async tierNow(customerId: string): Promise<string> {
    const { rows } = await sql<{ service_tier: string }>`select service_tier::text from customer where id = ${customerId}::uuid`.execute(this.em.getKysely());
    return rows[0]?.service_tier ?? '';
  }

  /** The customer's open issues (fix cases, complaints) by topic: see openIssues. */
  openIssues(customerId: string): Promise<OpenIssues> {
    return openIssues(this.em, customerId);
  }

  /**
   * Why an approval of the customer's offboarding is not to be taken now, or null when it may be: while a complaint or
   * fix case of theirs is open (nobody is pushed out in the middle of their complaint), or when the account, rescored now
   * as the review judges it, is no longer loss-making (no loss, or one too small to be material) or cannot be judged (the figure the run decided on may be weeks old: an
   * import of orders does not rescore). The one rule for every way an approval comes: the API checks it before it sends
   * the decision, and the run again before it takes one (sent in the Temporal UI or CLI, or a complaint recorded since).
   */
  async approvalRefusal(customerId: string, currency: string, workflowId?: string): Promise<ApprovalRefusal | null> {
    const open = await this.openIssues(customerId);
    const openText = openIssuesText(open);
    if (openText) return { refused: openIssueKind(open), message: `${openText}: fix and answer first, then decide`, fixCases: open.fixCases, complaints: open.complaints };
    const judged = await this.judge(customerId);
    if (judged.valueMinor === null) return { refused: 'not-judged', message: `the account cannot be judged now (${judged.basis})`, profitabilityMinor: null };
    // By the band, as the review was started by: a loss too small to be material is no longer loss-making either.
    if (!judged.lossMaking) {
      const small = judged.valueMinor < 0 ? ', a loss too small to make an account loss-making: break-even' : '';
      return { refused: 'not-loss-making', message: `the account is no longer loss-making: rescored now, ${money(judged.valueMinor, currency)}${small} (${judged.basis})`, profitabilityMinor: judged.valueMinor };
    }
    return workflowId ? this.staleProposal(customerId, workflowId, judged, currency) : null;
  }

  /**
   * Why the review's proposal (or its finding that nothing could be proposed) no longer holds: rescored now, the model
   * suggests a cheaper tier the review did not propose, most often because the CRM moved the customer to a richer tier
   * since the review began (a customers import; the review's own move is what it proposed). The customer is to be offered
   * it before anyone weighs letting them go. Null when the review proposed what the model suggests now, or nothing is suggested.
   */
  async staleProposal(customerId: string, workflowId: string, judged: AccountJudgement, currency: string): Promise<StaleProposalRefusal | null> {
    const suggested = judged.suggestedTier;
    if (!suggested || judged.valueMinor === null) return null;
    // What the review proposed: the proposal it wrote to the customer (none written: nothing proposed).
    const { rows: written } = await sql<{ proposal: { kind: string; tier?: string } | null }>`
      select payload->'proposal' as proposal from outbox_message where idempotency_key = ${stepMessageKey(workflowId, 'proposal')}`.execute(this.em.getKysely());
    const proposal = written[0]?.proposal ?? null;
    const proposedTier = proposal && (proposal.kind === 'tier-change' || proposal.kind === 'offer') ? (proposal.tier ?? null) : null;
    if (proposedTier === suggested) return null;
    // The customer's tier changes since the review began, in order: the tier then, and whether the CRM changed it since.
    const { rows: changes } = await sql<{ from_tier: string; to_tier: string; source: string }>`
      select t.from_tier::text, t.to_tier::text, t.source from service_tier_change t join playbook_run r on r.workflow_id = ${workflowId}
       where t.customer_id = ${customerId}::uuid and t.created_at >= r.started_at order by t.created_at, t.id`.execute(this.em.getKysely());
    const tier = judged.heldNow?.tier ?? (await this.tierNow(customerId));
    const tierAtStart = changes[0]?.from_tier ?? tier;
    const last = changes.at(-1);
    const byCrm = last !== undefined && last.source !== TierChangeSource.AccountReview && tier !== tierAtStart;
    const projectedMinor = judged.tierProjections?.projections.find((p) => p.tier === suggested)?.projectedValueMinor ?? null;
    const onTierNow = judged.heldNow?.valueMinor ?? judged.valueMinor;
    const helps = `rescored now, a cheaper service tier helps: ${suggested}${projectedMinor !== null ? `, projected ${money(projectedMinor, currency)} instead of ${money(onTierNow, currency)} on ${tier}` : ''}`;
    const proposedText = proposal === null ? 'nothing' : proposedTier ? `the ${proposedTier} tier` : 'nothing';
    const why = byCrm ? `the customer's service tier changed since the review began (${tierAtStart} then, ${tier} now, not by the review): ` : '';
    return {
      refused: byCrm ? 'tier-changed' : 'proposal-possible',
      message: `${why}${helps}, and the review proposed ${proposedText}: the customer is offered it first (the account ${money(judged.valueMinor, currency)}: ${judged.basis})`,
      tier,
      tierAtStart,
      suggestedTier: suggested,
      projectedProfitabilityMinor: projectedMinor,
      profitabilityMinor: judged.valueMinor,
      profitabilityBasis: judged.basis,
    };
  }

  /**
   * The latest tier change a review of the customer's made (they accepted its proposal: audited as the
   * run's `customer.service-tier`), while they are still on the tier it gave; null otherwise. A later
   * review judges by it too: the old tier's costs stay in the window for a year after the move.
   */
  async latestReviewTierChange(customerId: string): Promise<ReviewTierChange | null> {
    const { rows } = await sql<{ actor: string; from_tier: string; to_tier: string; at: Date; discount_percent: number | null }>`
      select a.actor, a.before->>'serviceTier' as from_tier, a.after->>'serviceTier' as to_tier, a.at,
             (select (o.after->>'discountPercent')::int from audit_entry o
               where o.entity_type = 'customer' and o.entity_id = a.entity_id and o.action = 'customer.offer-accepted' and o.actor = a.actor limit 1) as discount_percent
        from audit_entry a join customer c on c.id = ${customerId}::uuid
       where a.entity_type = 'customer' and a.entity_id = ${customerId} and a.action = 'customer.service-tier' and a.actor like ${runActor(`${ACCOUNT_REVIEW}/%`)}
         and a.after->>'serviceTier' = c.service_tier::text
       order by a.at desc limit 1`.execute(this.em.getKysely());
    if (!rows.length) return null;
    const [r] = rows;
    return { workflowId: runOfActor(r.actor)!, fromTier: r.from_tier, toTier: r.to_tier, at: new Date(r.at), discountPercent: r.discount_percent };
  }
}
