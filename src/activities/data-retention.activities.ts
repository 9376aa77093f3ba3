import type { Orm } from '../db/orm.js';
import type { DataRetentionPolicy } from '../domain/customers/data-retention.js';
import { AuditService } from '../services/audit/audit.service.js';
import { CustomerErasureService, type RetentionPage } from '../services/customers/customer-erasure.service.js';

/** The retention sweep's step: erase one page of customers whose retention period has passed. */
export function createDataRetentionActivities(orm: Orm) {
  return {
    eraseExpiredCustomers(input: { after: string | null; policy: DataRetentionPolicy }): Promise<RetentionPage> {
      return new CustomerErasureService(orm.em.fork(), new AuditService()).eraseExpired(input);
    },
  };
}

export type DataRetentionActivities = ReturnType<typeof createDataRetentionActivities>;
