import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditService } from './audit/audit.service.js';
import { InvoiceService } from './billing/invoice.service.js';
import { ComplaintService } from './complaints/complaint.service.js';
import { ImportService } from './import/import.service.js';
import { CustomerService } from './customers/customer.service.js';
import { OrderService } from './orders/order.service.js';
import type { PlaybookEngine } from './playbooks/playbook-engine.js';
import { PlaybookRunService } from './playbooks/playbook-run.service.js';
import { PlaybookService, defaultPolicies, type PlaybookPolicies } from './playbooks/playbook.service.js';
import { ScoreService } from './scores/score.service.js';

/** The domain services for one unit of work (one GraphQL request, one activity call). */
export function createServices(em: EntityManager, engine: PlaybookEngine, policies: PlaybookPolicies = defaultPolicies) {
  const audit = new AuditService();
  const customers = new CustomerService(em, audit);
  const runs = new PlaybookRunService(em);
  return {
    customers,
    orders: new OrderService(em),
    invoices: new InvoiceService(em, audit),
    complaints: new ComplaintService(em, audit),
    scores: new ScoreService(em),
    imports: new ImportService(em.config.get('clientUrl')!),
    runs,
    playbooks: new PlaybookService(customers, runs, engine, policies),
  };
}

export type Services = ReturnType<typeof createServices>;
