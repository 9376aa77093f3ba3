import { days, seconds } from '../policies/duration.js';
import { engineStartPolicyCheck, canonicalJson } from './engine-start.js';
import { FAIR_REMINDER, fairReminderPolicy, fairReminderPolicyProblems, type FairReminderPolicy } from './fair-reminder.js';
import { WELCOME_CHECK, welcomeCheckPolicy } from './welcome-check.js';

/** The deployment's policy with every wait after the first set to `waitMs` (what an operator typed in the Temporal CLI). */
const everyWait = (waitMs: number): FairReminderPolicy => ({
  ...fairReminderPolicy,
  loyalSchedule: fairReminderPolicy.loyalSchedule.map((s, i) => ({ ...s, waitMs: i === 0 ? 0 : waitMs })),
  standardSchedule: fairReminderPolicy.standardSchedule.map((s, i) => ({ ...s, waitMs: i === 0 ? 0 : waitMs })),
});

describe('a policy given with a run started from outside the platform', () => {
  it('is the deployment\'s when it is the same, its fields in any order', () => {
    const reordered = JSON.parse(JSON.stringify({ fees: fairReminderPolicy.fees, promise: fairReminderPolicy.promise, version: 3, standardSchedule: fairReminderPolicy.standardSchedule, loyalSchedule: fairReminderPolicy.loyalSchedule }));
    expect(engineStartPolicyCheck(FAIR_REMINDER, reordered, fairReminderPolicy)).toEqual({ differsFromDeployment: false, problems: [] });
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe(canonicalJson({ a: [{ c: 2, d: 1 }], b: 1 }));
  });

  it('is not taken when its waits are shorter than the deployment\'s (every wait 30 seconds: three fees and collections in 90 seconds)', () => {
    const problems = fairReminderPolicyProblems(everyWait(seconds(30)), fairReminderPolicy);
    expect(problems).toContain("standardSchedule step 2 waits 30 seconds, less than the deployment's 10 days");
    expect(problems).toContain("loyalSchedule step 2 waits 30 seconds, less than the deployment's 7 days");
    expect(problems).toContain("standardSchedule hands over to collections 90 seconds after the start, sooner than the deployment's 34 days");
    expect(engineStartPolicyCheck(FAIR_REMINDER, everyWait(seconds(30)), fairReminderPolicy)).toEqual({ differsFromDeployment: true, problems });
    // Longer waits are no harm to the payer: different, and taken.
    expect(engineStartPolicyCheck(FAIR_REMINDER, everyWait(days(20)), fairReminderPolicy)).toEqual({ differsFromDeployment: true, problems: [] });
  });

  it('is not taken when its fees are above the deployment\'s, one by one or in all, or a band the deployment spares pays', () => {
    const fees = (feesMinor: number[], feeFreeBands = fairReminderPolicy.fees.feeFreeBands) => ({ ...fairReminderPolicy, fees: { ...fairReminderPolicy.fees, feesMinor, feeFreeBands } });
    expect(fairReminderPolicyProblems(fees([100000, 500, 1000]), fairReminderPolicy)).toEqual(["reminder 1's fee 100000 is above the deployment's 0", 'the fees come to 101500 in all, above the deployment\'s 1500']);
    expect(fairReminderPolicyProblems(fees([0, 400, 900]), fairReminderPolicy)).toEqual([]);
    expect(fairReminderPolicyProblems(fees([0, 500, 1000], []), fairReminderPolicy)).toEqual(['the loyal band pays a fee the deployment spares']);
    // More reminders than the deployment's, each at no more than its fee: more fees in all.
    const longer = { ...fairReminderPolicy, standardSchedule: [...fairReminderPolicy.standardSchedule.slice(0, 3), { waitMs: days(10), action: 'reminder' as const, template: 'reminder-standard-3' }, fairReminderPolicy.standardSchedule[3]] };
    expect(fairReminderPolicyProblems(longer, fairReminderPolicy)).toEqual(["the fees come to 2500 in all, above the deployment's 1500"]);
  });

  it("is not taken when a step sends a message the deployment's schedule does not send there: a collections letter as a loyal payer's friendly reminder, the last warning first", () => {
    const first = (schedule: 'loyalSchedule' | 'standardSchedule', template: string) => ({
      ...fairReminderPolicy,
      [schedule]: fairReminderPolicy[schedule].map((s, i) => (i === 0 ? { ...s, template } : s)),
    });
    expect(fairReminderPolicyProblems(first('loyalSchedule', 'collections-handover'), fairReminderPolicy)).toEqual([
      "loyalSchedule step 1 sends collections-handover, not one of the deployment's loyalSchedule messages for a reminder",
    ]);
    expect(fairReminderPolicyProblems(first('standardSchedule', 'reminder-standard-3'), fairReminderPolicy)).toEqual([
      'standardSchedule step 1 sends reminder-standard-3, which the deployment sends at step 3',
    ]);
    // The deployment's own messages where it sends them: nothing to say.
    expect(fairReminderPolicyProblems(first('loyalSchedule', 'reminder-friendly'), fairReminderPolicy)).toEqual([]);
  });

  it('is not taken when the loyal schedule hands over to collections, or promises hold for less', () => {
    const handover = { ...fairReminderPolicy, loyalSchedule: [...fairReminderPolicy.loyalSchedule, { waitMs: days(14), action: 'handover' as const, template: 'collections-handover' }] };
    expect(fairReminderPolicyProblems(handover, fairReminderPolicy)).toEqual(["loyalSchedule step 5 (handover) is not a step of the deployment's loyalSchedule"]);
    expect(fairReminderPolicyProblems({ ...fairReminderPolicy, promise: { maxDaysAhead: 30, graceDays: 0 } }, fairReminderPolicy)).toEqual(["a promise to pay is given 0 grace days, fewer than the deployment's 2"]);
  });

  it('is judged against the deployment\'s policy, whatever it is (a test\'s waits in seconds)', () => {
    const shortened = everyWait(seconds(1));
    expect(fairReminderPolicyProblems(shortened, shortened)).toEqual([]);
    expect(fairReminderPolicyProblems(everyWait(0), shortened)).toContain("standardSchedule step 2 waits 0 ms, less than the deployment's 1 second");
  });

  it('is a problem, not a TypeError, when typed wrongly', () => {
    expect(fairReminderPolicyProblems(null, fairReminderPolicy)).toEqual(['the policy is missing']);
    expect(fairReminderPolicyProblems({ loyalSchedule: 'x', standardSchedule: [{ action: 'reminder' }], fees: {} }, fairReminderPolicy)).toEqual([
      'loyalSchedule is not a list of steps',
      'standardSchedule step 1 has no wait',
      "standardSchedule step 1 sends undefined, not one of the deployment's standardSchedule messages for a reminder",
      'the fees are not a fee policy',
    ]);
  });

  it('of another playbook is audited as differing, not judged', () => {
    expect(engineStartPolicyCheck(WELCOME_CHECK, { ...welcomeCheckPolicy, version: 99 }, welcomeCheckPolicy)).toEqual({ differsFromDeployment: true, problems: [] });
  });
});
