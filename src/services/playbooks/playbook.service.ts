import { welcomeCheckPolicy, welcomeCheckWorkflowId, WELCOME_CHECK, type WelcomeCheckPolicy, type WelcomeCheckState } from '../../domain/playbooks/welcome-check.js';
import type { PlaybookRun } from '../../entities/index.js';
import type { CustomerService } from '../customers/customer.service.js';
import type { PlaybookEngine } from './playbook-engine.js';
import { PlaybookException, PlaybookExceptionCode } from './playbook.exception.js';
import type { PlaybookRunService } from './playbook-run.service.js';

export interface PlaybookPolicies {
  welcomeCheck: WelcomeCheckPolicy;
}

export const defaultPolicies: PlaybookPolicies = { welcomeCheck: welcomeCheckPolicy };

export interface PlaybookRunView {
  workflowId: string;
  playbook: string;
  customerId: string;
  /** The database record, once the run's first activity has written it. */
  record: PlaybookRun | null;
  /** Live state from the running (or finished) workflow. */
  state: WelcomeCheckState | null;
}

export class PlaybookService {
  constructor(
    private readonly customers: CustomerService,
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

  private async welcomeCheckRun(customerId: string, workflowId: string): Promise<PlaybookRunView> {
    const [record, state] = await Promise.all([this.runs.findByWorkflowId(workflowId), this.engine.welcomeCheckState(workflowId)]);
    return { workflowId, playbook: WELCOME_CHECK, customerId, record, state };
  }
}
