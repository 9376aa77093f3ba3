import { workflowInfo } from '@temporalio/workflow';
import { CampaignIdKey } from './search-attributes.js';

/**
 * The campaign whose start created this run, for the run's record (`recordRunStarted`): its
 * `CampaignId` tag, which Temporal set with that start (a campaign's start that found the run
 * already under way changed nothing on it); null for the sweep's and a person's starts.
 */
export function startingCampaign(): string | null {
  return workflowInfo().typedSearchAttributes.get(CampaignIdKey) ?? null;
}
