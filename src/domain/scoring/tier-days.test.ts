import { tierDays, tierOn } from './tier-days.js';

describe('tierOn', () => {
  const changes = [
    { day: '2026-03-01', fromTier: 'standard', toTier: 'premium' },
    { day: '2026-01-10', fromTier: 'basic', toTier: 'standard' },
  ];

  it('is the tier a later change moved from, the changed tier from the change’s own day, and the current tier after the last', () => {
    expect(tierOn('2026-01-09', changes, 'premium')).toBe('basic');
    expect(tierOn('2026-01-10', changes, 'premium')).toBe('standard');
    expect(tierOn('2026-02-28', changes, 'premium')).toBe('standard');
    expect(tierOn('2026-03-01', changes, 'premium')).toBe('premium');
    expect(tierOn('2026-12-31', [], 'basic')).toBe('basic');
  });
});

describe('tierDays', () => {
  it('counts today’s tier for every day without a change', () => {
    expect(tierDays([], 'standard', '2026-06-30', 365)).toEqual([{ tier: 'standard', days: 365 }]);
  });

  it('splits the window at each change, the change’s day on the new tier', () => {
    // Window 2026-06-21..2026-06-30 (10 days); moved to premium on the 28th: 7 days standard, 3 premium.
    expect(tierDays([{ day: '2026-06-28', fromTier: 'standard', toTier: 'premium' }], 'premium', '2026-06-30', 10)).toEqual([
      { tier: 'standard', days: 7 },
      { tier: 'premium', days: 3 },
    ]);
  });

  it('leaves out changes before the window and counts a tier held twice together', () => {
    const changes = [
      { day: '2025-01-01', fromTier: 'basic', toTier: 'standard' },
      { day: '2026-06-23', fromTier: 'standard', toTier: 'premium' },
      { day: '2026-06-26', fromTier: 'premium', toTier: 'standard' },
    ];
    expect(tierDays(changes, 'standard', '2026-06-30', 10)).toEqual([
      { tier: 'standard', days: 7 },
      { tier: 'premium', days: 3 },
    ]);
  });

  it('scores a past day by the tier held then: a change after it does not count', () => {
    expect(tierDays([{ day: '2026-07-05', fromTier: 'basic', toTier: 'premium' }], 'premium', '2026-06-30', 10)).toEqual([{ tier: 'basic', days: 10 }]);
  });

  it('counts a change on the window’s first day as the new tier’s, and of several changes on one day the last', () => {
    expect(tierDays([{ day: '2026-06-21', fromTier: 'basic', toTier: 'premium' }], 'premium', '2026-06-30', 10)).toEqual([{ tier: 'premium', days: 10 }]);
    const sameDay = [
      { day: '2026-06-29', fromTier: 'basic', toTier: 'premium' },
      { day: '2026-06-29', fromTier: 'premium', toTier: 'standard' },
    ];
    expect(tierDays(sameDay, 'standard', '2026-06-30', 10)).toEqual([
      { tier: 'basic', days: 8 },
      { tier: 'standard', days: 2 },
    ]);
  });

  it('has no days for a window of none (a customer who joined today counts from tomorrow)', () => {
    expect(tierDays([], 'premium', '2026-06-30', 0)).toEqual([]);
  });
});
