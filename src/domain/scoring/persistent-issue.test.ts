import { defaultPersistentIssuePolicy, persistentIssues } from './persistent-issue.js';
import { ScoringException } from './scoring.exception.js';

describe('persistent issues', () => {
  it('finds a topic complained about N times within the window, with counts, dates and reasons', () => {
    const s = persistentIssues(
      [
        { topic: 'delivery-delay', openedAt: '2025-03-01', resolvedAt: '2025-03-03' },
        { topic: 'Delivery-Delay ', openedAt: '2025-04-10', resolvedAt: '2025-04-12' },
        { topic: 'delivery-delay', openedAt: new Date('2025-05-20T10:00:00Z'), resolvedAt: null },
        { topic: 'billing', openedAt: '2025-05-01', resolvedAt: '2025-05-02' },
      ],
      '2025-05-25',
    );
    expect(s.value).toBe(1);
    expect(s.band).toBe('persistent');
    expect(s.topics).toEqual([
      { topic: 'delivery-delay', complaints: 3, reopens: 0, openNow: 1, firstOpenedAt: '2025-03-01', lastOpenedAt: '2025-05-20', openedDates: ['2025-03-01', '2025-04-10', '2025-05-20'] },
    ]);
    expect(s.reasons).toEqual(['"delivery-delay": complained about 3 times in the last 90 days (2025-03-01, 2025-04-10, 2025-05-20), 1 still open']);
    expect(s.modelVersion).toBe('persistent-issue/2;policy=1');
  });

  it('never counts a withdrawn complaint (filed by mistake), however it stands', () => {
    const complaints = [
      { topic: 'billing-error', openedAt: '2025-05-01', resolvedAt: null },
      { topic: 'billing-error', openedAt: '2025-05-10', resolvedAt: null },
      { topic: 'billing-error', openedAt: '2025-05-20', resolvedAt: null, reopenedCount: 1, reopenedAt: '2025-05-22', withdrawnAt: '2025-05-24' },
    ];
    expect(persistentIssues(complaints, '2025-05-25').band).toBe('none');
    expect(persistentIssues(complaints.map((c) => ({ ...c, withdrawnAt: null })), '2025-05-25').band).toBe('persistent');
  });

  it('counts only complaints inside the trailing window (asOf - windowDays, asOf]', () => {
    const complaints = [
      { topic: 'app-crash', openedAt: '2025-01-01', resolvedAt: '2025-01-02' },
      { topic: 'app-crash', openedAt: '2025-02-01', resolvedAt: '2025-02-02' },
      { topic: 'app-crash', openedAt: '2025-03-01', resolvedAt: '2025-03-02' },
    ];
    // 2025-01-01 is exactly 90 days before 2025-04-01: outside
    expect(persistentIssues(complaints, '2025-04-01').band).toBe('none');
    expect(persistentIssues(complaints, '2025-03-31').topics[0].complaints).toBe(3);
    // a complaint opened after asOf has not happened yet
    expect(persistentIssues(complaints, '2025-02-15').topics).toEqual([]);
  });

  it('flags a reopened complaint, and keeps old complaints that are still open', () => {
    const s = persistentIssues(
      [
        { topic: 'wrong-invoice', openedAt: '2025-05-01', resolvedAt: '2025-05-10', reopenedCount: 2 },
        { topic: 'router', openedAt: '2024-01-01', resolvedAt: null },
        { topic: 'router', openedAt: '2025-05-02', resolvedAt: null },
        { topic: 'router', openedAt: '2025-05-03', resolvedAt: '2025-05-04' },
      ],
      '2025-05-20',
    );
    expect(s.topics.map((t) => [t.topic, t.complaints, t.reopens, t.openNow])).toEqual([
      ['router', 3, 0, 2],
      ['wrong-invoice', 1, 2, 0],
    ]);
    expect(s.reasons[1]).toBe('"wrong-invoice": complained about once in the last 90 days (2025-05-01), reopened twice');
  });

  it('counts a complaint opened before the window that was reopened within it', () => {
    const oldOne = { topic: 'router', openedAt: '2025-01-10', resolvedAt: '2025-05-15', reopenedCount: 1 };
    expect(persistentIssues([{ ...oldOne, reopenedAt: '2025-05-01' }], '2025-05-20').topics).toEqual([
      { topic: 'router', complaints: 1, reopens: 1, openNow: 0, firstOpenedAt: '2025-01-10', lastOpenedAt: '2025-01-10', openedDates: ['2025-01-10'] },
    ]);
    // Reopened before the window, or (as at an earlier day) not yet: not current.
    expect(persistentIssues([{ ...oldOne, reopenedAt: '2025-02-01' }], '2025-05-20').band).toBe('none');
    expect(persistentIssues([{ ...oldOne, resolvedAt: '2025-01-12', reopenedAt: '2025-05-01' }], '2025-04-20').band).toBe('none');
    // Without a date, an old resolved complaint stays outside, as before.
    expect(persistentIssues([oldOne], '2025-05-20').band).toBe('none');
  });

  it('says apart the complaints of the window and the earlier ones counted because they are still open or were reopened in it', () => {
    const billing = [
      { topic: 'billing-error', openedAt: '2026-03-01' },
      { topic: 'billing-error', openedAt: '2026-11-10', resolvedAt: '2026-11-12' },
      { topic: 'billing-error', openedAt: '2026-11-20', resolvedAt: '2026-11-21' },
    ];
    expect(persistentIssues(billing, '2026-12-01').reasons).toEqual([
      '"billing-error": complained about twice in the last 90 days (2026-11-10, 2026-11-20), plus an earlier complaint still open or reopened in the last 90 days (2026-03-01), 1 still open',
    ]);
    const reopened = [{ topic: 'app-login', openedAt: '2024-01-10', resolvedAt: '2024-01-12', reopenedCount: 1, reopenedAt: '2026-11-20' }];
    expect(persistentIssues(reopened, '2026-12-01').reasons).toEqual(['"app-login": an earlier complaint still open or reopened in the last 90 days (2024-01-10), reopened once']);
  });

  it('follows the policy values N and window', () => {
    const complaints = [
      { topic: 'noise', openedAt: '2025-05-01', resolvedAt: '2025-05-01' },
      { topic: 'noise', openedAt: '2025-05-02', resolvedAt: '2025-05-02' },
    ];
    expect(persistentIssues(complaints, '2025-05-03').band).toBe('none');
    expect(persistentIssues(complaints, '2025-05-03', { ...defaultPersistentIssuePolicy, minComplaints: 2 }).band).toBe('persistent');
    expect(persistentIssues(complaints, '2025-05-03', { ...defaultPersistentIssuePolicy, minComplaints: 2, windowDays: 1 }).band).toBe('none');
  });

  it('handles no complaints and refuses bad input', () => {
    expect(persistentIssues([], '2025-01-01')).toMatchObject({ value: 0, band: 'none', topics: [], reasons: ['no topic complained about 3 times or reopened in the last 90 days'] });
    expect(() => persistentIssues([{ topic: ' ', openedAt: '2025-01-01' }], '2025-01-02')).toThrow(ScoringException);
    expect(() => persistentIssues([{ topic: 'a', openedAt: '2025-01-01', reopenedCount: -1 }], '2025-01-02')).toThrow(ScoringException);
    expect(() => persistentIssues([], '2025-01-02', { ...defaultPersistentIssuePolicy, windowDays: 0 })).toThrow(ScoringException);
  });
});
