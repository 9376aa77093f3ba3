import type { WelcomeCheckPolicy, WelcomeCheckState } from '../../domain/playbooks/welcome-check.js';

/**
 * What the playbook service needs from a durable workflow engine. The Temporal
 * implementation lives in src/temporal/; services never see Temporal types.
 */
export interface PlaybookEngine {
  /** Starts the run, or returns the one already running for this customer. */
  startWelcomeCheck(input: { customerId: string; policy: WelcomeCheckPolicy }): Promise<{ workflowId: string }>;
  /** Null when no such run exists. */
  welcomeCheckState(workflowId: string): Promise<WelcomeCheckState | null>;
  /** False when the run does not exist or has already finished. */
  confirmWelcome(workflowId: string): Promise<boolean>;
}
