import { defineQuery, proxyActivities, setCurrentDetails, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { AppreciationActivities } from '../src/activities/appreciation.activities.js';
import type { PlaybookRunActivities } from '../src/activities/playbook-run.activities.js';
import { APPRECIATION, type AppreciationOutcome, type AppreciationPolicy, type AppreciationState } from '../src/domain/playbooks/appreciation.js';
import { recordingCancellation, sideEffectSteps } from './cancellation.js';
import { PlaybookStepKey } from './search-attributes.js';
import { startingCampaign } from './starting-campaign.js';

const activityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
} as const;
const { recordRunStarted, recordRunOutcome } = proxyActivities<PlaybookRunActivities>(activityOptions);
/** The thank-you: a cancel lets it finish first. */
const thankingSteps = sideEffectSteps<AppreciationActivities>(activityOptions);

export interface AppreciationInput {
  customerId: string;
  policy: AppreciationPolicy;
}

export const appreciationStateQuery = defineQuery<AppreciationState>('state');

/** A thank-you to a silent loyal customer, with at least the best offer new customers get now. */
export async function appreciation(input: AppreciationInput): Promise<AppreciationOutcome> {
  return recordingCancellation(workflowInfo().workflowId, () => appreciationSteps(input));
}

async function appreciationSteps({ customerId, policy }: AppreciationInput): Promise<AppreciationOutcome> {
  const { workflowId } = workflowInfo();
  const { thankLoyalCustomer } = thankingSteps();
  const state: AppreciationState = { customerId, step: 'starting', offerCode: null, outcome: null, policyVersion: policy.version, deadline: null };
  setHandler(appreciationStateQuery, () => state, { description: 'Step, the offer the customer was thanked with, and outcome' });
  const enter = (step: AppreciationState['step'], details: string) => {
    state.step = step;
    upsertSearchAttributes([{ key: PlaybookStepKey, value: step }]);
    setCurrentDetails(details);
  };

  await recordRunStarted({ workflowId, playbook: APPRECIATION, customerId, campaignId: startingCampaign() });
  enter('thanking', 'Thanking a loyal customer who has not heard from us in a while');
  const { offerCode, matchedNewCustomerOffer } = await thankLoyalCustomer({ workflowId, customerId });
  state.offerCode = offerCode;
  await recordRunOutcome({ workflowId, outcome: 'thanked' });
  state.outcome = 'thanked';
  enter('done', offerCode ? `Thanked with offer ${offerCode}${matchedNewCustomerOffer ? ' (the best new-customer offer)' : ''}` : 'Thanked');
  return 'thanked';
}
