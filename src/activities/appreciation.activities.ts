import type { ThankYou } from '../domain/playbooks/appreciation.js';
import type { WorkerServices } from '../services/index.js';

/** The appreciation playbook's side effect; a thin call into the service. */
export function createAppreciationActivities(services: () => WorkerServices) {
  return {
    thankLoyalCustomer(input: { workflowId: string; customerId: string }): Promise<ThankYou> {
      return services().appreciationSteps.thank(input);
    },
  };
}

export type AppreciationActivities = ReturnType<typeof createAppreciationActivities>;
