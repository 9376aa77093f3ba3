import type { EntityManager } from '@mikro-orm/postgresql';
import { COMPLAINED_FIRST } from '../../../domain/messages/catalogue.js';
import { notReached } from '../../../domain/messages/message-status.js';
import { stepMessageKey } from '../../../domain/playbooks/run-id.js';
import { MessageChannel, OutboxMessage } from '../../../entities/index.js';
import { WELCOME_STEP } from '../../../domain/playbooks/welcome-check.js';
import type { OutboxService } from '../../outbox/outbox.service.js';
import { openIssues, welcomeConfirmationRefusal, type WelcomeConfirmationRefusal } from '../open-issues.js';
import { runStillRunning } from '../running-run.js';

/** The welcome check's side effects: the welcome that asks whether all works, and a person's call when no answer comes. */
export class WelcomeCheckSteps {
  constructor(
    private readonly em: EntityManager,
    private readonly outbox: OutboxService,
    /** After this many failed attempts delivery gives a message up (the delivery policy's). */
    private readonly maxAttempts: number,
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
   */
  async askForFollowUp(input: { workflowId: string; customerId: string }): Promise<void> {
    await this.em.transactional(async (em) => {
      if (!(await runStillRunning(em, input.workflowId))) return;
      const complained = await em.execute<{ topic: string; during_check: boolean }[]>(
        `select c.topic, bool_or(c.opened_at >= r.started_at or c.reopened_at >= r.started_at) as during_check
           from complaint c join playbook_run r on r.workflow_id = ? join customer cu on cu.id = c.customer_id
          where c.customer_id = ?
            and (c.opened_at >= r.started_at or c.reopened_at >= r.started_at or c.resolved_at is null
                 or c.opened_at >= (cu.acquired_at::timestamp at time zone cu.time_zone))
          group by c.topic order by c.topic`,
        [input.workflowId, input.customerId],
      );
      const topics = complained.filter((c) => c.during_check).map((c) => c.topic);
      const earlierTopics = complained.filter((c) => !c.during_check).map((c) => c.topic);
      const welcomeNotReached = await this.welcomeNotReached(em, input.workflowId);
      const payload = { ...(topics.length ? { topics } : {}), ...(earlierTopics.length ? { earlierTopics } : {}), ...(welcomeNotReached ? { welcomeNotReached } : {}) };
      await this.outbox.enqueueStep(em, input, 'follow-up', { channel: MessageChannel.Call, template: 'welcome-follow-up', payload });
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
