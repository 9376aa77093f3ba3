import { seconds } from '../policies/duration.js';
import { APPRECIATION } from '../playbooks/appreciation.js';
import { WELCOME_CHECK } from '../playbooks/welcome-check.js';

/**
 * Campaigns: a marketer enrols a segment (the customers filter) into one playbook. Each
 * customer is enrolled once, in pages at a bounded rate; a random holdout group gets
 * nothing, so the playbook's effect can be measured against it.
 */
export interface CampaignPolicy {
  version: number;
  /** Customers enrolled per step, and the pause between steps: the rate limit. */
  pageSize: number;
  pageIntervalMs: number;
  /** How long one enrolment step may take before it is retried (on another worker, if this one died). */
  pageTimeoutSeconds: number;
  /** Steps per workflow execution before it continues as new (any segment size stays within history limits). */
  pagesPerExecution: number;
}

export const campaignPolicy: CampaignPolicy = { version: 1, pageSize: 100, pageIntervalMs: seconds(2), pageTimeoutSeconds: 60, pagesPerExecution: 100 };

/** The playbooks a campaign can launch, and the messages one run sends (for the preview). */
export const campaignPlaybooks: Record<string, { messagesPerRun: number; marketing: boolean }> = {
  [APPRECIATION]: { messagesPerRun: 1, marketing: true },
  [WELCOME_CHECK]: { messagesPerRun: 0, marketing: false },
};

export const MAX_HOLDOUT_PERCENT = 50;

export type CampaignRunStatus = 'running' | 'paused' | 'cancelled' | 'completed';

export interface CampaignProgress {
  campaignId: string;
  status: CampaignRunStatus;
  /** Customers enrolled so far, by group, and the playbook runs the treated ones got. */
  enrolled: number;
  treated: number;
  holdout: number;
  runsStarted: number;
  pages: number;
  /** Where the next page starts (customer ID order). */
  after: string | null;
}

export function campaignWorkflowId(campaignId: string): string {
  return `campaign/${campaignId}`;
}
