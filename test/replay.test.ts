import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * Histories of real runs, recorded by the workflow tests (`npm run histories:record`) and
 * kept in the repository, replay against today's workflow bundle. A change to a workflow
 * that running workflows could not follow (a reordered activity, a removed timer) fails
 * here: such changes need `patched()` or a new workflow version.
 */
const replay = (dir: string) => {
  const run = spawnSync(process.execPath, [path.resolve('dist/test/support/replay-histories.js'), dir], { encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, results: run.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { file: string; ok: boolean; error?: string }), stderr: run.stderr };
};

it('replays every recorded playbook history against the current workflow code', () => {
  const { status, results, stderr } = replay(path.resolve('test/histories'));
  expect(results.map((r) => r.file)).toEqual(
    expect.arrayContaining([
      'account-review-offboarded.json',
      'appreciation-thanked.json',
      'campaign-completed.json',
      'campaign-repeating-cancelled.json',
      'campaign-scheduled-cancelled.json',
      'fair-reminder-loyal-called.json',
      'fair-reminder-loyal-follow-up.json',
      'fair-reminder-loyal-paid.json',
      'fair-reminder-standard-handed-over.json',
      'fix-issue-cancelled.json',
      'fix-issue-escalated-fixed.json',
      'fix-issue-recurred.json',
      'rescore-small-base.json',
      'score-history-thinned.json',
      'welcome-check-confirmed.json',
      'run-reconciliation-recorded.json',
      'welcome-check-confirmed-by-update.json',
      'fix-issue-escalated-fixed-by-update.json',
      'fix-issue-recurred-by-update.json',
      'account-review-offboarded-by-update.json',
      'fair-reminder-payment-signal-checked.json',
      'campaign-cancelled-in-engine.json',
      'campaign-cancelled-in-ui-unrecorded.json',
      'fair-reminder-promise-kept.json',
      'fair-reminder-promise-broken.json',
      'fair-reminder-promise-held-at-once.json',
      'fair-reminder-promise-lapsed-at-once.json',
      'fair-reminder-payment-signal-audited.json',
      'welcome-check-confirmed-in-ui-audited.json',
      'welcome-check-confirmed-by-update-in-ui-audited.json',
      'account-review-signals-audited.json',
      'campaign-steered-in-ui-audited.json',
      'campaign-resume-unchanged-in-ui-audited.json',
      'fair-reminder-cancelled-mid-step.json',
      'fix-issue-cancelled-in-ui-mid-step.json',
      'account-review-cancelled-in-notice.json',
      'welcome-check-follow-up-call.json',
      'appreciation-waited-for-fix.json',
      'fair-reminder-promise-reset.json',
      'fair-reminder-promise-reset-with-payment-claim.json',
      'rescore-scheduled-backfilled.json',
      'account-review-reset-offboarding-withdrawn.json',
      'account-review-proposal-after-quiet-hours.json',
      'fix-issue-recurred-unheard.json',
      'account-review-reason-entry-refused.json',
      'account-review-declined-proposal-held-back.json',
      'account-review-answer-to-held-back-proposal-refused.json',
      'account-review-decider-refused.json',
      'campaign-pass-waits-for-resume.json',
      'welcome-check-input-says-no.json',
      'fix-issue-input-says-no.json',
      'fair-reminder-loyal-never-charged.json',
      'appreciation-woken-by-complaint.json',
      'account-review-notice-ended-early.json',
      'account-review-notice-ended-early-in-engine.json',
      'welcome-check-confirmation-refused-issue-open.json',
      'welcome-check-confirmed-once-issue-resolved.json',
      'account-review-offboarded-cancel-not-taken.json',
      'account-review-offboarded-cancel-while-carried-out.json',
      'fair-reminder-promise-lapse-recorded.json',
      'welcome-check-not-new.json',
      'account-review-nothing-proposed-talked-through.json',
      'account-review-approval-waits-for-open-issues.json',
      'account-review-stale-approval-reproposes.json',
      'account-review-proposal-held-at-complaint.json',
      'fix-issue-confirmed-early.json',
      'fix-issue-confirmed-in-ui.json',
      'fair-reminder-dispute-held.json',
      'account-review-proposal-hold-looks-when-complaint-closed.json',
      'rescore-cancelled-page-timed-out.json',
      'account-review-engine-start-policy-checked.json',
      'campaign-resume-at-pass-time-recorded.json',
      'fair-reminder-promise-superseded-by-dispute.json',
      'campaign-status-record-after-steering.json',
      'fair-reminder-promise-refused-while-disputed.json',
    ]),
  );
  expect(results.filter((r) => !r.ok)).toEqual([]);
  expect({ status, stderr: status ? stderr : '' }).toEqual({ status: 0, stderr: '' });
});
