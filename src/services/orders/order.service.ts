import type { EntityManager } from '@mikro-orm/postgresql';
import type { RawBuilder } from 'kysely';
import { Order } from '../../entities/index.js';
import { ChildPager } from '../common/child-pages.js';
import type { Page, PageArgs } from '../common/pagination.js';

export class OrderService {
  private readonly pager: ChildPager<Order>;

  constructor(em: EntityManager) {
    this.pager = new ChildPager(em, Order, {
      tag: 'orders',
      table: 'customer_order',
      parentColumn: 'customer_id',
      orderColumn: 'ordered_at',
      orderType: 'timestamptz',
      orderProperty: 'orderedAt',
    });
  }

  /** A customer's orders, newest first (batched across a page of customers); with `fields`, only those properties are read. */
  forCustomer(customerId: string, args: PageArgs, fields?: readonly string[]): Page<Order> | Promise<Page<Order>> {
    return this.pager.page(customerId, args, fields);
  }

  /** The orders page of the customer `customerId` (a column of a customers query) as JSON, for `primeForCustomer`; null for refused arguments. */
  pageColumn(customerId: RawBuilder<unknown>, args: PageArgs, fields?: readonly string[]): RawBuilder<unknown> | null {
    return this.pager.pageColumn(customerId, args, fields);
  }

  primeForCustomer(customerId: string, args: PageArgs, fields: readonly string[] | undefined, rows: Record<string, unknown>[]): void {
    this.pager.prime(customerId, args, fields, rows);
  }
}
