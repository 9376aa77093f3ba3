import { allHandlersFinished, CancellationScope, condition, defineQuery, defineSignal, defineUpdate, isCancellation, patched, proxyActivities, setCurrentDetails, setDefaultSignalHandler, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { FixIssueActivities } from '../src/activities/fix-issue.activities.js';
import type { PlaybookRunActivities } from '../src/activities/playbook-run.activities.js';
import { FIX_ISSUE, confirmationIgnored, firstOwner, fixCaseTerms, ownerAfter, recurrenceIgnored, resolutionProblem, type FixIssueOutcome, type FixIssuePolicy, type FixIssueState, type FixIssueStep } from '../src/domain/playbooks/fix-issue.js';
import { inputSaysOtherwise } from '../src/domain/playbooks/steering-input.js';
import { endedState, recordingCancellation, sideEffectSteps } from './cancellation.js';
import { LoyaltyBandKey, PlaybookStepKey } from './search-attributes.js';
import { startingCampaign } from './starting-campaign.js';
import { setRefusableUpdate } from './refusable-update.js';
import { auditSteering, signalIgnored, signalReceived, unknownSignalHandler } from './steering-audit.js';
import { playbookStepOptions } from './activity-options.js';

const { recordRunStarted, recordRunOutcome, auditSteeringFromOutside, loadLoyaltyBand, cancelFixCase, complainedSinceFixed } = proxyActivities<PlaybookRunActivities & FixIssueActivities>(playbookStepOptions);
/** The steps that write the case or tell someone: a cancel lets one under way finish first, so closing the case sees it. */
const caseSteps = sideEffectSteps<Pick<FixIssueActivities, 'openFixCase' | 'escalateFixCase' | 'resolveFixCase' | 'reopenFixCase' | 'checkBackOnFix'>>(playbookStepOptions);

export interface FixIssueInput {
  customerId: string;
  topic: string;
  policy: FixIssuePolicy;
  /**
   * The escalations the case starts with (`nextRunEscalations`): a topic's later run starts where its last one left the
   * issue, one level up when its fix did not hold. Absent (0) for a first run, and in runs started before it was given.
   */
  escalations?: number;
}

/** The owner fixed the cause. */
export const issueResolvedSignal = defineSignal('issueResolved');
/** The same report, answered with the run once its case is closed as fixed and the check-back planned (the API's way); refused once reported. */
export const resolveIssueUpdate = defineUpdate<FixIssueState>('resolveIssue');
/** The customer complained about the topic again (a new or reopened complaint); only a fix waiting for its check-back takes it as not holding. */
export const issueRecurredSignal = defineSignal('issueRecurred');
/**
 * The customer says the fix holds (the API sends it once `confirmFixHolds` recorded it): a fix waiting for its check-back
 * checks back now, thanking them (and a loyal customer's gesture), instead of at the check-back deadline.
 */
export const fixConfirmedSignal = defineSignal('fixConfirmed');
export const fixIssueStateQuery = defineQuery<FixIssueState>('state');

export async function fixIssue(input: FixIssueInput): Promise<FixIssueOutcome> {
  const { workflowId } = workflowInfo();
  return recordingCancellation(workflowId, (keepsState) => closingCaseOnCancel(workflowId, () => fixIssueSteps(input, keepsState)));
}

/**
 * A cancelled run closes its case if still open, so it leaves the team's queue instead of
 * waiting there for good (runs cancelled before this change, replayed, did not).
 */
async function closingCaseOnCancel<T>(workflowId: string, steps: () => Promise<T>): Promise<T> {
  try {
    return await steps();
  } catch (error) {
    if (isCancellation(error) && patched('fix-case-closed-on-cancel')) await CancellationScope.nonCancellable(() => cancelFixCase(workflowId));
    throw error;
  }
}

async function fixIssueSteps({ customerId, topic, policy, escalations: startsAt = 0 }: FixIssueInput, keepsState: (state: FixIssueState) => void): Promise<FixIssueOutcome> {
  const { workflowId } = workflowInfo();
  const { openFixCase, escalateFixCase, resolveFixCase, reopenFixCase, checkBackOnFix } = caseSteps();
  const state: FixIssueState = { customerId, topic, step: 'starting', owner: null, escalations: startsAt, recurrences: 0, resolved: false, outcome: null, policyVersion: policy.version, deadline: null };
  let recurred = false;
  // The customer said the fix holds while the run waited for its check-back (runs since `fix-confirmed-checks-back`).
  let confirmed = false;
  // Whether a complaint while the run checks back counts as the issue coming back (runs started before this ended fixed).
  let recurrenceAtCheckBack = false;
  setHandler(fixIssueStateQuery, () => state, { description: 'Step, owner, escalations, recurrences and deadline of the fix case' });
  keepsState(state);
  // A signal that changes nothing (a fix reported again, a complaint before any fix) is audited saying why (`ignored`).
  const onResolved = async (...args: unknown[]) => {
    const signal = signalReceived(issueResolvedSignal.name);
    const problem = resolutionProblem(state);
    // One typed with an input saying the cause is not fixed ({ "resolved": false }) is no fix report (runs from before took it).
    const saysNo = problem ? null : inputSaysOtherwise(issueResolvedSignal.name, 'resolved', args);
    if (problem) signalIgnored(signal, problem);
    if (saysNo && patched('steering-input-checked')) signalIgnored(signal, saysNo);
    else state.resolved = true;
    await auditSteering(auditSteeringFromOutside);
  };
  const onRecurred = async () => {
    const signal = signalReceived(issueRecurredSignal.name);
    // Also after a fix was reported but before the run closed the case as fixed: a run reset in the Temporal UI is
    // given its fix and the complaint after it again at its start, and must not tell the customer it is fixed.
    if (state.step === 'awaiting-check-back' || (state.resolved && state.step !== 'checking-back' && state.step !== 'done' && patched('recurrence-before-fix-closed'))) recurred = true;
    // While the check-back goes out: the customer complained as they were asked whether the fix holds; it did not.
    else if (state.step === 'checking-back' && recurrenceAtCheckBack) recurred = true;
    else signalIgnored(signal, recurrenceIgnored(state));
    await auditSteering(auditSteeringFromOutside);
  };
  const onConfirmed = async (...args: unknown[]) => {
    const signal = signalReceived(fixConfirmedSignal.name);
    // One typed in the Temporal UI or CLI saying the fix does not hold ({ "confirmed": false }) is no confirmation.
    const saysNo = inputSaysOtherwise(fixConfirmedSignal.name, 'confirmed', args);
    if (saysNo) signalIgnored(signal, saysNo);
    // Asked here, as the signal comes: a run started before this change that waits for its check-back takes it too.
    else if (state.step === 'awaiting-check-back' && !recurred && patched('fix-confirmed-checks-back')) confirmed = true;
    else signalIgnored(signal, confirmationIgnored(state));
    await auditSteering(auditSteeringFromOutside);
  };
  const resolvedOptions = { description: 'The owner fixed the cause: no more escalations; the run checks back with the customer later; takes no input (one saying otherwise is ignored)' };
  // Signals already in the history when the run starts (a reset to before them gives them again) are taken in the order
  // they came, not in the order their handlers are set: a recurrence the run ignored (no fix yet) and the fix after it
  // must not come back as a fix and a recurrence after it. (A fix reported by the update comes before them all, as it did.)
  // Runs started before this took the fix signal first.
  const signalsInOrder = patched('fix-signals-in-order');
  // One of another name (typed wrongly in the Temporal UI) is ignored, logged and audited as such (runs since the marker; before, silently).
  const ignoreUnknown = unknownSignalHandler([issueResolvedSignal.name, issueRecurredSignal.name, fixConfirmedSignal.name], auditSteeringFromOutside);
  if (!signalsInOrder) setHandler(issueResolvedSignal, onResolved, resolvedOptions);
  setRefusableUpdate(
    resolveIssueUpdate,
    () => resolutionProblem(state),
    async () => {
      state.resolved = true;
      // Or the issue came back before the run closed the case as fixed (see issueRecurred): the fix is superseded.
      await condition(() => state.step === 'awaiting-check-back' || state.step === 'done' || state.step === 'reopening');
      await auditSteering(auditSteeringFromOutside);
      return state;
    },
    'The owner fixed the cause; answers once the case is closed as fixed and the check-back planned; takes no input (one saying otherwise is refused)',
    (args) => inputSaysOtherwise(resolveIssueUpdate.name, 'resolved', args),
  );
  if (signalsInOrder) {
    // Takes the signals given before the handlers, in their order, then steps aside.
    setDefaultSignalHandler(async (name, ...args) => {
      if (name === issueResolvedSignal.name) await onResolved(...args);
      else if (name === issueRecurredSignal.name) await onRecurred();
      else if (name === fixConfirmedSignal.name) await onConfirmed(...args);
      else await ignoreUnknown?.(name);
    });
    setHandler(issueResolvedSignal, onResolved, resolvedOptions);
  }
  setHandler(issueRecurredSignal, onRecurred, {
    description: 'The customer complained about the topic again; before the check-back the fix did not hold, and the case opens again one level up',
  });
  setHandler(fixConfirmedSignal, onConfirmed, {
    description:
      'The customer says the fix holds (confirmFixHolds sends it): a fix waiting for its check-back thanks them now (and gives a loyal customer the gesture), not at the check-back deadline; typed here, the confirmation is recorded on the case as the API records it. Ignored (and audited saying why) at any other step',
  });
  if (signalsInOrder || ignoreUnknown) setDefaultSignalHandler(ignoreUnknown ?? undefined);
  const enter = (step: FixIssueStep, details: string) => {
    state.step = step;
    upsertSearchAttributes([{ key: PlaybookStepKey, value: step }]);
    setCurrentDetails(details);
  };

  // Every missed deadline moves the case one level up; the wait goes on until it is fixed.
  const untilFixed = async () => {
    for (;;) {
      state.deadline = new Date(Date.now() + policy.fixDeadlineMs).toISOString();
      enter('awaiting-fix', `${state.owner} fixes "${topic}" by ${state.deadline}`);
      if (await condition(() => state.resolved, policy.fixDeadlineMs)) return;
      state.escalations += 1;
      state.owner = ownerAfter(policy, topic, state.escalations);
      enter('escalating', `Deadline missed: escalated to ${state.owner}`);
      await escalateFixCase({ workflowId, customerId, topic, escalations: state.escalations, owner: state.owner, terms: fixCaseTerms(policy, topic, state.escalations) });
    }
  };

  // A complaint the run was not told of (a command-line import, a follow-up that failed) means the fix did not hold all the
  // same; so does one signalled while the database was asked.
  const recurredUnheard = async () => patched('fix-recurrence-checked') && ((await complainedSinceFixed(workflowId)) || recurred);

  await recordRunStarted({ workflowId, playbook: FIX_ISSUE, customerId, campaignId: startingCampaign() });
  const band = await loadLoyaltyBand(customerId);
  upsertSearchAttributes([{ key: LoyaltyBandKey, value: band }]);

  // A case with an owner (a later run's one level up from its last, when that fix did not hold), and the customer hears at once that it is being worked on.
  // Its owner's task promises this run's deadline and next level (`terms`), as the gesture gives this run's amount: the policy it keeps.
  state.owner = ownerAfter(policy, topic, state.escalations);
  enter('opening-case', `Opening a fix case for "${topic}" owned by ${state.owner}`);
  await openFixCase({
    workflowId,
    customerId,
    topic,
    owner: state.owner,
    ...(state.escalations > 0 ? { team: firstOwner(policy, topic), escalations: state.escalations } : {}),
    terms: fixCaseTerms(policy, topic, state.escalations),
  });

  const gesture = policy.gestureBands.includes(band);
  // The check-back of each fix has a message of its own (the first `check-back`, as before); the gesture goes once, and
  // only to a customer still with us (the step says whether it went; one recorded before it said so went as asked).
  let checkBacks = 0;
  let gestureGiven = false;
  const checkBack = async () => {
    enter('checking-back', gesture ? 'Asking whether the fix holds, with a gesture for a loyal customer' : 'Asking whether the fix holds');
    const given = await checkBackOnFix({
      workflowId,
      customerId,
      topic,
      gesture,
      ...(checkBacks > 0 ? { round: checkBacks + 1 } : {}),
      goodwillMinor: policy.gestureGoodwillMinor,
      loyaltyBand: band,
      // The customer's word, given to the run (by the API, or typed in the Temporal UI): the step records it on the case if the API did not.
      ...(confirmed ? { confirmed: true } : {}),
    });
    gestureGiven ||= given?.gesture ?? gesture;
    checkBacks += 1;
  };

  for (;;) {
    await untilFixed();
    // A fix the issue came back after, before the case was closed as fixed, did not hold: straight to reopening it.
    if (!recurred) {
      await resolveFixCase(workflowId);

      // Check back once the fix has had time to prove itself; a complaint about it meanwhile means it did not hold. The
      // customer saying it holds before then (`fixConfirmed`) is the check-back's answer: it thanks them at once.
      state.deadline = new Date(Date.now() + policy.checkBackAfterMs).toISOString();
      enter('awaiting-check-back', `Fixed; checking back with the customer on ${state.deadline}`);
      const woke = await condition(() => recurred || confirmed, policy.checkBackAfterMs);
      if ((!woke || !recurred) && !(await recurredUnheard())) {
        // A complaint while the check-back goes out (signalled, or one the database has since the fix) is the issue coming
        // back too: the case opens again one level up instead of the run ending fixed. Runs started before this ended fixed.
        recurrenceAtCheckBack = patched('fix-recurrence-at-check-back');
        if (!recurrenceAtCheckBack) break;
        await checkBack();
        if (!recurred && !(await complainedSinceFixed(workflowId))) break;
      }
    }
    recurred = false;
    // A confirmation was of the fix that did not hold; the next fix waits for its own.
    confirmed = false;
    state.resolved = false;
    state.recurrences += 1;
    state.escalations += 1;
    state.owner = ownerAfter(policy, topic, state.escalations);
    enter('reopening', `The issue came back: the case is open again, with ${state.owner}`);
    await reopenFixCase({ workflowId, customerId, topic, recurrences: state.recurrences, escalations: state.escalations, owner: state.owner, terms: fixCaseTerms(policy, topic, state.escalations) });
  }

  if (!recurrenceAtCheckBack) await checkBack();

  const outcome: FixIssueOutcome = gestureGiven ? 'fixed-with-gesture' : 'fixed';
  await recordRunOutcome({ workflowId, outcome, finalState: endedState(state, outcome) });
  state.outcome = outcome;
  state.deadline = null;
  enter('done', `Fixed after ${state.escalations} escalation${state.escalations === 1 ? '' : 's'}`);
  await condition(allHandlersFinished);
  return outcome;
}
