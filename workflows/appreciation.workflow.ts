import { allHandlersFinished, condition, defineQuery, defineSignal, patched, proxyActivities, setCurrentDetails, setHandler, sleep, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { AppreciationActivities } from '../src/activities/appreciation.activities.js';
import type { PlaybookRunActivities } from '../src/activities/playbook-run.activities.js';
import { APPRECIATION, holdPasses, type AppreciationOutcome, type AppreciationPolicy, type AppreciationState, type ThankYou } from '../src/domain/playbooks/appreciation.js';
import { endedState, recordingCancellation, sideEffectSteps } from './cancellation.js';
import { PlaybookStepKey } from './search-attributes.js';
import { startingCampaign } from './starting-campaign.js';
import { playbookStepOptions } from './activity-options.js';
import { auditSteering, ignoringUnknownSignals } from './steering-audit.js';

const { recordRunStarted, recordRunOutcome, auditSteeringFromOutside } = proxyActivities<PlaybookRunActivities>(playbookStepOptions);
/** The thank-you: a cancel lets it finish first. */
const thankingSteps = sideEffectSteps<AppreciationActivities>(playbookStepOptions);

export interface AppreciationInput {
  customerId: string;
  policy: AppreciationPolicy;
}

export const appreciationStateQuery = defineQuery<AppreciationState>('state');
/**
 * The customer withdrew their marketing consent (an opt-out, the unsubscribe link, a person's update, an import): a
 * thank-you waiting (the customer's quiet hours, or a hold that passes) asks the guard again at once instead of at
 * its deadline. The database decides, not the signal: one sent by mistake only makes the run ask again.
 */
export const consentWithdrawnSignal = defineSignal('consentWithdrawn');
/**
 * The customer complained (a complaint recorded, reopened or imported): a thank-you waiting for the customer's quiet
 * hours asks the guard again at once, and shows held back by the complaint (fix first, thank later) instead of on its
 * way until the morning. As with consent, the database decides: one sent by mistake only makes the run ask again.
 */
export const complaintOpenedSignal = defineSignal('complaintOpened');

/**
 * A thank-you to a silent loyal customer, with at least the best offer new customers get now.
 * While the contact guard holds marketing back for a while (an issue open: fix first, thank
 * later), it waits and asks again; a thank-you that cannot reach the customer is not counted as one.
 */
export async function appreciation(input: AppreciationInput): Promise<AppreciationOutcome> {
  return recordingCancellation(workflowInfo().workflowId, (keepsState) => appreciationSteps(input, keepsState));
}

async function appreciationSteps({ customerId, policy }: AppreciationInput, keepsState: (state: AppreciationState) => void): Promise<AppreciationOutcome> {
  const { workflowId } = workflowInfo();
  const { thankLoyalCustomer } = thankingSteps();
  const state: AppreciationState = { customerId, step: 'starting', offerCode: null, outcome: null, policyVersion: policy.version, deadline: null };
  setHandler(appreciationStateQuery, () => state, { description: 'Step, the offer the customer was thanked with, and outcome' });
  keepsState(state);
  // Told of an opt-out, its wait ends at once: a thank-you that can only end not thanked does not show as on its way (nor
  // hold up the customer's erasure) until the quiet hours end. Kept until a wait takes it, so one told while the run
  // asks the guard is not lost. Runs from before this marker take no signal and wait out their deadline.
  let askAgainNow = false;
  const wakesOnOptOut = patched('thank-you-wakes-on-opt-out');
  if (wakesOnOptOut) {
    setHandler(
      consentWithdrawnSignal,
      async () => {
        askAgainNow = true;
        await auditSteering(auditSteeringFromOutside);
      },
      { description: "The customer withdrew their marketing consent: a waiting thank-you asks the contact guard again at once (and ends not thanked without consent)" },
    );
  }
  // Told of a complaint, likewise (runs since this marker; older ones hear of it at their deadline).
  const wakesOnComplaint = wakesOnOptOut && patched('thank-you-wakes-on-complaint');
  if (wakesOnComplaint) {
    setHandler(
      complaintOpenedSignal,
      async () => {
        askAgainNow = true;
        await auditSteering(auditSteeringFromOutside);
      },
      { description: 'The customer complained: a waiting thank-you asks the contact guard again at once (and waits while the complaint is open)' },
    );
  }
  // Any other signal sent it in the Temporal UI is a mistake, ignored and said to be.
  ignoringUnknownSignals([...(wakesOnOptOut ? [consentWithdrawnSignal.name] : []), ...(wakesOnComplaint ? [complaintOpenedSignal.name] : [])], auditSteeringFromOutside);
  // A signal typed as the run ends is audited before it completes, not dropped with the run (runs with the handler, since
  // the marker; the wait issues no command).
  const handlersFinished = async () => {
    if (patched('unknown-signals-audited')) await condition(allHandlersFinished);
  };
  const enter = (step: AppreciationState['step'], details: string) => {
    state.step = step;
    upsertSearchAttributes([{ key: PlaybookStepKey, value: step }]);
    setCurrentDetails(details);
  };

  const thank = async () => {
    enter('thanking', 'Thanking a loyal customer who has not heard from us in a while');
    return thankLoyalCustomer({ workflowId, customerId });
  };
  /** While the guard lets it go only later (quiet hours), or its hold passes by itself within the policy's wait: wait, then try again. */
  const askAgainWhileHeld = async (thanks: ThankYou): Promise<ThankYou> => {
    const waitUntil = Date.now() + (policy.waitWhileHeldMs ?? 0);
    const recheckMs = policy.recheckMs ?? 0;
    for (;;) {
      const quietUntil = thanks.notBefore ? Date.parse(thanks.notBefore) : null;
      const held = thanks.heldBack && holdPasses(thanks.heldBack.reason) && recheckMs > 0 && Date.now() + recheckMs <= waitUntil ? thanks.heldBack : null;
      if (quietUntil === null && !held) return thanks;
      state.heldBack = held ? `${held.reason}: ${held.detail}` : null;
      state.deadline = new Date(quietUntil ?? Date.now() + recheckMs).toISOString();
      enter('waiting', held ? `The contact guard holds the thank-you back (${held.reason}); asking again at ${state.deadline}` : `The customer's quiet hours: thanking at ${state.deadline}`);
      const waitMs = Math.max(1, Date.parse(state.deadline) - Date.now());
      // The same timer either way; an opt-out or a complaint ends it early.
      if (wakesOnOptOut) await condition(() => askAgainNow, waitMs);
      else await sleep(waitMs);
      askAgainNow = false;
      state.deadline = null;
      thanks = await thank();
    }
  };

  await recordRunStarted({ workflowId, playbook: APPRECIATION, customerId, campaignId: startingCampaign() });
  let thanks = await thank();
  // Fix first, thank later: a thank-you the guard holds back waits for the hold to pass; one it never reaches is no thank-you.
  if (patched('thank-you-past-the-guard')) {
    thanks = await askAgainWhileHeld(thanks);
    state.heldBack = thanks.heldBack ? `${thanks.heldBack.reason}: ${thanks.heldBack.detail}` : null;
    if (state.heldBack) {
      await recordRunOutcome({ workflowId, outcome: 'not-thanked', finalState: endedState(state, 'not-thanked') });
      state.outcome = 'not-thanked';
      enter('done', `Not thanked (${state.heldBack})`);
      await handlersFinished();
      return 'not-thanked';
    }
  }
  const { offerCode, matchedNewCustomerOffer } = thanks;
  state.offerCode = offerCode;
  await recordRunOutcome({ workflowId, outcome: 'thanked', finalState: endedState(state, 'thanked') });
  state.outcome = 'thanked';
  enter('done', offerCode ? `Thanked with offer ${offerCode}${matchedNewCustomerOffer ? ' (the best new-customer offer)' : ''}` : 'Thanked');
  await handlersFinished();
  return 'thanked';
}
