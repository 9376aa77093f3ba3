import DataLoader from 'dataloader';
import type { EntityClass } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, type RawBuilder } from 'kysely';
import { decodeCursor, encodeCursor, forwardPageSize, pageWindow, scopedTag, windowPage, type CursorField, type CursorPart, type Page, type PageArgs, type PageWindow } from './pagination.js';
import { projection, projectionKey, rowMapper, selectColumns } from './read-model.js';

/** A list of child rows per parent (a customer's orders, invoices, ...), newest first; paged either way (`first`/`after`, `last`/`before`). */
export interface ChildListSpec {
  /** Names the list inside its cursors (with the parent: one parent's cursor is refused under another). */
  tag: string;
  table: string;
  parentColumn: string;
  /** Sorted by this column descending, then by id descending; an index on (parent, column) serves it. */
  orderColumn: string;
  orderType: 'timestamptz' | 'date';
  /** Entity property holding the order column's value (for cursors). */
  orderProperty: string;
  /** Only the children this holds for: a fixed condition on the row `t` (a customer's open invoices). */
  where?: string;
}

/** A child list's cursor: its order column's value, then the row's ID. */
const cursorParts = (spec: ChildListSpec): CursorPart[] => [spec.orderType === 'date' ? 'day' : 'time', 'uuid'];

interface Key extends PageWindow {
  parentId: string;
  /** The properties read (see `projection`); null for all. */
  properties: readonly string[] | null;
}

// One array per sort key for the life of the process: projections are cached by its identity.
const keyProperties = new Map<string, readonly string[]>();
function keyPropertiesOf(orderProperty: string): readonly string[] {
  let properties = keyProperties.get(orderProperty);
  if (!properties) keyProperties.set(orderProperty, (properties = ['id', orderProperty]));
  return properties;
}

const shapeOf = (k: Key) => `${k.backward ? 'last' : 'first'}|${k.size}|${k.cursor ?? ''}|${projectionKey(k.properties)}`;
const keyOf = (k: Key) => `${k.parentId}|${shapeOf(k)}`;

/**
 * Pages of children for many parents in one SQL statement (a lateral join that
 * reads each parent's newest rows from its index), so the nested fields of a
 * customers page cost one query per field whatever the page size (no N+1).
 * totalCount is counted only when asked for, again in one statement per page.
 * Request-scoped: create one per unit of work, like the EntityManager it uses.
 */
export class ChildPager<T extends { id: string }> {
  private readonly pages: DataLoader<Key, Page<T>, string>;
  private readonly counts: DataLoader<string, number>;
  /** Pages read by a parent list's own statement: answered at once, without a loader's promise. */
  private readonly primed = new Map<string, Page<T>>();
  private readonly toModel: (row: Record<string, unknown>) => T;
  /** What every page reads, whatever the fields: the ID and sort key its cursors are made of. */
  private readonly keyProperties: readonly string[];

  constructor(
    private readonly em: EntityManager,
    private readonly entity: EntityClass<T>,
    private readonly spec: ChildListSpec,
  ) {
    this.toModel = rowMapper(em, entity);
    this.keyProperties = keyPropertiesOf(spec.orderProperty);
    this.pages = new DataLoader((keys) => this.loadPages(keys), { cacheKeyFn: keyOf });
    this.counts = new DataLoader((parentIds) => this.loadCounts(parentIds));
  }

  /** One parent's page; with `fields`, its children have only those properties (and their ID and sort key, for cursors). */
  page(parentId: string, args: PageArgs, fields?: readonly string[]): Page<T> | Promise<Page<T>> {
    const key = this.keyFor(parentId, args, fields);
    if (key.cursor !== null) this.decode(parentId, key.cursor, key.field);
    return this.primed.get(keyOf(key)) ?? this.pages.load(key);
  }

  /**
   * The page of the parent `parentId` (a column of the caller's query) as one JSON column,
   * so a parent list reads its children in its own statement; null for arguments `page`
   * refuses, which then reports them on the field as usual, and for a cursor, which is one
   * parent's (`page` reads it, and refuses it under the others). `fields` as for `page`.
   */
  pageColumn(parentId: RawBuilder<unknown>, args: PageArgs, fields?: readonly string[]): RawBuilder<unknown> | null {
    // A first page only: a backward one, or one from a cursor (one parent's), is read by `page`.
    if (args.after != null || args.last != null || args.before != null) return null;
    try {
      const size = forwardPageSize(args);
      const order = sql.ref(`t.${this.spec.orderColumn}`);
      return sql`(select coalesce(json_agg(row_to_json(t) order by ${order} desc, t.id desc), '[]') from (${this.pageOf(parentId, { size, backward: false }, null, this.projection(fields))}) t)`;
    } catch {
      return null;
    }
  }

  /** Takes a page read with `pageColumn`, so `page` with the same arguments and fields reads nothing. */
  prime(parentId: string, args: PageArgs, fields: readonly string[] | undefined, rows: Record<string, unknown>[]): void {
    const key = this.keyFor(parentId, args, fields);
    this.primed.set(keyOf(key), this.toPageOf(parentId, rows.map(this.toModel), key));
  }

  /** After a write to the children in this unit of work: later pages read them again. */
  forget(): void {
    this.pages.clearAll();
    this.counts.clearAll();
    this.primed.clear();
  }

  private async loadPages(keys: readonly Key[]): Promise<Page<T>[]> {
    // Parents asking for the same page shape share one statement.
    const groups = new Map<string, Key[]>();
    for (const key of keys) groups.set(shapeOf(key), [...(groups.get(shapeOf(key)) ?? []), key]);
    const pages = new Map<string, Page<T>>();
    await Promise.all(
      [...groups.values()].map(async (group) => {
        const rowsByParent = await this.fetch([...new Set(group.map((k) => k.parentId))], group[0]);
        for (const key of group) pages.set(keyOf(key), this.toPageOf(key.parentId, rowsByParent.get(key.parentId) ?? [], key));
      }),
    );
    return keys.map((k) => pages.get(keyOf(k))!);
  }

  private toPageOf(parentId: string, rows: T[], window: PageWindow): Page<T> {
    return windowPage(rows, window, () => this.counts.load(parentId), (node) => this.cursorOf(parentId, node));
  }

  /**
   * One parent's newest `size + 1` rows after the cursor (its sort key and ID), from its (parent, order column) index;
   * backward, its oldest `size + 1` rows before the cursor (read oldest first: `windowPage` turns them round).
   */
  private pageOf(parentId: RawBuilder<unknown>, window: Pick<PageWindow, 'size' | 'backward'>, cursor: [string, string] | null, properties: readonly string[] | null): RawBuilder<unknown> {
    const { spec } = this;
    const order = sql.ref(`t.${spec.orderColumn}`);
    const dir = sql.raw(window.backward ? 'asc' : 'desc');
    let cursorCondition = sql<boolean>`true`;
    if (cursor) {
      const [value, id] = cursor;
      cursorCondition = sql<boolean>`(${order}, t.id) ${sql.raw(window.backward ? '>' : '<')} (${value}::${sql.raw(spec.orderType)}, ${id}::uuid)`;
    }
    return sql`
      select ${selectColumns(this.em, this.entity, 't', properties)} from ${sql.table(spec.table)} t
      where ${sql.ref(`t.${spec.parentColumn}`)} = ${parentId} and ${cursorCondition} and ${sql.raw(spec.where ?? 'true')}
      order by ${order} ${dir}, t.id ${dir}
      limit ${sql.lit(window.size + 1)}`;
  }

  private async fetch(parentIds: string[], shape: Key): Promise<Map<string, T[]>> {
    // A cursor is one parent's (`page` refused it under any other): parents sharing one are that parent.
    const cursor = shape.cursor !== null ? this.decode(parentIds[0], shape.cursor, shape.field) : null;
    const { rows } = await sql<Record<string, unknown>>`
      select p.id as _parent, t.* from unnest(${parentIds}::uuid[]) as p(id)
      cross join lateral (${this.pageOf(sql`p.id`, shape, cursor, shape.properties)}) t`.execute(this.em.getKysely());
    const byParent = new Map<string, T[]>();
    for (const row of rows) {
      const parentId = row._parent as string;
      byParent.set(parentId, [...(byParent.get(parentId) ?? []), this.toModel(row)]);
    }
    return byParent;
  }

  private async loadCounts(parentIds: readonly string[]): Promise<number[]> {
    const { spec } = this;
    const { rows } = await sql<{ parent: string; n: string }>`
      select ${sql.ref(`t.${spec.parentColumn}`)} as parent, count(*) as n from ${sql.table(spec.table)} t
      where ${sql.ref(`t.${spec.parentColumn}`)} = any(${[...parentIds]}::uuid[]) and ${sql.raw(spec.where ?? 'true')}
      group by 1`.execute(this.em.getKysely());
    const counts = new Map(rows.map((r) => [r.parent, Number(r.n)]));
    return parentIds.map((id) => counts.get(id) ?? 0);
  }

  /** One parent's page as loaded and primed: `page` finds what `prime` stored under the same key. */
  private keyFor(parentId: string, args: PageArgs, fields: readonly string[] | undefined): Key {
    return { parentId, ...pageWindow(args), properties: this.projection(fields) };
  }

  /** The properties read for `fields`: with the ID and sort key a cursor needs. */
  private projection(fields: readonly string[] | undefined): readonly string[] | null {
    return projection(this.em, this.entity, fields, this.keyProperties);
  }

  private tagOf(parentId: string): string {
    return scopedTag(this.spec.tag, { parentId });
  }

  private decode(parentId: string, cursor: string, field: CursorField): [string, string] {
    return decodeCursor(this.tagOf(parentId), cursor, cursorParts(this.spec), { field }) as [string, string];
  }

  private cursorOf(parentId: string, entity: T): string {
    const value = (entity as Record<string, unknown>)[this.spec.orderProperty];
    return encodeCursor(this.tagOf(parentId), [value instanceof Date ? value.toISOString() : value, entity.id]);
  }
}
