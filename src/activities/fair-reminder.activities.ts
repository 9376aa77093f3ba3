import type { Orm } from '../db/orm.js';
import type { FeeDecision } from '../domain/guards/fairness.js';
import { defaultScoringPolicy } from '../domain/scoring/scoring-policy.js';
import type { MessageChannel } from '../entities/index.js';
import { AuditService } from '../services/audit/audit.service.js';
import { OutboxService } from '../services/outbox/outbox.service.js';
import { FairReminderService, type ReminderContext } from '../services/playbooks/fair-reminder.service.js';
import { ScoringRunService } from '../services/scores/scoring-run.service.js';

/** The fair-reminder playbook's side effects; thin calls into the service. */
export function createFairReminderActivities(orm: Orm) {
  const reminders = () => {
    const em = orm.em.fork();
    return new FairReminderService(em, new ScoringRunService(em, defaultScoringPolicy), new OutboxService(), new AuditService());
  };
  return {
    loadReminderContext(invoiceId: string): Promise<ReminderContext> {
      return reminders().context(invoiceId);
    },
    sendReminder(input: { workflowId: string; invoiceId: string; reminderNumber: number; template: string; fee: FeeDecision }): Promise<{ sent: boolean; paid: boolean }> {
      return reminders().sendReminder(input);
    },
    sendReminderMessage(input: { workflowId: string; step: string; invoiceId: string; customerId: string; channel: MessageChannel; template: string }): Promise<boolean> {
      return reminders().sendMessage(input);
    },
  };
}

export type FairReminderActivities = ReturnType<typeof createFairReminderActivities>;
