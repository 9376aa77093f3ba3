import { latestOccurrence, occurrenceOf, occurrenceWorkflowId } from './occurrence.js';

const base = 'fix-issue/6f1c2a1e-0000-4000-8000-000000000001/app-login';

describe('playbook run occurrences', () => {
  it('gives the first run the base ID and later runs a number', () => {
    expect(occurrenceWorkflowId(base, 1)).toBe(base);
    expect(occurrenceWorkflowId(base, 2)).toBe(`${base}/2`);
    expect(occurrenceWorkflowId(base, 12)).toBe(`${base}/12`);
    expect(() => occurrenceWorkflowId(base, 0)).toThrow(RangeError);
    expect(() => occurrenceWorkflowId(base, 1.5)).toThrow(RangeError);
  });

  it('reads the occurrence back, and nothing from other runs', () => {
    expect(occurrenceOf(base, base)).toBe(1);
    expect(occurrenceOf(base, `${base}/2`)).toBe(2);
    expect(occurrenceOf(base, `${base}/10`)).toBe(10);
    // Another topic that starts with the same words, a malformed number, and "/1" (the first run has none).
    for (const other of [`${base}-extra`, `${base}extra/2`, `${base}/02`, `${base}/1`, `${base}/x`, `${base}/2/3`, 'fix-issue/other/app-login']) expect(occurrenceOf(base, other)).toBeNull();
  });

  it('finds the newest run by its number, not by the order given', () => {
    expect(latestOccurrence(base, [])).toBeNull();
    expect(latestOccurrence(base, ['welcome-check/x'])).toBeNull();
    expect(latestOccurrence(base, [`${base}/10`, base, `${base}/9`, `${base}-other/11`])).toEqual({ workflowId: `${base}/10`, occurrence: 10 });
  });
});
