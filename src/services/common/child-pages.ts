import DataLoader from 'dataloader';
import type { EntityClass, EntityDictionary } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { assertPageSize, decodeCursor, encodeCursor, toPage, type Page, type PageArgs } from './pagination.js';

/** A list of child rows per parent (a customer's orders, invoices, ...), newest first. */
export interface ChildListSpec {
  /** Names the list inside its cursors. */
  tag: string;
  table: string;
  parentColumn: string;
  /** Sorted by this column descending, then by id descending. */
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

/**
 * Pages of children for many parents in one SQL statement: the nested fields of a
 * customers page cost one query per field, whatever the page size (no N+1).
 * Request-scoped: create one per unit of work, like the EntityManager it uses.
 */
export class ChildPager<T extends { id: string }> {
  private readonly loader: DataLoader<Key, Page<T>, string>;

  constructor(
    private readonly em: EntityManager,
    private readonly entity: EntityClass<T>,
    private readonly spec: ChildListSpec,
  ) {
    this.loader = new DataLoader((keys) => this.loadMany(keys), { cacheKeyFn: (k) => `${k.parentId}|${k.first}|${k.after ?? ''}` });
  }

  page(parentId: string, args: PageArgs): Promise<Page<T>> {
    assertPageSize(args.first);
    if (args.after) decodeCursor(this.spec.tag, args.after, 2);
    return this.loader.load({ parentId, first: args.first, after: args.after ?? null });
  }

  private async loadMany(keys: readonly Key[]): Promise<Page<T>[]> {
    // Parents asking for the same page shape share one statement.
    const groups = new Map<string, Key[]>();
    for (const key of keys) {
      const shape = `${key.first}|${key.after ?? ''}`;
      groups.set(shape, [...(groups.get(shape) ?? []), key]);
    }
    const pages = new Map<string, Page<T>>();
    for (const group of groups.values()) {
      const { first, after } = group[0];
      const rows = await this.fetch([...new Set(group.map((k) => k.parentId))], first, after);
      for (const parentId of new Set(group.map((k) => k.parentId))) {
        const mine = rows.filter((r) => r.parentId === parentId);
        if (mine.length === 0 && after) continue; // total unknown from this statement: counted in emptyPage
        const page = toPage(
          mine.map((r) => r.entity),
          first,
          mine[0]?.total ?? 0,
          (e) => this.cursorOf(e),
          Boolean(after),
        );
        pages.set(`${parentId}|${first}|${after ?? ''}`, page);
      }
    }
    return Promise.all(keys.map(async (k) => pages.get(`${k.parentId}|${k.first}|${k.after ?? ''}`) ?? this.emptyPage(k)));
  }

  /** A parent with no rows after the cursor still needs its total. */
  private async emptyPage(key: Key): Promise<Page<T>> {
    const { spec } = this;
    const { rows } = await sql<{ n: string }>`select count(*) as n from ${sql.table(spec.table)} where ${sql.ref(spec.parentColumn)} = ${key.parentId}::uuid`.execute(
      this.em.getKysely(),
    );
    return toPage([], key.first, Number(rows[0].n), () => '', Boolean(key.after));
  }

  private async fetch(parentIds: string[], first: number, after: string | null) {
    const { spec } = this;
    const parent = sql.ref(`y.${spec.parentColumn}`);
    const order = sql.ref(`y.${spec.orderColumn}`);
    let cursorCondition = sql<boolean>`true`;
    if (after) {
      const [value, id] = decodeCursor(spec.tag, after, 2) as [string, string];
      cursorCondition = sql<boolean>`(${order}, y.id) < (${value}::${sql.raw(spec.orderType)}, ${id}::uuid)`;
    }
    const { rows } = await sql<Record<string, unknown> & { _total: string }>`
      select * from (
        select y.*, row_number() over (partition by ${parent} order by ${order} desc, y.id desc) as _rn
        from (
          select t.*, count(*) over (partition by ${sql.ref(`t.${spec.parentColumn}`)}) as _total
          from ${sql.table(spec.table)} t
          where ${sql.ref(`t.${spec.parentColumn}`)} = any(${parentIds}::uuid[])
        ) y
        where ${cursorCondition}
      ) z
      where z._rn <= ${first + 1}
      order by z._rn`.execute(this.em.getKysely());
    return rows.map(({ _rn, _total, ...row }) => ({
      parentId: row[spec.parentColumn] as string,
      total: Number(_total),
      entity: this.em.map(this.entity, row as EntityDictionary<T>) as T,
    }));
  }

  private cursorOf(entity: T): string {
    const value = (entity as Record<string, unknown>)[this.spec.orderProperty];
    return encodeCursor(this.spec.tag, [value instanceof Date ? value.toISOString() : value, entity.id]);
  }
}
