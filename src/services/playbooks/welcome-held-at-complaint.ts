import type { EntityManager } from '@mikro-orm/postgresql';
import pg from 'pg';
import { COMPLAINED_FIRST } from '../../domain/messages/catalogue.js';
import { stepMessageKey } from '../../domain/playbooks/run-id.js';
import { WELCOME_CHECK, WELCOME_STEP } from '../../domain/playbooks/welcome-check.js';

const literal = pg.escapeLiteral;

/**
 * The customers `customers` (a subquery, or a `?` for one customer) have a complaint open (just recorded, reopened or
 * imported): the welcome of their welcome check under way, if still queued (held for their quiet hours), is held back
 * rather than ask "is everything working as you expected?" after they said it is not. The run goes on waiting; at the end
 * of its wait its call task names the complaint and says the welcome never reached them. Run in the transaction that
 * records the complaint, so delivery either sent the welcome first or finds it held back. Returns the welcomes' IDs.
 */
export function welcomeHeldAtComplaintSql(customers: string): string {
  return `update outbox_message m set suppressed_at = now(), suppressed_reason = ${literal(COMPLAINED_FIRST)}
       from playbook_run r
      where r.customer_id in (${customers}) and r.playbook = ${literal(WELCOME_CHECK)} and r.status = 'running'
        and m.customer_id = r.customer_id and m.idempotency_key = r.workflow_id || ${literal(stepMessageKey('', WELCOME_STEP))}
        and m.sent_at is null and m.suppressed_at is null
        and exists (select 1 from complaint c where c.customer_id = r.customer_id and c.resolved_at is null and c.withdrawn_at is null)
      returning m.id`;
}

/** `welcomeHeldAtComplaintSql` for one customer, in `em`'s transaction. The number of welcomes held back. */
export async function holdBackWelcomeAtComplaint(em: EntityManager, customerId: string): Promise<number> {
  return (await em.execute<{ id: string }[]>(welcomeHeldAtComplaintSql('?'), [customerId])).length;
}
