import { heldBackByRunStop, RUN_ENDED, RUN_ENDED_UNANSWERED, runEndedReason, runStatus, RunStatus } from './run-status.js';

describe('runStatus', () => {
  it('is how the run ended, by the engine or by its record, else under way', () => {
    expect(runStatus(RunStatus.Running, { status: RunStatus.Running, step: 'waiting' })).toBe(RunStatus.Running);
    // The record is written as the run's last act, a moment before the engine says it ended.
    expect(runStatus(RunStatus.Completed, { status: RunStatus.Running, step: 'done' })).toBe(RunStatus.Completed);
    expect(runStatus(RunStatus.Running, { status: RunStatus.Cancelled })).toBe(RunStatus.Cancelled);
    // Only the record (the engine not asked, or not answering).
    expect(runStatus(RunStatus.Cancelled, null)).toBe(RunStatus.Cancelled);
    expect(runStatus(null, null)).toBe(RunStatus.Running);
    // At its last step, not yet recorded: completing.
    expect(runStatus(RunStatus.Running, { status: null, step: 'done' })).toBe(RunStatus.Completed);
  });

  it('takes a run reset in the engine after an end recorded from it as under way again', () => {
    expect(runStatus(RunStatus.Terminated, { status: RunStatus.Running, step: 'waiting' })).toBe(RunStatus.Running);
    expect(runStatus(RunStatus.Terminated, null)).toBe(RunStatus.Terminated);
    // An end the run recorded itself stands while the engine closes the run (no reset since)...
    const ended = new Date('2026-12-01T10:00:00Z');
    expect(runStatus(RunStatus.Completed, { status: RunStatus.Running, step: 'waiting', lastResetAt: null }, ended)).toBe(RunStatus.Completed);
    expect(runStatus(RunStatus.Completed, { status: RunStatus.Running, step: 'waiting', lastResetAt: new Date('2026-11-30T10:00:00Z') }, ended)).toBe(RunStatus.Completed);
    // ...but not once the run was reset after it: under way again, before the reconciliation records it so.
    for (const recorded of [RunStatus.Completed, RunStatus.Cancelled]) {
      expect(runStatus(recorded, { status: RunStatus.Running, step: 'waiting', lastResetAt: new Date('2026-12-01T10:05:00Z') }, ended)).toBe(RunStatus.Running);
    }
    // Without the engine's word the record stands.
    expect(runStatus(RunStatus.Completed, null, ended)).toBe(RunStatus.Completed);
  });
});

describe('runEndedReason', () => {
  it('says a message asking what the run waited for was answered only when it was: a run ended without an answer says a person follows up', () => {
    expect(runEndedReason('confirmed')).toBe(RUN_ENDED);
    expect(runEndedReason('follow-up-needed')).toBe(RUN_ENDED_UNANSWERED);
    expect(RUN_ENDED_UNANSWERED).not.toMatch(/answered$/);
    // Either is a run's stop, which a reset that makes the run run again releases.
    expect(heldBackByRunStop).toEqual(expect.arrayContaining([RUN_ENDED, RUN_ENDED_UNANSWERED]));
  });
});
