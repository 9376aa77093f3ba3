import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { isUuid } from '../../domain/ids.js';
import { isCalendarDay } from '../../domain/dates.js';
import { echoed } from '../../domain/text.js';
import { PaginationException, PaginationExceptionCode } from './pagination.exception.js';

export const MAX_PAGE_SIZE = 100;

/** One page of a cursor-paginated list. */
export interface Page<T> {
  edges: { node: T; cursor: string }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  /** Counted when read: a getter, so a page whose client never asks for it costs no count. */
  readonly totalCount: number | Promise<number>;
}

/**
 * A page asked for as Relay's cursor connections ask: forward, the `first` rows after the cursor `after` (or from the
 * top); backward, with `last`, the last `last` rows before the cursor `before` (or of the whole list), in the list's
 * own order. `first` has a default in the schema; going backward it is left out or null (one query document pages both
 * ways, and Relay and Apollo send the other direction's arguments as null), and read through `forwardPageSize` (the
 * GraphQL argument checks refuse a null `first` without `last`, and both given).
 */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

export function assertPageSize(size: number, field: 'first' | 'last' = 'first'): void {
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new PaginationException(PaginationExceptionCode.InvalidPageSize, `${field} must be between 1 and ${MAX_PAGE_SIZE}`, { [field]: size, field });
  }
}

/**
 * The page size going forward: `first`, checked. Null (or left out) only stands beside `last`, going backward; a forward
 * page without one is refused (a service called with the schema's defaults always has one), not given a size no caller chose.
 */
export function forwardPageSize(args: Pick<PageArgs, 'first'>): number {
  if (args.first == null) throw new PaginationException(PaginationExceptionCode.InvalidPageSize, `first must be given (1 to ${MAX_PAGE_SIZE}) unless the page goes backward with last`, { first: null, field: 'first' });
  assertPageSize(args.first);
  return args.first;
}

/**
 * Which rows a page reads: `size` rows from `cursor` (null: from the list's end in that direction) in the list's order,
 * or, `backward`, against it. A keyset list reads `size + 1` rows beyond the cursor in the direction it goes (the extra
 * one says there are more that way): going backward the comparison and the ORDER BY are reversed, and `windowPage`
 * puts the rows back in the list's order.
 */
export interface PageWindow {
  size: number;
  cursor: string | null;
  backward: boolean;
  /** The argument the cursor came in: refusals name it. */
  field: CursorField;
}

/** The window `args` ask for; the page size checked, and a cursor of the other direction refused (the GraphQL checks refuse it first). */
export function pageWindow(args: PageArgs): PageWindow {
  if (args.last != null) {
    assertPageSize(args.last, 'last');
    if (args.after != null) throw new PaginationException(PaginationExceptionCode.InvalidCursor, 'after pages forward, with first: going backward with last, give before', { field: 'after' });
    return { size: args.last, cursor: args.before ?? null, backward: true, field: 'before' };
  }
  const size = forwardPageSize(args);
  if (args.before != null) throw new PaginationException(PaginationExceptionCode.InvalidCursor, 'before pages backward: give last with it (first pages forward, with after)', { field: 'before' });
  return { size, cursor: args.after ?? null, backward: false, field: 'after' };
}

/** A window's cursor read back (see decodeCursor), or null without one. */
export function windowCursor(window: PageWindow, tag: string, parts: readonly CursorPart[], reading: CursorReading = {}): unknown[] | null {
  return window.cursor === null ? null : decodeCursor(tag, window.cursor, parts, { ...reading, field: window.field });
}

/**
 * The keys that seal cursors (the first seals, each opens). Sealed, a cursor shows nothing of the
 * row it points at: a sort key may be a customer's name, revenue or score, and cursors end up in
 * URLs, browser histories and proxy logs, where no erasure reaches. Until the API sets its
 * installation's key (cursor-key.ts), a key of this process's own.
 */
let cursorKeys: SealingKey[] = sealingKeys([randomBytes(32).toString('base64url')]);

/** A secret's two keys: one encrypts, one derives the nonce from the content (so the same row gives the same cursor). */
interface SealingKey {
  cipher: Buffer;
  nonce: Buffer;
}

function sealingKeys(secrets: readonly string[]): SealingKey[] {
  const derived = (secret: string, use: string) => Buffer.from(hkdfSync('sha256', secret, '', `retention-platform page cursors: ${use}`, 32));
  return secrets.map((secret) => ({ cipher: derived(secret, 'cipher'), nonce: derived(secret, 'nonce') }));
}

/** Cursors are padded to a multiple of this many bytes before sealing: a cursor's length says little of its sort key's (a name's length). */
const CURSOR_PADDING = 64;

/** Cursors are sealed with these secrets from now on (the installation's, at the API's start). */
export function sealCursorsWith(secrets: readonly string[]): void {
  if (secrets.length === 0) throw new Error('cursors need a secret to be sealed with');
  cursorKeys = sealingKeys(secrets);
}

/**
 * Cursors are opaque to clients: the sort key of the last row seen, sealed (AES-256-GCM; the same
 * row gives the same cursor) and base64url-encoded. `tag` names the list and its sort so a cursor
 * from another list is refused.
 */
export function encodeCursor(tag: string, key: readonly unknown[]): string {
  const json = JSON.stringify([tag, ...key]);
  // JSON ignores the trailing spaces.
  const plain = Buffer.from(json.padEnd(Math.ceil((Buffer.byteLength(json) + 1) / CURSOR_PADDING) * CURSOR_PADDING - (Buffer.byteLength(json) - json.length)));
  const [sealing] = cursorKeys;
  const iv = createHmac('sha256', sealing.nonce).update(plain).digest().subarray(0, 12);
  const cipher = createCipheriv('aes-256-gcm', sealing.cipher, iv);
  const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url');
}

/** The cursor's content, or null when no key opens it (damaged, forged, or sealed with a secret no longer listed). */
function opened(cursor: string): string | null {
  const bytes = Buffer.from(cursor, 'base64url');
  if (bytes.length < 28) return null;
  for (const key of cursorKeys) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.cipher, bytes.subarray(0, 12));
      decipher.setAuthTag(bytes.subarray(12, 28));
      return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      // Not this key's.
    }
  }
  return null;
}

/**
 * A cursor tag naming the list and what it is a list of (its parent, its filter: `scope`), so a
 * cursor taken under another filter or of another parent is refused (INVALID_CURSOR): a list whose
 * filter changed starts again from its top instead of somewhere in its middle, skipping rows. The
 * same scope is one tag whatever the order of its keys and lists, and a value repeated in a list
 * counts once (["high", "high"] selects what ["high"] does: a chip a screen added twice must not
 * lose its place); an empty value (null, [], '') is no condition, and an empty scope names none.
 */
export function scopedTag(list: string, scope: Readonly<Record<string, unknown>>): string {
  const byText = (a: unknown, b: unknown) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);
  const empty = (value: unknown) => value == null || value === '' || (Array.isArray(value) && value.length === 0);
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) {
      const distinct = new Map(value.map(canonical).map((v) => [JSON.stringify(v), v]));
      return [...distinct.values()].sort(byText);
    }
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.keys(value)
          .filter((k) => !empty((value as Record<string, unknown>)[k]))
          .sort()
          .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
      );
    }
    return value;
  };
  const kept = canonical(scope) as Record<string, unknown>;
  return Object.keys(kept).length ? `${list}:${createHash('sha256').update(JSON.stringify(kept)).digest('base64url').slice(0, 12)}` : list;
}

/**
 * What each part of a list's cursor is. Checked when a cursor comes back, so a forged or
 * damaged one is refused as a cursor (VALIDATION) instead of failing in SQL.
 */
export type CursorPart = 'time' | 'day' | 'uuid' | 'integer' | 'text' | 'any';

const TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)?$/;
const partOk: Record<CursorPart, (value: unknown) => boolean> = {
  // A real day (not Feb 30, not year 0, which JavaScript would roll over or PostgreSQL refuse) and a time.
  time: (v) => typeof v === 'string' && TIME.test(v) && isCalendarDay(v.slice(0, 10)) && Number.isFinite(Date.parse(v)),
  day: (v) => typeof v === 'string' && isCalendarDay(v),
  uuid: (v) => typeof v === 'string' && isUuid(v),
  integer: (v) => (typeof v === 'number' && Number.isSafeInteger(v)) || (typeof v === 'string' && /^-?\d{1,18}$/.test(v)),
  // PostgreSQL's text cannot hold NUL.
  text: (v) => typeof v === 'string' && !v.includes('\0'),
  any: () => true,
};

/**
 * The longest cursor a list takes back. The longest the API seals is one after a customer sorted by a
 * 200-character name of 4-byte letters (~1,900 characters; most are 100 to 200): anything longer is no
 * cursor of this API, and is refused before it is decoded and without being quoted back.
 */
export const MAX_CURSOR_LENGTH = 4096;

/** How a list reads a cursor back. */
export interface CursorReading {
  /** The argument it came in (`after`, or `before` going backward): a refusal names it. Default `after`. */
  field?: CursorField;
  /**
   * For a cursor this list handed out under an earlier state of its parent (a segment's members before its filter was
   * edited): given the tag the cursor carries, the refusal that says so (a conflict: start again), or null for a cursor
   * of another list, refused as such.
   */
  staleIf?: (tag: string, field: CursorField) => PaginationException | null;
}

export type CursorField = 'after' | 'before';

export function decodeCursor(tag: string, cursor: string, parts: readonly CursorPart[], reading: CursorReading = {}): unknown[] {
  const field = reading.field ?? 'after';
  if (cursor.length > MAX_CURSOR_LENGTH) throw invalidCursor(cursor, field);
  let parsed: unknown;
  try {
    parsed = JSON.parse(opened(cursor) ?? 'null');
  } catch {
    parsed = null;
  }
  if (Array.isArray(parsed) && typeof parsed[0] === 'string' && parsed[0] !== tag && reading.staleIf) {
    const stale = reading.staleIf(parsed[0], field);
    if (stale) throw stale;
  }
  if (!Array.isArray(parsed) || parsed[0] !== tag || parsed.length !== parts.length + 1 || !parts.every((part, i) => partOk[part](parsed[i + 1]))) {
    throw invalidCursor(cursor, field);
  }
  return parsed.slice(1);
}

/** The refusal of a cursor: it names the cursor as `echoed` quotes input (a pasted megabyte is not sent back). */
export const invalidCursor = (cursor: string, field: CursorField = 'after') =>
  new PaginationException(PaginationExceptionCode.InvalidCursor, `${field} is not a cursor of this list, its filter and sort order`, { field, [field]: echoed(cursor) });

/** Cursors are encoded only when read: most clients read endCursor only, many no cursor at all. */
class Edge<T> {
  constructor(
    readonly node: T,
    private readonly cursorOf: (row: T) => string,
  ) {}

  get cursor(): string {
    return this.cursorOf(this.node);
  }
}

class PageInfo<T> {
  constructor(
    private readonly nodes: T[],
    readonly hasNextPage: boolean,
    readonly hasPreviousPage: boolean,
    private readonly cursorOf: (row: T) => string,
  ) {}

  get startCursor(): string | null {
    return this.nodes.length ? this.cursorOf(this.nodes[0]) : null;
  }

  get endCursor(): string | null {
    return this.nodes.length ? this.cursorOf(this.nodes[this.nodes.length - 1]) : null;
  }
}

/** Classes rather than object literals with getters: a customers page builds fifty nested pages. */
class CursorPage<T> implements Page<T> {
  readonly edges: Edge<T>[];
  readonly pageInfo: PageInfo<T>;

  constructor(
    nodes: T[],
    hasNextPage: boolean,
    hasPreviousPage: boolean,
    private readonly count: number | (() => Promise<number>),
    cursorOf: (row: T) => string,
  ) {
    this.edges = nodes.map((node) => new Edge(node, cursorOf));
    this.pageInfo = new PageInfo(nodes, hasNextPage, hasPreviousPage, cursorOf);
  }

  get totalCount(): number | Promise<number> {
    return typeof this.count === 'number' ? this.count : this.count();
  }
}

/** Builds a page from rows fetched with `limit first + 1` (the extra row only says there is more). */
export function toPage<T>(rows: T[], first: number, count: number | (() => Promise<number>), cursorOf: (row: T) => string, hasPreviousPage: boolean): Page<T> {
  return new CursorPage(rows.length > first ? rows.slice(0, first) : rows, rows.length > first, hasPreviousPage, count, cursorOf);
}

/**
 * Builds a window's page from its `size + 1` rows as read, in the direction it went (backward: nearest the cursor first),
 * so the page's nodes stand in the list's order either way. The extra row says there are more in that direction; a
 * cursor, that there are rows on its other side (the row it points at, at least): as Relay's spec lets a server answer.
 */
export function windowPage<T>(rows: T[], window: PageWindow, count: number | (() => Promise<number>), cursorOf: (row: T) => string): Page<T> {
  const more = rows.length > window.size;
  const nodes = more ? rows.slice(0, window.size) : rows.slice();
  if (window.backward) nodes.reverse();
  const fromCursor = window.cursor !== null;
  return new CursorPage(nodes, window.backward ? fromCursor : more, window.backward ? more : fromCursor, count, cursorOf);
}

/** The same page with each node mapped (to its GraphQL view), cursors and count still computed only when read. */
export function mapPage<T, U>(page: Page<T>, map: (node: T) => U): Page<U> {
  return {
    edges: page.edges.map((edge) => ({
      node: map(edge.node),
      get cursor() {
        return edge.cursor;
      },
    })),
    pageInfo: page.pageInfo,
    get totalCount() {
      return page.totalCount;
    },
  };
}
