import { pageRanges } from './score-pages.js';

describe('rescore pages', () => {
  it('ends each page where the next starts, the last at the end', () => {
    expect(pageRanges([null, 'b', 'd'])).toEqual([
      { after: null, until: 'b' },
      { after: 'b', until: 'd' },
      { after: 'd', until: null },
    ]);
    expect(pageRanges([null])).toEqual([{ after: null, until: null }]);
    // What is left of a run carried on (continued as new) keeps its bounds.
    expect(pageRanges(['d', 'f'])).toEqual([
      { after: 'd', until: 'f' },
      { after: 'f', until: null },
    ]);
    expect(pageRanges([])).toEqual([]);
  });
});
