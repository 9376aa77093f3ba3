import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { ACCOUNT_REVIEW } from '../../domain/playbooks/account-review.js';
import { APPRECIATION, type AppreciationPolicy } from '../../domain/playbooks/appreciation.js';
import { accountReviewProblem, appreciationProblem, fixIssueProblem, nextThankYouFrom, welcomeCheckProblem } from '../../domain/playbooks/eligibility.js';
import { WELCOME_CHECK, type WelcomeCheckPolicy } from '../../domain/playbooks/welcome-check.js';
import { FIX_ISSUE } from '../../domain/playbooks/fix-issue.js';
import { ScoreKind } from '../../domain/scoring/score-kind.js';
import type { PersistentIssuePolicy } from '../../domain/scoring/persistent-issue.js';
import type { Customer } from '../../entities/index.js';
import type { ScoreService } from '../scores/score.service.js';
import { currentComplaintRecords } from '../facts/current-complaints.js';
import { hasOpenFixCase, lastThankYouWithin } from '../facts/customer-facts.js';
import { PlaybookException, PlaybookExceptionCode } from './playbook.exception.js';
import { stepMessageKey } from '../../domain/playbooks/run-id.js';

/**
 * Checks one customer against a playbook's eligibility rules (src/domain/playbooks/eligibility.ts),
 * from the facts the trigger sweep selects by: complaints, current score bands, earlier runs.
 * Refuses with PLAYBOOK_NOT_ELIGIBLE and the reason.
 */
export class PlaybookEligibilityService {
  constructor(
    private readonly em: EntityManager,
    private readonly scores: ScoreService,
  ) {}

  async assertFixIssue(customerId: string, topic: string, policy: PersistentIssuePolicy): Promise<void> {
    const complaints = await currentComplaintRecords(this.em, customerId, policy, topic);
    refuse(FIX_ISSUE, customerId, fixIssueProblem(topic, complaints, new Date(), policy), { topic });
  }

  assertWelcomeCheck(customer: Customer, policy: WelcomeCheckPolicy): void {
    refuse(WELCOME_CHECK, customer.id, welcomeCheckProblem(customer, new Date(), policy));
  }

  async assertAccountReview(customerId: string, lastReviewEndedAt: Date | null, cooldownDays: number): Promise<void> {
    const profitabilityBand = await this.scores.currentBand(customerId, ScoreKind.Profitability);
    const { rows } = await sql<{ open: boolean }>`select ${hasOpenFixCase('c.id')} as open from customer c where c.id = ${customerId}::uuid`.execute(this.em.getKysely());
    refuse(ACCOUNT_REVIEW, customerId, accountReviewProblem({ profitabilityBand, lastReviewEndedAt, fixOpen: rows[0].open }, new Date(), cooldownDays));
  }

  async assertAppreciation(customer: Customer, policy: AppreciationPolicy): Promise<void> {
    const [loyaltyBand, profitabilityBand] = await this.scores.currentBands(customer.id, [ScoreKind.PaymentLoyalty, ScoreKind.Profitability]);
    // The thank-you the run's step would find (appreciation-steps.service.ts): written to the customer within the silent days, not held back.
    const { rows } = await sql<{ at: Date | null }>`select ${lastThankYouWithin(sql`${customer.id}::uuid`, policy.silentDays)} as at`.execute(this.em.getKysely());
    const lastThankYouAt = rows[0].at === null ? null : new Date(rows[0].at);
    const problem = appreciationProblem({ acquiredAt: customer.acquiredAt, loyaltyBand, profitabilityBand, marketingConsent: customer.marketingConsent, lastThankYouAt }, new Date(), policy);
    const details = problem?.startsWith('thanked-recently') && lastThankYouAt ? { lastThankYouOn: lastThankYouAt.toISOString().slice(0, 10), nextThankYouFrom: nextThankYouFrom(lastThankYouAt, policy) } : {};
    refuse(APPRECIATION, customer.id, problem, details);
  }

  // Facts of a customer's earlier runs: whether a start by hand starts the playbook's next occurrence (a thank-you or
  // welcome that never reached the customer is not spent), and which run a query shows.

  /** Whether the run's step wrote its message and it went or may still go (not held back: by a guard at delivery, or as its run stopped). */
  async stepMessageMayReach(workflowId: string, step: string): Promise<boolean> {
    const { rows } = await sql<{ reached: boolean }>`select exists (select 1 from outbox_message m where m.idempotency_key = ${stepMessageKey(workflowId, step)} and m.suppressed_at is null) as reached`.execute(this.em.getKysely());
    return rows[0].reached;
  }

  /** The workflow ID of the customer's newest recorded run of the playbook (by its start), or null. */
  async newestRun(customerId: string, playbook: string): Promise<string | null> {
    const { rows } = await sql<{ workflowId: string }>`select workflow_id as "workflowId" from playbook_run where customer_id = ${customerId}::uuid and playbook = ${playbook}
                                                         order by started_at desc, workflow_id desc limit 1`.execute(this.em.getKysely());
    return rows[0]?.workflowId ?? null;
  }
}

function refuse(playbook: string, customerId: string, problem: string | null, details: Record<string, unknown> = {}): void {
  if (problem) throw new PlaybookException(PlaybookExceptionCode.NotEligible, `No ${playbook} for customer ${customerId}: ${problem}`, { customerId, playbook, ...details });
}
