import type { EntityManager } from '@mikro-orm/postgresql';
import { MessageChannel } from '../../../entities/index.js';
import { WELCOME_STEP } from '../../../domain/playbooks/welcome-check.js';
import type { OutboxService } from '../../outbox/outbox.service.js';
import { runStillRunning } from '../running-run.js';

/** The welcome check's side effects: the welcome that asks whether all works, and a person's call when no answer comes. */
export class WelcomeCheckSteps {
  constructor(
    private readonly em: EntityManager,
    private readonly outbox: OutboxService,
  ) {}

  /** Welcomes the new customer and asks whether everything works (a service message, once per run). */
  async welcome(input: { workflowId: string; customerId: string }): Promise<void> {
    await this.em.transactional(async (em) => {
      if (!(await runStillRunning(em, input.workflowId))) return;
      await this.outbox.enqueueStep(em, input, WELCOME_STEP, { channel: MessageChannel.Email, template: 'welcome', payload: {} });
    });
  }

  /**
   * No confirmation within the wait: a task for a person to call the customer (once per run), naming
   * what they complained about since the welcome check began: the call starts there.
   */
  async askForFollowUp(input: { workflowId: string; customerId: string }): Promise<void> {
    await this.em.transactional(async (em) => {
      if (!(await runStillRunning(em, input.workflowId))) return;
      const complained = await em.execute<{ topic: string }[]>(
        `select distinct c.topic from complaint c join playbook_run r on r.workflow_id = ? where c.customer_id = ? and c.opened_at >= r.started_at order by c.topic`,
        [input.workflowId, input.customerId],
      );
      const payload = complained.length ? { topics: complained.map((c) => c.topic) } : {};
      await this.outbox.enqueueStep(em, input, 'follow-up', { channel: MessageChannel.Call, template: 'welcome-follow-up', payload });
    });
  }
}
