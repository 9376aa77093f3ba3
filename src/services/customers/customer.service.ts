import type { EntityManager } from '@mikro-orm/postgresql';
import { Customer } from '../../entities/index.js';
import { CustomerException, CustomerExceptionCode } from './customer.exception.js';

/** One page of a cursor-paginated list. */
export interface Page<T> {
  edges: { node: T; cursor: string }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number;
}

export const MAX_PAGE_SIZE = 100;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function assertCustomerId(id: string): void {
  if (!UUID.test(id)) throw new CustomerException(CustomerExceptionCode.InvalidId, `"${id}" is not a customer ID`, { id });
}

export class CustomerService {
  constructor(private readonly em: EntityManager) {}

  /** Customers, newest first, as a cursor page. */
  async list(args: { first: number; after?: string | null }): Promise<Page<Customer>> {
    if (!Number.isInteger(args.first) || args.first < 1 || args.first > MAX_PAGE_SIZE) {
      throw new CustomerException(CustomerExceptionCode.InvalidPageSize, `first must be between 1 and ${MAX_PAGE_SIZE}`, {
        first: args.first,
      });
    }
    let cursor;
    try {
      cursor = await this.em.findByCursor(Customer, {
        first: args.first,
        after: args.after ?? undefined,
        orderBy: { createdAt: 'desc', id: 'desc' },
      });
    } catch (error) {
      if (args.after && isCursorError(error)) {
        throw new CustomerException(CustomerExceptionCode.InvalidCursor, 'after is not a cursor of this list', { after: args.after });
      }
      throw error;
    }
    return {
      edges: cursor.items.map((node) => ({ node, cursor: cursor.from(node) })),
      pageInfo: {
        hasNextPage: cursor.hasNextPage,
        hasPreviousPage: cursor.hasPrevPage,
        startCursor: cursor.startCursor,
        endCursor: cursor.endCursor,
      },
      totalCount: cursor.totalCount,
    };
  }

  async find(id: string): Promise<Customer | null> {
    assertCustomerId(id);
    return this.em.findOne(Customer, { id });
  }

  async get(id: string): Promise<Customer> {
    const customer = await this.find(id);
    if (!customer) throw new CustomerException(CustomerExceptionCode.NotFound, `No customer with ID ${id}`, { id });
    return customer;
  }
}

/** A malformed cursor fails while decoding or comparing its values, before any row is read. */
function isCursorError(error: unknown): boolean {
  return error instanceof SyntaxError || error instanceof TypeError || (error instanceof Error && /cursor|JSON|base64/i.test(error.message));
}
