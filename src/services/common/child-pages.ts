import DataLoader from 'dataloader';
import type { EntityClass } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { assertPageSize, decodeCursor, encodeCursor, toPage, type Page, type PageArgs } from './pagination.js';
import { rowMapper } from './read-model.js';

/** A list of child rows per parent (a customer's orders, invoices, ...), newest first. */
export interface ChildListSpec {
  /** Names the list inside its cursors. */
  tag: string;
  table: string;
  parentColumn: string;
  /** Sorted by this column descending, then by id descending; an index on (parent, column) serves it. */
  orderColumn: string;
  orderType: 'timestamptz' | 'date';
  /** Entity property holding the order column's value (for cursors). */
  orderProperty: string;
}

interface Key {
  parentId: string;
  first: number;
  after: string | null;
}

const shapeOf = (k: Key) => `${k.first}|${k.after ?? ''}`;

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
  private readonly toModel: (row: Record<string, unknown>) => T;

  constructor(
    private readonly em: EntityManager,
    entity: EntityClass<T>,
    private readonly spec: ChildListSpec,
  ) {
    this.toModel = rowMapper(em, entity);
    this.pages = new DataLoader((keys) => this.loadPages(keys), { cacheKeyFn: (k) => `${k.parentId}|${shapeOf(k)}` });
    this.counts = new DataLoader((parentIds) => this.loadCounts(parentIds));
  }

  page(parentId: string, args: PageArgs): Promise<Page<T>> {
    assertPageSize(args.first);
    if (args.after) decodeCursor(this.spec.tag, args.after, 2);
    return this.pages.load({ parentId, first: args.first, after: args.after ?? null });
  }

  private async loadPages(keys: readonly Key[]): Promise<Page<T>[]> {
    // Parents asking for the same page shape share one statement.
    const groups = new Map<string, Key[]>();
    for (const key of keys) groups.set(shapeOf(key), [...(groups.get(shapeOf(key)) ?? []), key]);
    const pages = new Map<string, Page<T>>();
    await Promise.all(
      [...groups.values()].map(async (group) => {
        const { first, after } = group[0];
        const rowsByParent = await this.fetch([...new Set(group.map((k) => k.parentId))], first, after);
        for (const { parentId } of group) {
          const page = toPage(rowsByParent.get(parentId) ?? [], first, () => this.counts.load(parentId), (node) => this.cursorOf(node), Boolean(after));
          pages.set(`${parentId}|${shapeOf(group[0])}`, page);
        }
      }),
    );
    return keys.map((k) => pages.get(`${k.parentId}|${shapeOf(k)}`)!);
  }

  private async fetch(parentIds: string[], first: number, after: string | null): Promise<Map<string, T[]>> {
    const { spec } = this;
    const parent = sql.ref(`t.${spec.parentColumn}`);
    const order = sql.ref(`t.${spec.orderColumn}`);
    let cursorCondition = sql<boolean>`true`;
    if (after) {
      const [value, id] = decodeCursor(spec.tag, after, 2) as [string, string];
      cursorCondition = sql<boolean>`(${order}, t.id) < (${value}::${sql.raw(spec.orderType)}, ${id}::uuid)`;
    }
    const { rows } = await sql<Record<string, unknown>>`
      select t.* from unnest(${parentIds}::uuid[]) as p(id)
      cross join lateral (
        select * from ${sql.table(spec.table)} t
        where ${parent} = p.id and ${cursorCondition}
        order by ${order} desc, t.id desc
        limit ${first + 1}
      ) t`.execute(this.em.getKysely());
    const byParent = new Map<string, T[]>();
    for (const row of rows) {
      const parentId = row[spec.parentColumn] as string;
      byParent.set(parentId, [...(byParent.get(parentId) ?? []), this.toModel(row)]);
    }
    return byParent;
  }

  private async loadCounts(parentIds: readonly string[]): Promise<number[]> {
    const { spec } = this;
    const { rows } = await sql<{ parent: string; n: string }>`
      select ${sql.ref(spec.parentColumn)} as parent, count(*) as n from ${sql.table(spec.table)}
      where ${sql.ref(spec.parentColumn)} = any(${[...parentIds]}::uuid[])
      group by 1`.execute(this.em.getKysely());
    const counts = new Map(rows.map((r) => [r.parent, Number(r.n)]));
    return parentIds.map((id) => counts.get(id) ?? 0);
  }

  private cursorOf(entity: T): string {
    const value = (entity as Record<string, unknown>)[this.spec.orderProperty];
    return encodeCursor(this.spec.tag, [value instanceof Date ? value.toISOString() : value, entity.id]);
  }
}
