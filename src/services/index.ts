import type { EntityManager } from '@mikro-orm/postgresql';
import { CustomerService } from './customers/customer.service.js';
import type { PlaybookEngine } from './playbooks/playbook-engine.js';
import { PlaybookRunService } from './playbooks/playbook-run.service.js';
import { PlaybookService, defaultPolicies, type PlaybookPolicies } from './playbooks/playbook.service.js';

/** The domain services for one unit of work (one GraphQL request, one activity call). */
export function createServices(em: EntityManager, engine: PlaybookEngine, policies: PlaybookPolicies = defaultPolicies) {
  const customers = new CustomerService(em);
  const runs = new PlaybookRunService(em);
  return { customers, runs, playbooks: new PlaybookService(customers, runs, engine, policies) };
}

export type Services = ReturnType<typeof createServices>;
