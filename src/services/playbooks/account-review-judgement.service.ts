import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { ACCOUNT_REVIEW } from '../../domain/playbooks/account-review.js';
import { money } from '../../domain/scoring/format.js';
import { LOSS_MAKING, type ProjectedTier } from '../../domain/scoring/profitability.js';
import type { CustomerRescoreService } from '../scores/customer-rescore.service.js';
import { openIssueKind, openIssues, openIssuesText, type OpenIssues } from './open-issues.js';
import { runActor, runOfActor } from '../../domain/auth/roles.js';

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
}

/**
 * A judgement as a review's run keeps it: the figure, and why there is none (`notJudged`) or how it was
 * reached when not on the plain window (`basis`: a tier the customer accepted in a review).
 */
export function reviewFigure({ valueMinor, basis, projected, lossMaking }: AccountJudgement): { valueMinor: number | null; notJudged?: string; basis?: string; lossMaking?: boolean } {
  if (valueMinor === null) return { valueMinor, notJudged: basis };
  return projected ? { valueMinor, basis, lossMaking } : { valueMinor, lossMaking };
}

/**
 * Why an offboarding may not be approved now (`refused`), in words (`message`), with what shows it: a complaint or fix
 * case of the customer's open (by topic), or the account, rescored now, not loss-making (the fresh figure) or not judged.
 */
export type ApprovalRefusal =
  | { refused: 'fix-open' | 'complaint-open'; message: string; fixCases: string[]; complaints: string[] }
  | { refused: 'not-judged'; message: string; profitabilityMinor: null }
  | { refused: 'not-loss-making'; message: string; profitabilityMinor: number };

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
    const tierProjections = projections.length ? { valueMinor: score.value, projections } : null;
    if (!projected) return { valueMinor: score.value, suggestedTier, basis: `margin minus cost to serve over ${window}`, projected: false, tierProjections, lossMaking: score.band === LOSS_MAKING, reasons };
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
    };
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
  async approvalRefusal(customerId: string, currency: string): Promise<ApprovalRefusal | null> {
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
    return null;
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
