import type { CampaignPolicy, CampaignProgress } from '../../domain/campaigns/campaign.js';

/** What the campaign service needs from the durable workflow engine (Temporal, in src/temporal/). */
export interface CampaignEngine {
  /** Starts the campaign's enrolment run, enrolling from `startAt` if given; a second call joins the run already going. */
  start(campaign: { id: string; name: string; playbook: string }, policy: CampaignPolicy, startAt?: Date | null): Promise<{ workflowId: string }>;
  /** Live progress; null when no run exists. */
  progress(campaignId: string): Promise<CampaignProgress | null>;
  /** False when no run is going. */
  pause(campaignId: string): Promise<boolean>;
  resume(campaignId: string): Promise<boolean>;
  cancel(campaignId: string): Promise<boolean>;
}
