import type { CampaignService } from '../campaigns/campaign.service.js';
import type { PlaybookEngine } from './playbook-engine.js';
import type { PlaybookRunService } from './playbook-run.service.js';

/**
 * How much earlier than its record a run may have started in the engine: the record is
 * written by the run's first step, which waits while no worker takes it.
 */
const RECORDED_AFTER_START_MS = 86_400_000;

/**
 * A run records its own end when it completes or is cancelled. One terminated in the Temporal
 * UI, failed or timed out runs none of its code at the end, so its record would say running
 * for good: it would keep its fix case in the team's queue, send what it had queued, block a
 * new run of its trigger and the customer's erasure. This records those ends from the engine,
 * and those of campaigns, which would otherwise say running and refuse to be cancelled.
 */
export class RunReconciliationService {
  constructor(
    private readonly runs: PlaybookRunService,
    private readonly engine: PlaybookEngine,
    private readonly campaigns: CampaignService,
  ) {}

  /** Records the end of every run and campaign that ended in the engine while its record says under way; idempotent. The workflow IDs recorded. */
  async recordRunsEndedInEngine(): Promise<string[]> {
    return [...(await this.recordPlaybookRunsEnded()), ...(await this.campaigns.recordEndedInEngine())];
  }

  private async recordPlaybookRunsEnded(): Promise<string[]> {
    const oldest = await this.runs.oldestRunningStart();
    if (!oldest) return [];
    const ended = await this.engine.findEndedInEngine(new Date(oldest.getTime() - RECORDED_AFTER_START_MS));
    const running = await this.runs.stillRunning(ended.map((run) => run.workflowId));
    const recorded: string[] = [];
    for (const run of ended.filter((r) => running.has(r.workflowId))) {
      const how = await this.engine.howEnded(run.workflowId);
      if (await this.runs.recordEndedInEngine({ ...run, reason: how?.reason ?? null, by: how?.by ?? null })) recorded.push(run.workflowId);
    }
    return recorded;
  }
}
