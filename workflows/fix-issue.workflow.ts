import { condition, defineQuery, defineSignal, proxyActivities, setCurrentDetails, setHandler, sleep, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { FixIssueActivities } from '../src/activities/fix-issue.activities.js';
import type { PlaybookRunActivities } from '../src/activities/playbook-run.activities.js';
import { FIX_ISSUE, firstOwner, ownerAfter, type FixIssueOutcome, type FixIssuePolicy, type FixIssueState, type FixIssueStep } from '../src/domain/playbooks/fix-issue.js';
import { recordingCancellation } from './cancellation.js';
import { LoyaltyBandKey, PlaybookStepKey } from './search-attributes.js';

const { recordRunStarted, recordRunOutcome, loadLoyaltyBand, openFixCase, escalateFixCase, resolveFixCase, checkBackOnFix } = proxyActivities<PlaybookRunActivities & FixIssueActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export interface FixIssueInput {
  customerId: string;
  topic: string;
  policy: FixIssuePolicy;
}

/** The owner fixed the cause. */
export const issueResolvedSignal = defineSignal('issueResolved');
export const fixIssueStateQuery = defineQuery<FixIssueState>('state');

export async function fixIssue(input: FixIssueInput): Promise<FixIssueOutcome> {
  return recordingCancellation(workflowInfo().workflowId, () => fixIssueSteps(input));
}

async function fixIssueSteps({ customerId, topic, policy }: FixIssueInput): Promise<FixIssueOutcome> {
  const { workflowId } = workflowInfo();
  const state: FixIssueState = { customerId, topic, step: 'starting', owner: null, escalations: 0, resolved: false, outcome: null, policyVersion: policy.version, deadline: null };
  setHandler(fixIssueStateQuery, () => state);
  setHandler(issueResolvedSignal, () => {
    state.resolved = true;
  });
  const enter = (step: FixIssueStep, details: string) => {
    state.step = step;
    upsertSearchAttributes([{ key: PlaybookStepKey, value: step }]);
    setCurrentDetails(details);
  };

  await recordRunStarted({ workflowId, playbook: FIX_ISSUE, customerId });
  const band = await loadLoyaltyBand(customerId);
  upsertSearchAttributes([{ key: LoyaltyBandKey, value: band }]);

  // A case with an owner, and the customer hears at once that it is being worked on.
  state.owner = firstOwner(policy, topic);
  enter('opening-case', `Opening a fix case for "${topic}" owned by ${state.owner}`);
  await openFixCase({ workflowId, customerId, topic, owner: state.owner });

  // Every missed deadline moves the case one level up; the wait goes on until it is fixed.
  for (;;) {
    state.deadline = new Date(Date.now() + policy.fixDeadlineMs).toISOString();
    enter('awaiting-fix', `${state.owner} fixes "${topic}" by ${state.deadline}`);
    if (await condition(() => state.resolved, policy.fixDeadlineMs)) break;
    state.escalations += 1;
    state.owner = ownerAfter(policy, topic, state.escalations);
    enter('escalating', `Deadline missed: escalated to ${state.owner}`);
    await escalateFixCase({ workflowId, customerId, topic, escalations: state.escalations, owner: state.owner });
  }
  await resolveFixCase(workflowId);

  // Check back once the fix has had time to prove itself.
  state.deadline = new Date(Date.now() + policy.checkBackAfterMs).toISOString();
  enter('awaiting-check-back', `Fixed; checking back with the customer on ${state.deadline}`);
  await sleep(policy.checkBackAfterMs);
  const gesture = policy.gestureBands.includes(band);
  enter('checking-back', gesture ? 'Asking whether the fix holds, with a gesture for a loyal customer' : 'Asking whether the fix holds');
  await checkBackOnFix({ workflowId, customerId, topic, gesture });

  const outcome: FixIssueOutcome = gesture ? 'fixed-with-gesture' : 'fixed';
  await recordRunOutcome({ workflowId, outcome });
  state.outcome = outcome;
  state.deadline = null;
  enter('done', `Fixed after ${state.escalations} escalation${state.escalations === 1 ? '' : 's'}`);
  return outcome;
}
