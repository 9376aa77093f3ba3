import type { WorkerServices } from '../services/index.js';

/** The welcome-check playbook's side effects; thin calls into the service. */
export function createWelcomeCheckActivities(services: () => WorkerServices) {
  const welcomeChecks = () => services().welcomeCheckSteps;
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
