/**
 * A run's workflow ID: its playbook, then what makes the run one of a kind (the customer, then an
 * invoice, a year or a topic), joined by "/". Operators search the Temporal UI by it; the
 * set-based queries build the same IDs in SQL from the same parts (services/facts/run-ids.ts).
 */
export const RUN_ID_SEPARATOR = '/';

export function runId(playbook: string, ...parts: (string | number)[]): string {
  return [playbook, ...parts].join(RUN_ID_SEPARATOR);
}

/** The key of the message a run's step writes, `<workflow id>/<step>`: one message per run and step, whatever retries happen. */
export function stepMessageKey(workflowId: string, step: string): string {
  return `${workflowId}${RUN_ID_SEPARATOR}${step}`;
}

/** The run and step a step message's key names (a step has no separator in it; a workflow ID has several). */
export function stepMessageKeyParts(key: string): { workflowId: string; step: string } {
  const at = key.lastIndexOf(RUN_ID_SEPARATOR);
  return { workflowId: key.slice(0, at), step: key.slice(at + 1) };
}
