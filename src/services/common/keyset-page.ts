import type { EntityName, FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { encodeCursor, pageWindow, windowCursor, windowPage, type CursorPart, type Page, type PageArgs } from './pagination.js';

/** One key of a list's order: the property, its direction, and whether it is a time (kept in cursors as ISO text). */
export interface KeysetKey<T> {
  property: keyof T & string;
  direction: 'asc' | 'desc';
  time?: boolean;
  /** What its cursor part must be, when not a time: default text, a UUID for `id`. */
  cursor?: CursorPart;
}

const cursorPart = <T>(k: KeysetKey<T>): CursorPart => (k.time ? 'time' : (k.cursor ?? (k.property === 'id' ? 'uuid' : 'text')));

/**
 * A page of a root list (campaigns, offers, audit entries) ordered by `key`, then by the
 * unique `tiebreaker`: the rows after the cursor's pair in that order, matching `where`
 * (backward, with `last`: the rows before `before`'s pair, read in the reverse order).
 * An index on (key, tiebreaker) lets PostgreSQL read just the page, either way.
 */
export async function keysetPage<T extends object>(
  em: EntityManager,
  entity: EntityName<T>,
  list: { tag: string; where: FilterQuery<T>; key: KeysetKey<T>; tiebreaker: KeysetKey<T> },
  args: PageArgs,
): Promise<Page<T>> {
  const window = pageWindow(args);
  const { tag, where, key, tiebreaker } = list;
  // The order the page is read in: the list's, or going backward its reverse.
  const direction = (k: KeysetKey<T>) => (window.backward ? (k.direction === 'desc' ? 'asc' : 'desc') : k.direction);
  const beyond = (k: KeysetKey<T>) => (direction(k) === 'desc' ? '$lt' : '$gt');
  const fromCursor = (k: KeysetKey<T>, value: unknown) => (k.time ? new Date(value as string) : value);
  const toCursor = (k: KeysetKey<T>, row: T) => {
    const value = row[k.property];
    return value instanceof Date ? value.toISOString() : value;
  };
  let beyondCursor = {} as FilterQuery<T>;
  const cursor = windowCursor(window, tag, [cursorPart(key), cursorPart(tiebreaker)]);
  if (cursor) {
    const [a, b] = cursor;
    beyondCursor = {
      $or: [{ [key.property]: { [beyond(key)]: fromCursor(key, a) } }, { [key.property]: fromCursor(key, a), [tiebreaker.property]: { [beyond(tiebreaker)]: fromCursor(tiebreaker, b) } }],
    } as FilterQuery<T>;
  }
  const rows = await em.find(entity, { $and: [where, beyondCursor] } as never, {
    orderBy: { [key.property]: direction(key), [tiebreaker.property]: direction(tiebreaker) } as never,
    limit: window.size + 1,
  });
  return windowPage(rows as T[], window, () => em.count(entity, where as never), (row) => encodeCursor(tag, [toCursor(key, row), toCursor(tiebreaker, row)]));
}
