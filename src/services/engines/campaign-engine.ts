import type { SteeringSource } from '../audit/steering-audit.service.js';
import type { CampaignEndInEngine, CampaignPolicy, CampaignProgress, CampaignSteering } from '../../domain/campaigns/campaign.js';
import type { HowReset } from './playbook-engine.js';

/** A campaign as its enrolment run needs it. */
export interface CampaignToStart {
  id: string;
  name: string;
  playbook: string;
  /** The share held back, percent (0: nobody). */
  holdoutPercent: number;
  /** Again every so many days until cancelled (null: once). */
  repeatEveryDays?: number | null;
}

/** How a campaign's run ended in the engine: when, the reason given and who gave it (a termination or cancel request), or what failed. */
export interface CampaignEndedInEngine {
  status: CampaignEndInEngine;
  closedAt: Date;
  reason: string | null;
  by: string | null;
}

/** A reset of a campaign's run in the engine: the execution it started, when, the reason given and who gave it. */
export interface CampaignReset extends HowReset {
  runId: string;
}

/** What the campaign service needs from the durable workflow engine (Temporal, in src/temporal/). */
export interface CampaignEngine extends SteeringSource {
  /**
   * Starts the campaign's enrolment run, enrolling from `startAt` if given; a second call joins
   * the run already going. `launchedBy` (a person's launch) lets the run record the launch and
   * its audit entry itself, should the launch's own transaction never commit.
   */
  start(campaign: CampaignToStart, policy: CampaignPolicy, startAt?: Date | null, launchedBy?: string): Promise<{ workflowId: string }>;
  /** Live progress; null when no run exists. */
  progress(campaignId: string): Promise<CampaignProgress | null>;
  /** False when no run is going. `told`: the steering's number, which the run's later records of its status carry. */
  pause(campaignId: string, told: CampaignSteering): Promise<boolean>;
  resume(campaignId: string, told: CampaignSteering): Promise<boolean>;
  cancel(campaignId: string, told: CampaignSteering): Promise<boolean>;
  /** How the run ended if it was cancelled, terminated, failed or timed out in the engine; null while it runs, when it completed, or when none exists. */
  endedInEngine(campaignId: string): Promise<CampaignEndedInEngine | null>;
  /** The IDs of the campaigns whose run is running now. */
  findRunning(): Promise<string[]>;
  /** The latest reset (in the Temporal UI or CLI) of the campaign's run among its executions open since `since`; null when none. */
  howReset(campaignId: string, since: Date): Promise<CampaignReset | null>;
}
