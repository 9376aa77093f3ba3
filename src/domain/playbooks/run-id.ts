/**
 * A run's workflow ID: its playbook, then what makes the run one of a kind (the customer, then an
 * invoice, a year or a topic), joined by "/". Operators search the Temporal UI by it; the
 * set-based queries build the same IDs in SQL from the same parts (services/facts/run-ids.ts).
 */
export const RUN_ID_SEPARATOR = '/';

export function runId(playbook: string, ...parts: (string | number)[]): string {
  return [playbook, ...parts].join(RUN_ID_SEPARATOR);
}
