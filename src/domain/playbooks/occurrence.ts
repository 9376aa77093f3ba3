/**
 * Some playbooks may run again for the same customer and trigger once the last run has
 * finished: a later account review after the cooldown, a new fix when an issue comes back.
 * Each run keeps a workflow ID of its own, so its records, fix case and messages (keyed by
 * workflow ID and step) never collide with an earlier run's: the first run has the base ID
 * (`account-review/<customer>`), the n-th `<base>/<n>`.
 */
export function occurrenceWorkflowId(base: string, occurrence: number): string {
  if (!(Number.isInteger(occurrence) && occurrence >= 1)) throw new RangeError(`occurrence must be a whole number >= 1 (got ${occurrence})`);
  return occurrence === 1 ? base : `${base}/${occurrence}`;
}

/** Which run of `base` this workflow ID is (1 for the base itself), or null when it is another run's ID. */
export function occurrenceOf(base: string, workflowId: string): number | null {
  if (workflowId === base) return 1;
  if (!workflowId.startsWith(`${base}/`)) return null;
  const rest = workflowId.slice(base.length + 1);
  return /^[1-9][0-9]*$/.test(rest) && Number(rest) >= 2 ? Number(rest) : null;
}

/** The newest run of `base` among these workflow IDs, or null when none is one of its runs. */
export function latestOccurrence(base: string, workflowIds: readonly string[]): { workflowId: string; occurrence: number } | null {
  let latest: { workflowId: string; occurrence: number } | null = null;
  for (const workflowId of workflowIds) {
    const occurrence = occurrenceOf(base, workflowId);
    if (occurrence !== null && (!latest || occurrence > latest.occurrence)) latest = { workflowId, occurrence };
  }
  return latest;
}
