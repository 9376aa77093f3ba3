import { FAIR_REMINDER, fairReminderPolicy, fairReminderWorkflowId, type FairReminderPolicy } from '../../domain/playbooks/fair-reminder.js';
import { welcomeCheckPolicy, welcomeCheckWorkflowId, WELCOME_CHECK, type WelcomeCheckPolicy } from '../../domain/playbooks/welcome-check.js';
import { BillingException, BillingExceptionCode } from '../billing/billing.exception.js';
import type { InvoiceService } from '../billing/invoice.service.js';
import type { PlaybookRun } from '../../entities/index.js';
import type { CustomerService } from '../customers/customer.service.js';
import type { PlaybookEngine } from './playbook-engine.js';
import { PlaybookException, PlaybookExceptionCode } from './playbook.exception.js';
import type { PlaybookRunService } from './playbook-run.service.js';

export interface PlaybookPolicies {
  welcomeCheck: WelcomeCheckPolicy;
  fairReminder: FairReminderPolicy;
}

export const defaultPolicies: PlaybookPolicies = { welcomeCheck: welcomeCheckPolicy, fairReminder: fairReminderPolicy };

/** What every playbook's live state says, whatever else it holds. */
export interface PlaybookRunState {
  step: string;
  outcome: string | null;
  deadline: string | null;
  policyVersion: number;
}

export interface PlaybookRunView {
  workflowId: string;
  playbook: string;
  customerId: string;
  /** The database record, once the run's first activity has written it. */
  record: PlaybookRun | null;
  /** Live state from the running (or finished) workflow. */
  state: PlaybookRunState | null;
}

export class PlaybookService {
  constructor(
    private readonly customers: CustomerService,
    private readonly invoices: InvoiceService,
    private readonly runs: PlaybookRunService,
    private readonly engine: PlaybookEngine,
    private readonly policies: PlaybookPolicies = defaultPolicies,
  ) {}

  async startWelcomeCheck(customerId: string): Promise<PlaybookRunView> {
    await this.customers.get(customerId);
    const { workflowId } = await this.engine.startWelcomeCheck({ customerId, policy: this.policies.welcomeCheck });
    return this.welcomeCheckRun(customerId, workflowId);
  }

  async confirmWelcome(customerId: string): Promise<PlaybookRunView> {
    await this.customers.get(customerId);
    const workflowId = welcomeCheckWorkflowId(customerId);
    const state = await this.engine.welcomeCheckState(workflowId);
    if (!state) throw new PlaybookException(PlaybookExceptionCode.RunNotFound, `No welcome check runs for customer ${customerId}`, { customerId });
    if (state.step === 'done' || !(await this.engine.confirmWelcome(workflowId))) {
      throw new PlaybookException(PlaybookExceptionCode.RunAlreadyFinished, `The welcome check of customer ${customerId} has already finished`, {
        customerId,
        outcome: state.outcome,
      });
    }
    return this.welcomeCheckRun(customerId, workflowId);
  }

  /** The customer's welcome check, or null if none was ever started. */
  async findWelcomeCheck(customerId: string): Promise<PlaybookRunView | null> {
    await this.customers.get(customerId);
    const view = await this.welcomeCheckRun(customerId, welcomeCheckWorkflowId(customerId));
    return view.state || view.record ? view : null;
  }

  /** Starts fair reminders for an overdue, unpaid invoice; a second call returns the same run. */
  async startFairReminder(invoiceId: string): Promise<PlaybookRunView> {
    const invoice = await this.invoices.get(invoiceId);
    if (invoice.paidAt) throw new BillingException(BillingExceptionCode.InvoiceAlreadyPaid, `Invoice ${invoiceId} was paid on ${invoice.paidAt}`, { invoiceId });
    const today = new Date().toISOString().slice(0, 10);
    if (invoice.dueAt >= today) throw new BillingException(BillingExceptionCode.InvoiceNotOverdue, `Invoice ${invoiceId} is due on ${invoice.dueAt}: not overdue yet`, { invoiceId, dueAt: invoice.dueAt });
    const { workflowId } = await this.engine.startFairReminder({ customerId: invoice.customer.id, invoiceId, policy: this.policies.fairReminder });
    return this.fairReminderRun(invoice.customer.id, workflowId);
  }

  /** The invoice's fair-reminder run, or null if none was started. */
  async findFairReminder(invoiceId: string): Promise<PlaybookRunView | null> {
    const invoice = await this.invoices.get(invoiceId);
    const view = await this.fairReminderRun(invoice.customer.id, fairReminderWorkflowId(invoice.customer.id, invoiceId));
    return view.state || view.record ? view : null;
  }

  private async fairReminderRun(customerId: string, workflowId: string): Promise<PlaybookRunView> {
    const [record, state] = await Promise.all([this.runs.findByWorkflowId(workflowId), this.engine.fairReminderState(workflowId)]);
    return { workflowId, playbook: FAIR_REMINDER, customerId, record, state };
  }

  private async welcomeCheckRun(customerId: string, workflowId: string): Promise<PlaybookRunView> {
    const [record, state] = await Promise.all([this.runs.findByWorkflowId(workflowId), this.engine.welcomeCheckState(workflowId)]);
    return { workflowId, playbook: WELCOME_CHECK, customerId, record, state };
  }
}
