const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** IDs are UUIDs; checking the shape first turns a typo into a VALIDATION error instead of a database error. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** The longest workflow ID (a playbook or scoring run's), Temporal's own limit: a longer one names no run. */
export const WORKFLOW_ID_MAX_LENGTH = 1000;

/** Why `id`, given as the argument `field`, cannot be a workflow ID, or null (the message does not repeat it). */
export function workflowIdProblem(id: string, field: string): string | null {
  if (id.trim() === '') return `${field} must not be empty`;
  return id.length > WORKFLOW_ID_MAX_LENGTH ? `${field} must be at most ${WORKFLOW_ID_MAX_LENGTH} characters` : null;
}
