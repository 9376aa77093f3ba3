import type { Orm } from '../db/orm.js';
import { OutboxService } from '../services/outbox/outbox.service.js';
import { AppreciationService, type ThankYou } from '../services/playbooks/appreciation.service.js';

export function createAppreciationActivities(orm: Orm) {
  return {
    thankLoyalCustomer(input: { workflowId: string; customerId: string }): Promise<ThankYou> {
      return new AppreciationService(orm.em.fork(), new OutboxService()).thank(input);
    },
  };
}

export type AppreciationActivities = ReturnType<typeof createAppreciationActivities>;
