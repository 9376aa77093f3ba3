import { DomainException, type FailureKind } from '../errors/domain-exception.js';

export enum ScoringExceptionCode {
  /** An input is outside a model's domain (negative time, recency after T, ...). */
  InvalidInput = 'SCORING_INVALID_INPUT',
  /** The data cannot identify the model's parameters (e.g. no repeat purchases at all). */
  NotIdentifiable = 'SCORING_NOT_IDENTIFIABLE',
  RunNotFound = 'SCORING_RUN_NOT_FOUND',
  /** A run that has completed or was cancelled cannot be cancelled. */
  RunAlreadyFinished = 'SCORING_RUN_ALREADY_FINISHED',
  /** A rescore of the same day is under way: one at a time. */
  RunInProgress = 'SCORING_RUN_IN_PROGRESS',
  /** The workflow engine that runs rescores cannot be reached. */
  EngineUnavailable = 'SCORING_ENGINE_UNAVAILABLE',
  /** The engine took a rescore's start, but recording it failed after: it runs; follow it (`id`) before starting another. */
  OutcomeUnknown = 'SCORING_OUTCOME_UNKNOWN',
  /** `scores fit`: the orders file is not there, or cannot be used (a bad row carries `line`, 1-based with the header as 1, and `column`). */
  OrdersFileNotFound = 'ORDERS_FILE_NOT_FOUND',
  OrdersFileBadHeader = 'ORDERS_FILE_BAD_HEADER',
  OrdersFileBadRow = 'ORDERS_FILE_BAD_ROW',
  OrdersFileUnreadableCsv = 'ORDERS_FILE_UNREADABLE_CSV',
  OrdersFileNoOrders = 'ORDERS_FILE_NO_ORDERS',
}

const kinds: Record<ScoringExceptionCode, FailureKind> = {
  [ScoringExceptionCode.InvalidInput]: 'VALIDATION',
  [ScoringExceptionCode.NotIdentifiable]: 'VALIDATION',
  [ScoringExceptionCode.RunNotFound]: 'NOT_FOUND',
  [ScoringExceptionCode.RunAlreadyFinished]: 'CONFLICT',
  [ScoringExceptionCode.RunInProgress]: 'CONFLICT',
  [ScoringExceptionCode.EngineUnavailable]: 'UNAVAILABLE',
  [ScoringExceptionCode.OutcomeUnknown]: 'UNAVAILABLE',
  [ScoringExceptionCode.OrdersFileNotFound]: 'NOT_FOUND',
  [ScoringExceptionCode.OrdersFileBadHeader]: 'VALIDATION',
  [ScoringExceptionCode.OrdersFileBadRow]: 'VALIDATION',
  [ScoringExceptionCode.OrdersFileUnreadableCsv]: 'VALIDATION',
  [ScoringExceptionCode.OrdersFileNoOrders]: 'VALIDATION',
};

export class ScoringException extends DomainException<ScoringExceptionCode> {
  get kind(): FailureKind {
    return kinds[this.code];
  }
}

export const invalidInput = (message: string, details: Record<string, unknown> = {}) => new ScoringException(ScoringExceptionCode.InvalidInput, message, details);
