import { PaginationException, assertPageSize, decodeCursor, encodeCursor, toPage, type Page } from './pagination.js';

describe('cursors', () => {
  it('round-trip their sort key', () => {
    const cursor = encodeCursor('customers:name:asc', ['Zoë', 'id-1']);
    expect(decodeCursor('customers:name:asc', cursor, 2)).toEqual(['Zoë', 'id-1']);
  });

  it('are refused for another list or sort order', () => {
    const cursor = encodeCursor('customers:name:asc', ['Zoë', 'id-1']);
    expect(() => decodeCursor('customers:revenue:desc', cursor, 2)).toThrow(PaginationException);
    expect(() => decodeCursor('customers:name:asc', cursor, 3)).toThrow(PaginationException);
  });

  it('are refused when not base64 JSON', () => {
    expect(() => decodeCursor('x', 'not-a-cursor', 1)).toThrow(/not a cursor/);
    expect(() => decodeCursor('x', Buffer.from('{"a":1}').toString('base64url'), 1)).toThrow(PaginationException);
  });
});

describe('page sizes', () => {
  it('accept 1 to 100', () => {
    expect(() => assertPageSize(1)).not.toThrow();
    expect(() => assertPageSize(100)).not.toThrow();
    for (const bad of [0, 101, 2.5, -1]) expect(() => assertPageSize(bad)).toThrow(PaginationException);
  });
});

describe('toPage', () => {
  // What a client can read of a page (cursors are getters, encoded when read).
  const infoOf = ({ pageInfo: p }: Page<number>) => ({ hasNextPage: p.hasNextPage, hasPreviousPage: p.hasPreviousPage, startCursor: p.startCursor, endCursor: p.endCursor });

  it('uses the extra row only to say there is a next page', () => {
    const page = toPage([1, 2, 3], 2, 10, (n) => `c${n}`, false);
    expect(page.edges.map(({ node, cursor }) => ({ node, cursor }))).toEqual([
      { node: 1, cursor: 'c1' },
      { node: 2, cursor: 'c2' },
    ]);
    expect(infoOf(page)).toEqual({ hasNextPage: true, hasPreviousPage: false, startCursor: 'c1', endCursor: 'c2' });
    expect(page.totalCount).toBe(10);
  });

  it('ends the list when no extra row came back', () => {
    expect(infoOf(toPage([1], 2, 1, String, true))).toEqual({ hasNextPage: false, hasPreviousPage: true, startCursor: '1', endCursor: '1' });
    expect(infoOf(toPage([], 2, 0, String, false))).toEqual({ hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null });
  });

  it('encodes a cursor only when it is read, and counts only when the count is read', () => {
    const encoded: number[] = [];
    let counted = 0;
    const page = toPage([1, 2, 3], 2, () => Promise.resolve(++counted), (n) => (encoded.push(n), `c${n}`), false);
    expect(encoded).toEqual([]);
    expect(page.pageInfo.endCursor).toBe('c2');
    expect(encoded).toEqual([2]);
    expect(counted).toBe(0);
    return expect(page.totalCount).resolves.toBe(1);
  });
});
