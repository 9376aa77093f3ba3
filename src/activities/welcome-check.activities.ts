import type { WorkerServices } from '../services/index.js';
import type { WelcomeConfirmationRefusal } from '../services/playbooks/open-issues.js';
import type { WelcomeFollowUp } from '../domain/playbooks/welcome-check.js';

/** The welcome-check playbook's side effects; thin calls into the service. */
export function createWelcomeCheckActivities(services: () => WorkerServices) {
  const welcomeChecks = () => services().welcomeCheckSteps;
  return {
    welcomeCustomer(input: { workflowId: string; customerId: string }): Promise<void> {
      return welcomeChecks().welcome(input);
    },
    /**
     * A call task for a person, or none for a customer no longer a newcomer (`not-new`, and why); `newCustomerDays` the
     * run's policy's (absent from steps scheduled before it was passed: the worker's). Older runs took no answer.
     */
    askForWelcomeFollowUp(input: { workflowId: string; customerId: string; newCustomerDays?: number }): Promise<WelcomeFollowUp> {
      return welcomeChecks().askForFollowUp(input);
    },
    /**
     * Why a confirmation is not to be taken now (a complaint or fix case of the customer's open: `complaint-open`,
     * `fix-open`, the message the API refuses one with), or null when it may be. The API's own check, the same rule.
     */
    welcomeConfirmationRefusal(input: { customerId: string }): Promise<WelcomeConfirmationRefusal | null> {
      return welcomeChecks().confirmationRefusal(input);
    },
  };
}

export type WelcomeCheckActivities = ReturnType<typeof createWelcomeCheckActivities>;
