import type { FeeDecision } from '../domain/guards/fairness.js';
import type { MessageChannel } from '../entities/index.js';
import type { WorkerServices } from '../services/index.js';
import type { ReminderContext } from '../services/playbooks/steps/fair-reminder-steps.service.js';

/** The fair-reminder playbook's side effects; thin calls into the service. */
export function createFairReminderActivities(services: () => WorkerServices) {
  const reminders = () => services().fairReminderSteps;
  return {
    loadReminderContext(invoiceId: string): Promise<ReminderContext> {
      return reminders().context(invoiceId);
    },
    /** Whether the invoice is paid, and since when it is disputed (null: no open dispute): a dispute holds the run until resolved. */
    invoiceDispute(invoiceId: string): Promise<{ paid: boolean; disputedSince: string | null }> {
      return reminders().dispute(invoiceId);
    },
    sendReminder(input: { workflowId: string; invoiceId: string; reminderNumber: number; template: string; fee: FeeDecision }): Promise<{ sent: boolean; paid: boolean }> {
      return reminders().sendReminder(input);
    },
    sendReminderMessage(input: { workflowId: string; step: string; invoiceId: string; customerId: string; channel: MessageChannel; template: string; loyaltyBand?: string }): Promise<boolean> {
      return reminders().sendMessage(input);
    },
    /**
     * The run's earliest reminder a promise or a dispute held back before it went out: sent again in the next step's place.
     * (Named for the promise, the first such hold: the name is in the runs' histories.)
     */
    reminderHeldByPromise(input: { workflowId: string }): Promise<{ reminderNumber: number; template: string } | null> {
      return reminders().heldReminder(input.workflowId);
    },
    /** The run moved to a fee-free band on the way (the payer's record turned loyal): audited with the band it started with. */
    recordLoyaltyBandRaised(input: { workflowId: string; invoiceId: string; from: string; to: string; remindersSent: number }): Promise<void> {
      return services().runs.recordLoyaltyBandRaised(input);
    },
    /** A promise to pay lapsed unpaid (its day and grace days passed): audited by the run, for the customer's timeline. */
    recordPromiseLapsed(input: { workflowId: string; invoiceId: string; until: string; brokenPromises: number }): Promise<void> {
      return services().runs.recordPromiseLapsed(input);
    },
    /** A promise to pay gave way to a dispute of the invoice (it stood as the dispute came): audited by the run, not a broken promise. */
    recordPromiseSuperseded(input: { workflowId: string; invoiceId: string; until: string; disputedSince: string }): Promise<void> {
      return services().runs.recordPromiseSuperseded(input);
    },
    /** The run took a promise to pay: its reminders still queued (held for quiet hours) are held back too. */
    holdBackForPromise(input: { workflowId: string; until: string }): Promise<void> {
      return services().runs.holdBackForPromise(input.workflowId, input.until);
    },
  };
}

export type FairReminderActivities = ReturnType<typeof createFairReminderActivities>;
