import type { EntityManager } from '@mikro-orm/postgresql';
import type { KeptAtNoticeEnd, NoticeEnd, OffboardingDue, OffboardingNoticeDelivery } from '../../../domain/playbooks/account-review.js';
import { notReached } from '../../../domain/messages/message-status.js';
import { stepMessageKey } from '../../../domain/playbooks/run-id.js';
import { Customer, MessageChannel, OutboxMessage } from '../../../entities/index.js';
import type { AuditService } from '../../audit/audit.service.js';
import type { OutboxService } from '../../outbox/outbox.service.js';
import { reviewFigure, type AccountReviewJudgement } from '../account-review-judgement.service.js';
import { openIssuesText } from '../open-issues.js';
import { noticeEndEntryProblem } from '../offboarding-decision.js';
import { offboardingStands, withdrawOffboarding } from '../offboarding-withdrawal.js';
import { runStillRunning } from '../running-run.js';
import { runActor } from '../../../domain/auth/roles.js';

/**
 * The account review's look at its offboarding notice at the end of the notice: nobody is
 * offboarded whom the notice did not reach ("with notice, never abruptly"). Kept apart from
 * AccountReviewSteps: it needs the delivery policy's `maxAttempts`.
 */
export class OffboardingNoticeSteps {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    /** After this many failed attempts delivery gives a message up (the delivery policy's). */
    private readonly maxAttempts: number,
    private readonly judgement: AccountReviewJudgement,
    /** The team that owns customer relationships (the account review policy's): the customer kept is theirs to reach. */
    private readonly relationshipTeam: string,
  ) {}

  /**
   * Where the run's notice stands: sent (when), or why it will not go by itself, as a category only (the channel's
   * error may name the address: the run's history holds none of it), or still tried by delivery. `withdrawn` and
   * `not-written`: the offboarding no longer stands or was never begun by the notice step (completeOffboarding says so).
   */
  async delivery(input: { workflowId: string }): Promise<OffboardingNoticeDelivery> {
    const em = this.em.fork();
    const notice = await em.findOne(OutboxMessage, { idempotencyKey: stepMessageKey(input.workflowId, 'notice') });
    if (!notice) return { sentAt: null, undelivered: 'not-written' };
    if (notice.sentAt) return { sentAt: notice.sentAt.toISOString(), undelivered: null };
    // The offboarding was withdrawn meanwhile (the run's end withdrew it, then a reset made it run again), which held its notice back: not the notice's failure.
    const customer = await em.findOne(Customer, { id: notice.customer.id });
    if (customer && !(await offboardingStands(em, customer, input.workflowId))) return { sentAt: null, undelivered: 'withdrawn' };
    // Still queued, delivery goes on trying it.
    const why = notReached(notice, this.maxAttempts);
    return { sentAt: null, undelivered: why === 'queued' ? null : why };
  }

  /** Why the run must not take a request to end its notice early with this `reasonEntry` (noticeEndEntryProblem); null when it may. */
  noticeEndEntryProblem(input: { workflowId: string; end: NoticeEnd }): Promise<string | null> {
    return noticeEndEntryProblem(this.em, input.workflowId, input.end);
  }

  /**
   * The notice did not reach the customer by the end of the notice: the offboarding is withdrawn (the customer active
   * again, audited by the run with why; the notice and help to switch still queued held back, so a retry in the
   * undeliverable queue does not announce an offboarding that no longer stands), and the team is given a task to reach
   * the customer: a later review decides again. Nothing once the run no longer runs (its end withdraws the offboarding).
   */
  async keep(input: { workflowId: string; customerId: string; undelivered: string }): Promise<void> {
    await this.withdraw(input, `the offboarding notice never reached the customer (${input.undelivered})`, { step: 'notice-undelivered', template: 'offboarding-notice-undelivered', payload: { undelivered: input.undelivered } });
  }

  /**
   * Whether the offboarding is still due at the end of the notice, as the approval was only given for an account that
   * loses money and a customer with nothing open: the account judged now (rescored, as the review judges it), and the
   * complaints and fix cases open now (by topic: the run's history holds no customer's words).
   */
  async due(input: { customerId: string }): Promise<OffboardingDue> {
    const figure = reviewFigure(await this.judgement.judge(input.customerId));
    const openIssues = openIssuesText(await this.judgement.openIssues(input.customerId));
    return { ...figure, notJudged: figure.notJudged ?? null, openIssues };
  }

  /**
   * The offboarding is no longer due at the end of the notice: withdrawn (the customer active again, audited by the run
   * with why; the notice and help to switch still queued held back; a customer whom the notice reached told that the
   * contract continues, `offboarding-withdrawn`). For a complaint or fix still open, or an account that cannot be judged,
   * the team is given a task (`offboarding-kept-at-notice-end`): a later review decides again. Nothing once the run no
   * longer runs (its end withdraws the offboarding).
   */
  async keepAtNoticeEnd(input: { workflowId: string; customerId: string; kept: KeptAtNoticeEnd }): Promise<void> {
    const { kept } = input;
    const reason =
      kept.why === 'turned-around'
        ? kept.valueMinor >= 0
          ? 'the account no longer lost money at the end of the notice'
          : 'the account lost too little at the end of the notice to be loss-making'
        : kept.why === 'issue-open'
          ? `a complaint or fix was still open at the end of the notice (${kept.openIssues})`
          : `the account could not be judged at the end of the notice (${kept.notJudged})`;
    const payload = kept.why === 'turned-around' ? null : kept.why === 'issue-open' ? { why: kept.why, openIssues: kept.openIssues } : { why: kept.why, notJudged: kept.notJudged };
    await this.withdraw(input, reason, payload && { step: 'kept-at-notice-end', template: 'offboarding-kept-at-notice-end', payload });
  }

  /**
   * Withdraws the run's offboarding (audited by the run with `reason`) and gives the relationship team `task`, in one transaction;
   * nothing once the run no longer runs (its end withdraws the offboarding).
   */
  private async withdraw(input: { workflowId: string; customerId: string }, reason: string, task: { step: string; template: string; payload: Record<string, unknown> } | null): Promise<void> {
    await this.em.transactional(async (em) => {
      if (!(await runStillRunning(em, input.workflowId))) return;
      await withdrawOffboarding(em, this.audit, { workflowId: input.workflowId, customerId: input.customerId, by: runActor(input.workflowId), reason });
      // The team that owns the customer relationship takes it up (its `owner`, as a fix case names its team), not whoever reads unaddressed tasks.
      if (task) await this.outbox.enqueueStep(em, input, task.step, { channel: MessageChannel.Call, template: task.template, payload: { ...task.payload, owner: this.relationshipTeam } });
    });
  }
}
