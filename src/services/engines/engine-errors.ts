import { DomainException } from '../../domain/errors/domain-exception.js';

/**
 * Whether a call to an engine that failed may still have been taken: the engine did not answer in
 * time (its UNAVAILABLE says `timedOut`), or the call failed some way no domain exception names.
 * Not when the engine or the run refused it, or the engine could not be reached at all.
 */
export function engineMayHaveTakenIt(error: unknown): boolean {
  return !(error instanceof DomainException) || error.details.timedOut === true;
}
