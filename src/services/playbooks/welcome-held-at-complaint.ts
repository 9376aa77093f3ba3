import type { EntityManager } from '@mikro-orm/postgresql';
import { COMPLAINED_FIRST } from '../../domain/messages/catalogue.js';
import { stepMessageKey } from '../../domain/playbooks/run-id.js';
import { WELCOME_CHECK, WELCOME_STEP } from '../../domain/playbooks/welcome-check.js';

/**
 * The customer has a complaint open (just recorded, reopened or imported): the welcome of their welcome check under
 * way, if still queued (held for their quiet hours), is held back rather than ask "is everything working as you
 * expected?" after they said it is not. The run goes on waiting; at the end of its wait its call task names the
 * complaint and says the welcome never reached them. Run in the transaction that records the complaint, so delivery
 * either sent the welcome first or finds it held back. The number of welcomes held back.
 */
export async function holdBackWelcomeAtComplaint(em: EntityManager, customerId: string): Promise<number> {
  const held = await em.execute<{ id: string }[]>(
    `update outbox_message m set suppressed_at = now(), suppressed_reason = ?
       from playbook_run r
      where r.customer_id = ? and r.playbook = ? and r.status = 'running'
        and m.customer_id = r.customer_id and m.idempotency_key = r.workflow_id || ?
        and m.sent_at is null and m.suppressed_at is null
        and exists (select 1 from complaint c where c.customer_id = r.customer_id and c.resolved_at is null)
      returning m.id`,
    [COMPLAINED_FIRST, customerId, WELCOME_CHECK, stepMessageKey('', WELCOME_STEP)],
  );
  return held.length;
}
