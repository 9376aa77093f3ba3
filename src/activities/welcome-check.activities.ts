import type { Orm } from '../db/orm.js';
import { OutboxService } from '../services/outbox/outbox.service.js';
import { WelcomeCheckService } from '../services/playbooks/welcome-check.service.js';

export function createWelcomeCheckActivities(orm: Orm) {
  const welcomeChecks = () => new WelcomeCheckService(orm.em.fork(), new OutboxService());
  return {
    welcomeCustomer(input: { workflowId: string; customerId: string }): Promise<void> {
      return welcomeChecks().welcome(input);
    },
    askForWelcomeFollowUp(input: { workflowId: string; customerId: string }): Promise<void> {
      return welcomeChecks().askForFollowUp(input);
    },
  };
}

export type WelcomeCheckActivities = ReturnType<typeof createWelcomeCheckActivities>;
