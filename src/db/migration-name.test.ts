import { migrationsList } from '../../migrations/index.js';
import { migrationStamp, stampAfter } from './migration-name.js';

describe('a new migration\'s name', () => {
  const existing = ['Migration20261124000000_customers.ts', 'Migration20261228100000_complaint_follow_up_pending.ts', 'index.ts', 'enum-type.ts'];

  it('keeps the clock\'s stamp when it sorts after every migration written', () => {
    expect(stampAfter('20270101120000', existing)).toBe('20270101120000');
    expect(stampAfter('20261205234405', [])).toBe('20261205234405');
  });

  it('takes one past the newest when the clock sorts it among them', () => {
    expect(stampAfter('20261205234405', existing)).toBe('20261228100001');
    expect(stampAfter('20261228100000', existing)).toBe('20261228100001');
  });

  it('reads the stamp of a file or class name', () => {
    expect(migrationStamp('Migration20261228100000_complaint_follow_up_pending.ts')).toBe('20261228100000');
    expect(migrationStamp('index.ts')).toBeNull();
  });
});

it('lists the migrations in the order of their names, which is the order they run in', () => {
  const names = migrationsList.map((m) => m.name);
  expect(names).toEqual([...names].sort());
  expect(names.every((n) => migrationStamp(n) !== null)).toBe(true);
});
