/** A page of a full rescore: the customers (by ID) after `after` (null: from the first) up to and including `until` (null: to the last). */
export interface PageRange {
  after: string | null;
  until: string | null;
}

/**
 * The pages of a rescore from where each starts (after which customer ID; the first after none), in ID order, as gathering
 * found them: each page ends where the next starts. A customer added while the run goes falls into one page, and one who
 * leaves the run's population leaves a page one short, so every customer is scored once, none skipped and none twice.
 */
export function pageRanges(starts: readonly (string | null)[]): PageRange[] {
  return starts.map((after, i) => ({ after, until: i + 1 < starts.length ? starts[i + 1] : null }));
}
