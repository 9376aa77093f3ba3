/** Who may do what: deny by default, each role grants the roles listed for it. */
export enum Role {
  Viewer = 'viewer',
  Marketer = 'marketer',
  Operator = 'operator',
  Admin = 'admin',
}

const grants: Record<Role, Role[]> = {
  [Role.Viewer]: [Role.Viewer],
  [Role.Marketer]: [Role.Marketer, Role.Viewer],
  [Role.Operator]: [Role.Operator, Role.Viewer],
  [Role.Admin]: [Role.Admin, Role.Operator, Role.Marketer, Role.Viewer],
};

/** How the audit log names an API caller: the role and a short fingerprint of their key (`admin:1a2b3c4d`). */
export const callerLabel = (role: Role, fingerprint: string) => `${role}:${fingerprint}`;

const RUN_ACTOR_PREFIX = 'playbook:';
/** How the audit log names a playbook run acting by its own steps (a tier it changed, a message it sent): `playbook:<workflow ID>`. */
export const runActor = (workflowId: string) => `${RUN_ACTOR_PREFIX}${workflowId}`;
/** The run a `runActor` name names; null for another actor. */
export const runOfActor = (actor: string): string | null => (actor.startsWith(RUN_ACTOR_PREFIX) ? actor.slice(RUN_ACTOR_PREFIX.length) : null);
/** How the audit log names whoever steered a run in the Temporal UI or CLI: the engine's identity of them, `unknown` where it kept none. */
export const engineActor = (identity: string | null | undefined) => `temporal:${identity ?? 'unknown'}`;

/**
 * Whether `name` reads as one of the actors the audit log names itself, `<kind>:<who>`: an API caller (`callerLabel`), the
 * platform (`system:`), a run (`playbook:`), the engine's identity (`temporal:`), the command line (`cli:`), the
 * unsubscribe link. A name typed by hand (a decision sent in the Temporal UI) must not claim one, whatever its case or
 * kind: the log would credit that actor with it. A person's name has no colon.
 */
export function isRecordedActorForm(name: string): boolean {
  return name.includes(':');
}

export function isRole(value: string): value is Role {
  return (Object.values(Role) as string[]).includes(value);
}

/** True when a caller with `role` may do something that requires one of `required`. */
export function roleAllows(role: Role, required: readonly Role[]): boolean {
  if (required.length === 0) return false;
  return required.some((r) => grants[role].includes(r));
}

/** Every role whose callers may do something that requires one of `required` (admin included), in rank order. */
export function rolesAllowed(required: readonly Role[]): Role[] {
  return Object.values(Role).filter((role) => roleAllows(role, required));
}

/** The roles whose operations a caller with `role` may call (what a front end shows them). */
export function grantedRoles(role: Role): readonly Role[] {
  return grants[role];
}
