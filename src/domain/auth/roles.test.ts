import { Role, callerLabel, engineActor, grantedRoles, isRecordedActorForm, isRole, roleAllows, rolesAllowed, runActor, runOfActor } from './roles.js';

describe('roleAllows', () => {
  it('lets admin do everything', () => {
    for (const r of Object.values(Role)) expect(roleAllows(Role.Admin, [r])).toBe(true);
  });

  it('keeps marketers and operators apart but lets both read', () => {
    expect(roleAllows(Role.Marketer, [Role.Operator])).toBe(false);
    expect(roleAllows(Role.Operator, [Role.Marketer])).toBe(false);
    expect(roleAllows(Role.Marketer, [Role.Viewer])).toBe(true);
    expect(roleAllows(Role.Operator, [Role.Viewer])).toBe(true);
  });

  it('gives viewers nothing but reading', () => {
    expect(roleAllows(Role.Viewer, [Role.Marketer, Role.Operator])).toBe(false);
    expect(roleAllows(Role.Viewer, [Role.Viewer])).toBe(true);
  });

  it('denies when nothing is required explicitly', () => {
    expect(roleAllows(Role.Admin, [])).toBe(false);
  });

  it('recognises only the four roles', () => {
    expect(isRole('operator')).toBe(true);
    expect(isRole('root')).toBe(false);
  });
});

describe('grantedRoles', () => {
  it('names exactly the roles whose operations the caller may call', () => {
    for (const role of Object.values(Role)) {
      for (const required of Object.values(Role)) expect(grantedRoles(role).includes(required)).toBe(roleAllows(role, [required]));
    }
    expect(grantedRoles(Role.Marketer)).toEqual([Role.Marketer, Role.Viewer]);
  });
});

describe('rolesAllowed', () => {
  it('names every role that may, admin included, in rank order', () => {
    expect(rolesAllowed([Role.Marketer])).toEqual([Role.Marketer, Role.Admin]);
    expect(rolesAllowed([Role.Viewer])).toEqual([Role.Viewer, Role.Marketer, Role.Operator, Role.Admin]);
    expect(rolesAllowed([Role.Admin])).toEqual([Role.Admin]);
    expect(rolesAllowed([])).toEqual([]);
  });
});

describe('isRecordedActorForm', () => {
  it("tells the names the audit log gives callers it knows from a person's name typed by hand", () => {
    for (const name of [callerLabel(Role.Admin, 'd7d46ede'), 'operator:0a1b2c3d', 'ADMIN:D7D46EDE', 'admin:d7d46ede (Anna)', 'system:invoice-cancelled', 'playbook:fix-issue/x', 'temporal:ops@example.com', 'cli:anna', 'customer:unsubscribe-link', 'retention:v1']) {
      expect(isRecordedActorForm(name)).toBe(true);
    }
    for (const name of ['ops-anna', 'Anna Admin', 'admin', 'anna.admin@example.com']) expect(isRecordedActorForm(name)).toBe(false);
  });
});

describe('the names the audit log gives runs and the engine', () => {
  it('names a run by its workflow ID and reads the run back from the name, and no other actor as a run', () => {
    const actor = runActor('account-review/c-1/2026-12-01');
    expect(actor).toBe('playbook:account-review/c-1/2026-12-01');
    expect(isRecordedActorForm(actor)).toBe(true);
    expect(runOfActor(actor)).toBe('account-review/c-1/2026-12-01');
    expect(runOfActor(engineActor('ops@example.com'))).toBeNull();
    expect(runOfActor(callerLabel(Role.Admin, '1a2b3c4d'))).toBeNull();
  });

  it("names whoever steered in the engine by the engine's identity, unknown where it kept none", () => {
    expect(engineActor('ops@example.com')).toBe('temporal:ops@example.com');
    expect(engineActor(null)).toBe('temporal:unknown');
    expect(engineActor(undefined)).toBe('temporal:unknown');
  });
});
