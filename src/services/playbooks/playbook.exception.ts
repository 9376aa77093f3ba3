import { topicKey, topicProblem } from '../../domain/complaints/topic.js';
import { DomainException, type FailureKind } from '../../domain/errors/domain-exception.js';

export enum PlaybookExceptionCode {
  RunNotFound = 'PLAYBOOK_RUN_NOT_FOUND',
  RunAlreadyFinished = 'PLAYBOOK_RUN_ALREADY_FINISHED',
  EngineUnavailable = 'PLAYBOOK_ENGINE_UNAVAILABLE',
  /**
   * Too many queries of runs' live state (and campaigns' progress) wait their turn in this API process already, or this
   * one waited its longest: nothing was asked of the run; try again shortly, or ask for fewer runs' state at once.
   */
  EngineBusy = 'PLAYBOOK_ENGINE_BUSY',
  /**
   * A person's input was sent to the run, but Temporal did not answer in time whether the run
   * took it: the run may still take it. Audited with `outcome: "unknown"`; read the run's
   * state before trying again (the same request again joins the same update).
   */
  OutcomeUnknown = 'PLAYBOOK_OUTCOME_UNKNOWN',
  InvalidInput = 'PLAYBOOK_INVALID_INPUT',
  /** An update the run does not accept now (e.g. an offboarding decision while none is awaited). */
  DecisionRefused = 'PLAYBOOK_DECISION_REFUSED',
  /** A promise to pay the reminder run does not take (the invoice paid, the run ended); a day outside the window is PLAYBOOK_INVALID_INPUT on `until`. */
  PromiseRefused = 'PLAYBOOK_PROMISE_REFUSED',
  /** The customer has left: no thank-you, welcome check or account review starts for them. */
  CustomerOffboarded = 'PLAYBOOK_CUSTOMER_OFFBOARDED',
  /** The customer's personal data was erased: no playbook at all starts for them. */
  CustomerErased = 'PLAYBOOK_CUSTOMER_ERASED',
  /** The playbook is not for this customer now (its eligibility rules: a persistent issue, a loss-making account past the cooldown, years of loyalty). */
  NotEligible = 'PLAYBOOK_NOT_ELIGIBLE',
  /** The owner already reported the fix; the run now checks back with the customer. */
  IssueAlreadyResolved = 'PLAYBOOK_ISSUE_ALREADY_RESOLVED',
  FixCaseNotFound = 'PLAYBOOK_FIX_CASE_NOT_FOUND',
  /** The customer says a fix holds that its owner has not made yet. */
  FixNotDone = 'PLAYBOOK_FIX_NOT_DONE',
}

const kinds: Record<PlaybookExceptionCode, FailureKind> = {
  [PlaybookExceptionCode.RunNotFound]: 'NOT_FOUND',
  [PlaybookExceptionCode.RunAlreadyFinished]: 'CONFLICT',
  [PlaybookExceptionCode.EngineUnavailable]: 'UNAVAILABLE',
  [PlaybookExceptionCode.EngineBusy]: 'UNAVAILABLE',
  [PlaybookExceptionCode.OutcomeUnknown]: 'UNAVAILABLE',
  [PlaybookExceptionCode.InvalidInput]: 'VALIDATION',
  [PlaybookExceptionCode.DecisionRefused]: 'CONFLICT',
  [PlaybookExceptionCode.PromiseRefused]: 'CONFLICT',
  [PlaybookExceptionCode.CustomerOffboarded]: 'CONFLICT',
  [PlaybookExceptionCode.CustomerErased]: 'CONFLICT',
  [PlaybookExceptionCode.NotEligible]: 'CONFLICT',
  [PlaybookExceptionCode.IssueAlreadyResolved]: 'CONFLICT',
  [PlaybookExceptionCode.FixCaseNotFound]: 'NOT_FOUND',
  [PlaybookExceptionCode.FixNotDone]: 'CONFLICT',
};

export class PlaybookException extends DomainException<PlaybookExceptionCode> {
  get kind(): FailureKind {
    return kinds[this.code];
  }
}

/** A fix is keyed by its complaint topic as recordComplaint stores it ("Delivery-Delay" is "delivery-delay"); anything else names no issue (VALIDATION, field topic). */
export function fixIssueTopic(topic: string): string {
  const problem = topicProblem(topic);
  if (problem) throw new PlaybookException(PlaybookExceptionCode.InvalidInput, problem, { field: 'topic' });
  return topicKey(topic);
}
