import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';
import { welcomeCheckWorkflowId, WELCOME_CHECK, type WelcomeCheckPolicy, type WelcomeCheckState } from '../domain/playbooks/welcome-check.js';
import type { PlaybookEngine } from '../services/playbooks/playbook-engine.js';
import { withinDeadline } from './deadline.js';
import { PlaybookException, PlaybookExceptionCode } from '../services/playbooks/playbook.exception.js';
import { CustomerIdKey, LoyaltyBandKey, PlaybookKey, PlaybookStepKey } from '../../workflows/search-attributes.js';
import { welcomeCheckStateQuery, welcomeConfirmedSignal } from '../../workflows/welcome-check.workflow.js';
import type { fairReminder, welcomeCheck } from '../../workflows/index.js';
import { fairReminderStateQuery, paymentReceivedSignal } from '../../workflows/fair-reminder.workflow.js';
import { FAIR_REMINDER, fairReminderWorkflowId, type FairReminderPolicy, type FairReminderState } from '../domain/playbooks/fair-reminder.js';

/** The playbook engine on Temporal: one workflow per customer and trigger, IDs that say what they are. */
export class TemporalPlaybookEngine implements PlaybookEngine {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    /** How long an API request waits for Temporal before answering UNAVAILABLE. */
    private readonly callTimeoutMs = 5_000,
  ) {}

  startWelcomeCheck({ customerId, policy }: { customerId: string; policy: WelcomeCheckPolicy }) {
    return this.reachable(() => this.start(customerId, policy));
  }

  private async start(customerId: string, policy: WelcomeCheckPolicy) {
    const workflowId = welcomeCheckWorkflowId(customerId);
    try {
      const handle = await this.client.workflow.start<typeof welcomeCheck>('welcomeCheck', {
        workflowId,
        taskQueue: this.taskQueue,
        args: [{ customerId, policy }],
        // A second trigger for the same customer joins the run under way; a finished run is not repeated.
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: CustomerIdKey, value: customerId },
          { key: PlaybookKey, value: WELCOME_CHECK },
          { key: PlaybookStepKey, value: 'starting' },
        ],
        staticSummary: `Welcome check for customer ${customerId}`,
        staticDetails: `Waits up to ${Math.round(policy.waitForConfirmationMs / 3_600_000)} h (policy v${policy.version}) for the customer's confirmation, then records the outcome.`,
      });
      return { workflowId: handle.workflowId };
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) return { workflowId };
      throw error;
    }
  }

  welcomeCheckState(workflowId: string): Promise<WelcomeCheckState | null> {
    return this.reachable(async () => {
      try {
        return await this.client.workflow.getHandle(workflowId).query(welcomeCheckStateQuery);
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return null;
        throw error;
      }
    });
  }

  confirmWelcome(workflowId: string): Promise<boolean> {
    return this.reachable(async () => {
      try {
        await this.client.workflow.getHandle(workflowId).signal(welcomeConfirmedSignal);
        return true;
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return false;
        throw error;
      }
    });
  }

  startFairReminder({ customerId, invoiceId, policy }: { customerId: string; invoiceId: string; policy: FairReminderPolicy }) {
    return this.reachable(async () => {
      const workflowId = fairReminderWorkflowId(customerId, invoiceId);
      try {
        await this.client.workflow.start<typeof fairReminder>('fairReminder', {
          workflowId,
          taskQueue: this.taskQueue,
          args: [{ customerId, invoiceId, policy }],
          // One run per overdue invoice: a second trigger joins it; a finished run is not repeated.
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: [
            { key: CustomerIdKey, value: customerId },
            { key: PlaybookKey, value: FAIR_REMINDER },
            { key: PlaybookStepKey, value: 'starting' },
            { key: LoyaltyBandKey, value: 'unknown' },
          ],
          staticSummary: `Fair reminders for invoice ${invoiceId} of customer ${customerId}`,
          staticDetails: `Loyal payers: ${policy.loyalSchedule.map((s) => s.action).join(', ')}, no fees. Others: ${policy.standardSchedule.map((s) => s.action).join(', ')}, fees by policy. A payment ends the run (policy v${policy.version}).`,
        });
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      }
      return { workflowId };
    });
  }

  fairReminderState(workflowId: string): Promise<FairReminderState | null> {
    return this.reachable(() => this.queryOrNull(workflowId, fairReminderStateQuery));
  }

  paymentReceived(workflowId: string): Promise<boolean> {
    return this.reachable(async () => {
      try {
        await this.client.workflow.getHandle(workflowId).signal(paymentReceivedSignal);
        return true;
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return false;
        throw error;
      }
    });
  }

  private async queryOrNull<T>(workflowId: string, query: QueryDefinition<T>): Promise<T | null> {
    try {
      return await this.client.workflow.getHandle(workflowId).query(query);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return null;
      throw error;
    }
  }

  private reachable<T>(call: () => Promise<T>): Promise<T> {
    return withinDeadline(this.client, this.callTimeoutMs, call, () => new PlaybookException(PlaybookExceptionCode.EngineUnavailable, 'The playbook engine (Temporal) cannot be reached; try again shortly', {}));
  }
}
