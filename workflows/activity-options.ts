/**
 * How workflows call their activities. The timeouts here and in the workflows are engine
 * settings, not business rules: how long one attempt may take before Temporal retries it (on
 * another worker, if this one died). What a business tunes (waits, deadlines, page sizes, and a
 * rescore's or campaign's page timeouts, which grow with their page size) is in the policies.
 * A step is retried until it succeeds (an outage of the database or the mail gateway passes; a
 * step's own refusals end the run, not the retries), backing off to a minute between attempts.
 */
export const stepRetry = { initialInterval: '1 second', maximumInterval: '1 minute' } as const;

/** A playbook's steps: short database work, given half a minute an attempt. */
export const playbookStepOptions = { startToCloseTimeout: '30 seconds', retry: stepRetry } as const;

/**
 * A campaign run's record of its status (one row's UPDATE) and its steering audit: given half a minute an attempt, as a
 * playbook's steps are, not a page's timeout. A lost attempt (its worker died, the task never reached it) is retried
 * only when its timeout runs out: with a page's ten minutes, a campaign whose enrolment had ended showed Running, with
 * no end, for that long.
 */
export const campaignRecordOptions = { startToCloseTimeout: '30 seconds', retry: stepRetry } as const;

/** A page of a nightly sweep (set-based SQL over at most a trigger policy's page of candidates, and their starts) or of the run reconciliation. */
export const sweepPageOptions = { startToCloseTimeout: '5 minutes', retry: stepRetry } as const;
