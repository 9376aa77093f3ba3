import type { EntityName, FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { assertPageSize, decodeCursor, encodeCursor, toPage, type CursorPart, type Page, type PageArgs } from './pagination.js';

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
 * unique `tiebreaker`: the rows after the cursor's pair in that order, matching `where`.
 * An index on (key, tiebreaker) lets PostgreSQL read just the page.
 */
export async function keysetPage<T extends object>(
  em: EntityManager,
  entity: EntityName<T>,
  list: { tag: string; where: FilterQuery<T>; key: KeysetKey<T>; tiebreaker: KeysetKey<T> },
  args: PageArgs,
): Promise<Page<T>> {
  assertPageSize(args.first);
  const { tag, where, key, tiebreaker } = list;
  const beyond = (k: KeysetKey<T>) => (k.direction === 'desc' ? '$lt' : '$gt');
  const fromCursor = (k: KeysetKey<T>, value: unknown) => (k.time ? new Date(value as string) : value);
  const toCursor = (k: KeysetKey<T>, row: T) => {
    const value = row[k.property];
    return value instanceof Date ? value.toISOString() : value;
  };
  let after = {} as FilterQuery<T>;
  if (args.after != null) {
    const [a, b] = decodeCursor(tag, args.after, [cursorPart(key), cursorPart(tiebreaker)]);
    after = {
      $or: [{ [key.property]: { [beyond(key)]: fromCursor(key, a) } }, { [key.property]: fromCursor(key, a), [tiebreaker.property]: { [beyond(tiebreaker)]: fromCursor(tiebreaker, b) } }],
    } as FilterQuery<T>;
  }
  const rows = await em.find(entity, { $and: [where, after] } as never, {
    orderBy: { [key.property]: key.direction, [tiebreaker.property]: tiebreaker.direction } as never,
    limit: args.first + 1,
  });
  return toPage(rows as T[], args.first, () => em.count(entity, where as never), (row) => encodeCursor(tag, [toCursor(key, row), toCursor(tiebreaker, row)]), args.after != null);
}
