import type { EntityManager } from '@mikro-orm/postgresql';
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

  /** A customer's orders, newest first (batched across a page of customers). */
  forCustomer(customerId: string, args: PageArgs): Promise<Page<Order>> {
    return this.pager.page(customerId, args);
  }
}
