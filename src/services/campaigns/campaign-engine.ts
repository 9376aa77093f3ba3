import type { CampaignPolicy, CampaignProgress } from '../../domain/campaigns/campaign.js';

/** A campaign as its enrolment run needs it. */
export interface CampaignToStart {
  id: string;
  name: string;
  playbook: string;
  /** Again every so many days until cancelled (null: once). */
  repeatEveryDays?: number | null;
}

/** What the campaign service needs from the durable workflow engine (Temporal, in src/temporal/). */
export interface CampaignEngine {
  /** Starts the campaign's enrolment run, enrolling from `startAt` if given; a second call joins the run already going. */
  start(campaign: CampaignToStart, policy: CampaignPolicy, startAt?: Date | null): Promise<{ workflowId: string }>;
  /** Live progress; null when no run exists. */
  progress(campaignId: string): Promise<CampaignProgress | null>;
  /** False when no run is going. */
  pause(campaignId: string): Promise<boolean>;
  resume(campaignId: string): Promise<boolean>;
  cancel(campaignId: string): Promise<boolean>;
}
