import type { Orm } from '../db/orm.js';
import { OutboxService } from '../services/outbox/outbox.service.js';
import type { ThankYou } from '../domain/playbooks/appreciation.js';
import { AppreciationService } from '../services/playbooks/appreciation.service.js';

export function createAppreciationActivities(orm: Orm) {
  return {
    thankLoyalCustomer(input: { workflowId: string; customerId: string }): Promise<ThankYou> {
      return new AppreciationService(orm.em.fork(), new OutboxService()).thank(input);
    },
  };
}

export type AppreciationActivities = ReturnType<typeof createAppreciationActivities>;
