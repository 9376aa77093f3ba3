import { activityInfo } from '@temporalio/activity';
import type { EngineStartVerdict } from '../services/playbooks/engine-start-audit.service.js';
import type { FinalRunState } from '../domain/playbooks/run-state.js';
import type { SteeredRunInput } from '../services/audit/steering-audit.service.js';
import type { WorkerServices } from '../services/index.js';

/** Activities that keep the playbook-run record in PostgreSQL; thin calls into the service (`sweeps`: the run reconciliation's, without the steps' deadlines). */
export function createPlaybookRunActivities(services: () => WorkerServices, sweeps: () => WorkerServices = services) {
  const runs = () => services().runs;
  return {
    /**
     * `campaignId`: the campaign whose start created the run (its `CampaignId` tag); absent in histories of runs started before it was passed.
     * A run started from outside the platform (the Temporal UI or CLI) is audited with who started it and the policy typed
     * with it; `policyInstead`: the deployment's policy the run goes by in place of one harsher than it (null: the one
     * given stands). Histories of runs from before this returned nothing.
     */
    async recordRunStarted(input: { workflowId: string; playbook: string; customerId: string; campaignId?: string | null }): Promise<EngineStartVerdict> {
      await runs().recordStarted(input);
      const runId = activityInfo().workflowExecution?.runId;
      return runId ? services().engineStarts.auditStartInEngine({ workflowId: input.workflowId, runId, playbook: input.playbook }) : { policyInstead: null };
    },
    /** `finalState`: the run's state as it ends, kept with its record; absent in histories of runs that ended before it was kept. */
    async recordRunOutcome(input: { workflowId: string; outcome: string; finalState?: FinalRunState | null }): Promise<void> {
      await runs().recordOutcome(input);
    },
    /**
     * Audits the signals an operator sent the run from outside the platform (the Temporal UI), each once; `signals`: the run's
     * own (absent in older runs), any other is audited as ignored; `ignored`: those of its own its handlers ignored, and why
     * (absent in older runs), audited with `ignored: <why>`.
     */
    auditSteeringFromOutside(run: SteeredRunInput): Promise<number> {
      return services().playbookSteering.auditSteeringFromOutside(run, { entityType: 'playbook_run', entityId: run.workflowId });
    },
    /** Records the end of runs that ended in the engine without recording it (terminated, failed, timed out). */
    recordRunsEndedInEngine(): Promise<string[]> {
      return sweeps().runReconciliation.recordRunsEndedInEngine();
    },
  };
}

export type PlaybookRunActivities = ReturnType<typeof createPlaybookRunActivities>;
