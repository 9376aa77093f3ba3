import { heldBackByRunStop, RUN_ENDED, RUN_ENDED_NOT_NEW, RUN_ENDED_UNANSWERED, runEndedReason } from './run-status.js';
import { confirmationProblem, NOT_NEW, signalTooLate, welcomeCheckOutcome, type WelcomeCheckState } from './welcome-check.js';

const state = (step: WelcomeCheckState['step'], confirmed = false): WelcomeCheckState => ({ customerId: 'c', step, confirmed, outcome: null, policyVersion: 1, deadline: null });

describe('welcome check', () => {
  it('takes a confirmation once, while it waits for one (or before its wait has begun)', () => {
    expect(confirmationProblem(state('awaiting-confirmation'))).toBeNull();
    expect(confirmationProblem(state('starting'))).toBeNull();
    expect(confirmationProblem(state('awaiting-confirmation', true))).toBe('the customer has already confirmed');
    expect(confirmationProblem(state('recording-outcome'))).toBe('its wait for a confirmation is over: a person follows up');
    expect(confirmationProblem(state('done', true))).toBe('the customer has already confirmed');
  });

  it('takes a signalled confirmation only while it waits for one (or before its wait has begun)', () => {
    expect(signalTooLate(state('starting'))).toBeNull();
    expect(signalTooLate(state('awaiting-confirmation', true))).toBeNull();
    expect(signalTooLate(state('recording-outcome'))).toBe('its wait for a confirmation is over (step recording-outcome): a person follows up');
    expect(signalTooLate(state('done'))).toMatch(/^its wait for a confirmation is over/);
  });
});

describe('a welcome check that ended', () => {
  it('without a confirmation holds back its queued welcome as unanswered (a person follows up), with one as answered', () => {
    expect(runEndedReason(welcomeCheckOutcome(false))).toBe(RUN_ENDED_UNANSWERED);
    expect(runEndedReason(welcomeCheckOutcome(true))).toBe(RUN_ENDED);
  });

  it('for a customer no newcomer by then holds back its queued welcome saying nobody follows up (a reset releases it)', () => {
    expect(runEndedReason(NOT_NEW)).toBe(RUN_ENDED_NOT_NEW);
    expect(heldBackByRunStop).toContain(RUN_ENDED_NOT_NEW);
  });
});
