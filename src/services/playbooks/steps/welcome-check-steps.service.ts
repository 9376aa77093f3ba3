import type { EntityManager } from '@mikro-orm/postgresql';
import { COMPLAINED_FIRST } from '../../../domain/messages/catalogue.js';
import { notReached } from '../../../domain/messages/message-status.js';
import { stepMessageKey } from '../../../domain/playbooks/run-id.js';
import { MessageChannel, OutboxMessage } from '../../../entities/index.js';
import { NOT_NEW, WELCOME_STEP, type WelcomeCheckPolicy, type WelcomeFollowUp } from '../../../domain/playbooks/welcome-check.js';
import { welcomeCheckProblem } from '../../../domain/playbooks/eligibility.js';
import { runActor } from '../../../domain/auth/roles.js';
import type { AuditService } from '../../audit/audit.service.js';
import type { OutboxService } from '../../outbox/outbox.service.js';
import { openIssues, welcomeConfirmationRefusal, type WelcomeConfirmationRefusal } from '../open-issues.js';
import { runStillRunning } from '../running-run.js';

/** Audited on the run when its follow-up finds the customer no newcomer: no call is asked for. */
const NOT_NEW_ACTION = 'playbook.not-new';
/** The step whose message is the call task (its outbox key `<workflow id>/follow-up`). */
const FOLLOW_UP_STEP = 'follow-up';

/** The welcome check's side effects: the welcome that asks whether all works, and a person's call when no answer comes. */
export class WelcomeCheckSteps {
  constructor(
    private readonly em: EntityManager,
    private readonly outbox: OutboxService,
    /** After this many failed attempts delivery gives a message up (the delivery policy's). */
    private readonly maxAttempts: number,
    private readonly audit: AuditService,
    /** The worker's welcome-check policy: who is a newcomer, for a step whose run did not say (one scheduled before it did). */
    private readonly policy: Pick<WelcomeCheckPolicy, 'newCustomerDays'>,
  ) {}

  /** Welcomes the new customer and asks whether everything works (a service message, once per run). */
  async welcome(input: { workflowId: string; customerId: string }): Promise<void> {
    await this.em.transactional(async (em) => {
      if (!(await runStillRunning(em, input.workflowId))) return;
      await this.outbox.enqueueStep(em, input, WELCOME_STEP, { channel: MessageChannel.Email, template: 'welcome', payload: {} });
    });
  }

  /**
   * Why the run must not take a confirmation now (welcomeConfirmationRefusal: a complaint or fix case of the customer's
   * open), or null when it may: asked as the run takes one, whoever sent it, so the API's check and the run's are one rule.
   */
  async confirmationRefusal(input: { customerId: string }): Promise<WelcomeConfirmationRefusal | null> {
    return welcomeConfirmationRefusal(input.customerId, await openIssues(this.em, input.customerId));
  }

  /**
   * No confirmation within the wait: a task for a person to call the customer (once per run), naming what they
   * complained about, where the call starts: `topics`, since the welcome check began (opened or reopened since), and
   * `earlierTopics`, before it: since the day they joined (where they live), or any still open. A check is often
   * started days after joining, and the complaints of the first days are the ones the caller most needs to know of.
   * A welcome that never reached the customer (`welcomeNotReached`: still queued, held back, undeliverable) asked them
   * nothing: the task says so, rather than that they did not confirm.
   *
   * A welcome follow-up is for a newcomer, as the check's start is (`welcomeCheckProblem`, with the run's policy's days,
   * `newCustomerDays`, as of the day the check began): a customer who was no newcomer then after all (an orders import
   * moved the day they joined back to their first order, years ago) gets no call: the step writes none, audits `playbook.not-new` on the run with why, and
   * answers `not-new` for the run to end with.
   */
  async askForFollowUp(input: { workflowId: string; customerId: string; newCustomerDays?: number }): Promise<WelcomeFollowUp> {
    const { workflowId, customerId } = input;
    return this.em.transactional(async (em): Promise<WelcomeFollowUp> => {
      if (!(await runStillRunning(em, workflowId))) return { outcome: 'follow-up-needed' };
      // A step taken again (retried, or by a reset run) goes as it first went: a call task written stands (written again
      // below, which releases one its run's stop held back), as does a "no newcomer".
      if (!(await em.findOne(OutboxMessage, { idempotencyKey: stepMessageKey(workflowId, FOLLOW_UP_STEP) }))) {
        const [decided] = await em.execute<{ why: string }[]>(`select after ->> 'why' as why from audit_entry where entity_type = 'playbook_run' and entity_id = ? and action = ? limit 1`, [workflowId, NOT_NEW_ACTION]);
        if (decided) return { outcome: NOT_NEW, why: decided.why };
        // The day they joined as it stands now (an import moving it waits for this step, or this step for it), judged as of the
        // day the check began, as its start was: a newcomer started on their 80th day is past 90 by the end of the wait, and
        // still the newcomer the check is for.
        const [customer] = await em.execute<{ acquired_at: string; began: string }[]>(
          `select c.acquired_at::text, to_char(r.started_at at time zone 'UTC', 'YYYY-MM-DD') as began
             from customer c join playbook_run r on r.workflow_id = ? where c.id = ? for share of c`,
          [workflowId, customerId],
        );
        const problem = customer ? welcomeCheckProblem({ acquiredAt: customer.acquired_at }, customer.began, { newCustomerDays: input.newCustomerDays ?? this.policy.newCustomerDays }) : null;
        const notNew = problem && `when the check began (${customer.began}): ${problem}`;
        if (notNew) {
          this.audit.record(em, { actor: runActor(workflowId), action: NOT_NEW_ACTION, entityType: 'playbook_run', entityId: workflowId, after: { customerId, acquiredAt: customer.acquired_at, why: notNew } });
          return { outcome: NOT_NEW, why: notNew };
        }
      }
      const complained = await em.execute<{ topic: string; during_check: boolean }[]>(
        `select c.topic, bool_or(c.opened_at >= r.started_at or c.reopened_at >= r.started_at) as during_check
           from complaint c join playbook_run r on r.workflow_id = ? join customer cu on cu.id = c.customer_id
          where c.customer_id = ? and c.withdrawn_at is null
            and (c.opened_at >= r.started_at or c.reopened_at >= r.started_at or c.resolved_at is null
                 or c.opened_at >= (cu.acquired_at::timestamp at time zone cu.time_zone))
          group by c.topic order by c.topic`,
        [workflowId, customerId],
      );
      const topics = complained.filter((c) => c.during_check).map((c) => c.topic);
      const earlierTopics = complained.filter((c) => !c.during_check).map((c) => c.topic);
      const welcomeNotReached = await this.welcomeNotReached(em, workflowId);
      const payload = { ...(topics.length ? { topics } : {}), ...(earlierTopics.length ? { earlierTopics } : {}), ...(welcomeNotReached ? { welcomeNotReached } : {}) };
      await this.outbox.enqueueStep(em, { workflowId, customerId }, FOLLOW_UP_STEP, { channel: MessageChannel.Call, template: 'welcome-follow-up', payload });
      return { outcome: 'follow-up-needed' };
    });
  }

  /**
   * Why the run's welcome has not reached the customer, as a category (the channel's error may name the address):
   * `queued` (held for their quiet hours, or retried), `complained-first` (held back as they complained before it went),
   * `held-back` (by a guard or a person), `undeliverable` (refused for
   * good, or given up), `interrupted` (its hand-over was cut short: it may have gone out), `not-written`; null once sent.
   */
  private async welcomeNotReached(em: EntityManager, workflowId: string): Promise<string | null> {
    const welcome = await em.findOne(OutboxMessage, { idempotencyKey: stepMessageKey(workflowId, WELCOME_STEP) });
    const why = notReached(welcome, this.maxAttempts);
    if (why === 'held-back' && welcome?.suppressedReason === COMPLAINED_FIRST) return 'complained-first';
    return why === 'refused' || why === 'given-up' ? 'undeliverable' : why;
  }
}
