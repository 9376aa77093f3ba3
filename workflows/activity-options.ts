/**
 * How workflows call their activities. A step is retried until it succeeds (an outage of the
 * database or the mail gateway passes; a step's own refusals end the run, not the retries),
 * backing off to a minute between attempts.
 */
export const stepRetry = { initialInterval: '1 second', maximumInterval: '1 minute' } as const;

/** A playbook's steps: short database work, given half a minute an attempt. */
export const playbookStepOptions = { startToCloseTimeout: '30 seconds', retry: stepRetry } as const;
