import { PaginationException } from './pagination.exception.js';
import { assertPageSize, decodeCursor, encodeCursor, forwardPageSize, MAX_CURSOR_LENGTH, pageWindow, scopedTag, sealCursorsWith, toPage, type Page } from './pagination.js';

describe('cursors', () => {
  it('round-trip their sort key', () => {
    const cursor = encodeCursor('customers:name:asc', ['Zoë', 'id-1']);
    expect(decodeCursor('customers:name:asc', cursor, ['text', 'text'])).toEqual(['Zoë', 'id-1']);
  });

  it('are refused when a part is not what the list keeps there (a forged or damaged cursor)', () => {
    const id = '6d9996de-b6b8-4fb1-ba6a-38a5534c301d';
    const ok = (parts: unknown[], kinds: Parameters<typeof decodeCursor>[2]) => () => decodeCursor('l', encodeCursor('l', parts), kinds);
    expect(ok(['2026-12-02T08:13:28.639Z', id], ['time', 'uuid'])).not.toThrow();
    expect(ok(['2026-12-02 08:13:28.639123+00', id], ['time', 'uuid'])).not.toThrow();
    expect(ok(['2026-02-28', '42', 7], ['day', 'integer', 'integer'])).not.toThrow();
    for (const [parts, kinds] of [
      [['yesterday', id], ['time', 'uuid']],
      [['1', id], ['time', 'uuid']],
      [['2026-12-02T08:13:28Z', 'nope'], ['time', 'uuid']],
      [['2026-02-30'], ['day']],
      [['4.5'], ['integer']],
      [[null], ['text']],
    ] as const) {
      expect(ok([...parts], kinds)).toThrow(PaginationException);
    }
  });

  it('are refused for another list or sort order', () => {
    const cursor = encodeCursor('customers:name:asc', ['Zoë', 'id-1']);
    expect(() => decodeCursor('customers:revenue:desc', cursor, ['text', 'text'])).toThrow(PaginationException);
    expect(() => decodeCursor('customers:name:asc', cursor, ['text', 'text', 'text'])).toThrow(PaginationException);
  });

  it('name what their list is of, so one taken under another filter or parent is refused', () => {
    // An empty scope, and empty conditions in it, name nothing: the unfiltered list's tag.
    expect(scopedTag('fix-cases', {})).toBe('fix-cases');
    expect(scopedTag('fix-cases', { owner: null, status: undefined, kinds: [], search: '' })).toBe('fix-cases');
    const billing = scopedTag('fix-cases', { owner: 'billing', status: 'open' });
    expect(billing).toMatch(/^fix-cases:[\w-]{12}$/);
    // The same scope whatever the order of its keys and lists; another scope another tag.
    expect(scopedTag('fix-cases', { status: 'open', owner: 'billing' })).toBe(billing);
    expect(scopedTag('timeline', { kinds: ['order-placed', 'invoice-paid'] })).toBe(scopedTag('timeline', { kinds: ['invoice-paid', 'order-placed'] }));
    expect(scopedTag('customers', { riskBand: ['high', 'high'] })).toBe(scopedTag('customers', { riskBand: ['high'] }));
    expect(scopedTag('customers', { riskBand: ['high', 'high'] })).not.toBe(scopedTag('customers', { riskBand: ['high', 'medium'] }));
    expect(scopedTag('fix-cases', { owner: 'logistics', status: 'open' })).not.toBe(billing);
    const members = (campaignId: string, group: string | null) => scopedTag('campaign-members', { campaignId, group });
    expect(members('a', 'holdout')).not.toBe(members('a', null));
    expect(members('a', null)).not.toBe(members('b', null));
    const cursor = encodeCursor(members('a', null), ['x']);
    expect(() => decodeCursor(members('a', 'holdout'), cursor, ['text'])).toThrow(PaginationException);
  });

  it('show nothing of their sort key, the same key giving the same cursor; one sealed with another key, or changed, is refused', () => {
    const cursor = encodeCursor('customers:name:asc', ['Zoë Zimmermann', 'id-1']);
    expect(Buffer.from(cursor, 'base64url').toString('utf8')).not.toMatch(/Zimmermann|customers/);
    expect(encodeCursor('customers:name:asc', ['Zoë Zimmermann', 'id-1'])).toBe(cursor);
    const changed = Buffer.from(cursor, 'base64url');
    changed[changed.length - 1] ^= 1;
    expect(() => decodeCursor('customers:name:asc', changed.toString('base64url'), ['text', 'text'])).toThrow(PaginationException);
    // Its length says little of the name's: names of 2 and 14 letters give cursors of one length.
    expect(encodeCursor('customers:name:asc', ['Al', 'id-1']).length).toBe(encodeCursor('customers:name:asc', ['Zoë Zimmermann', 'id-1']).length);
    sealCursorsWith(['another installation']);
    expect(() => decodeCursor('customers:name:asc', cursor, ['text', 'text'])).toThrow(PaginationException);
  });

  it('are taken back up to MAX_CURSOR_LENGTH characters, the longest the API seals within it; a longer one is refused unread and not quoted back', () => {
    const tag = scopedTag('customers:name:desc', { segment: ['champions'], riskBand: ['high'] });
    const id = '6d9996de-b6b8-4fb1-ba6a-38a5534c301d';
    // A 200-character name (the most a customer's has) of 4-byte letters, or of characters JSON writes as six.
    for (const name of ['𝔄'.repeat(200), '\u0001'.repeat(200)]) {
      const cursor = encodeCursor(tag, [name, id]);
      expect(cursor.length).toBeLessThan(MAX_CURSOR_LENGTH / 2);
      expect(decodeCursor(tag, cursor, ['text', 'uuid'])).toEqual([name, id]);
    }
    const refusal = (() => {
      try {
        decodeCursor(tag, 'A'.repeat(1_000_000), ['text', 'uuid']);
      } catch (error) {
        return error as PaginationException;
      }
    })();
    expect(refusal).toBeInstanceOf(PaginationException);
    expect(JSON.stringify(refusal!.details).length).toBeLessThan(200);
  });

  it('are refused when not base64 JSON', () => {
    expect(() => decodeCursor('x', 'not-a-cursor', ['any'])).toThrow(/not a cursor/);
    expect(() => decodeCursor('x', Buffer.from('{"a":1}').toString('base64url'), ['any'])).toThrow(PaginationException);
  });
});

describe('page sizes', () => {
  it('accept 1 to 100', () => {
    expect(() => assertPageSize(1)).not.toThrow();
    expect(() => assertPageSize(100)).not.toThrow();
    for (const bad of [0, 101, 2.5, -1]) expect(() => assertPageSize(bad)).toThrow(PaginationException);
  });

  it('read a null first beside last as a backward page, and refuse a forward page without a size', () => {
    expect(pageWindow({ first: null, last: 3, before: null })).toEqual({ size: 3, cursor: null, backward: true, field: 'before' });
    expect(pageWindow({ first: 5 })).toEqual({ size: 5, cursor: null, backward: false, field: 'after' });
    expect(forwardPageSize({ first: 5 })).toBe(5);
    for (const args of [{ first: null }, {}, { first: 0 }]) expect(() => pageWindow(args)).toThrow(PaginationException);
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
