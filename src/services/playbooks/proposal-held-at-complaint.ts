import type { EntityManager } from '@mikro-orm/postgresql';
import pg from 'pg';
import { PROPOSAL_HELD_AT_COMPLAINT } from '../../domain/messages/catalogue.js';
import { ACCOUNT_REVIEW } from '../../domain/playbooks/account-review.js';
import { stepMessageKey } from '../../domain/playbooks/run-id.js';
import type { AuditService } from '../audit/audit.service.js';
import { MESSAGE_HELD_BACK } from '../outbox/message-audit.js';

const literal = pg.escapeLiteral;

/**
 * The customers `customers` (a subquery, or a `?` for one customer) have a complaint open (just recorded, reopened or
 * imported): the proposal of their account review under way, if still queued (held for their quiet hours), is held back.
 * A service message about their contract goes through the contact guard whatever is open, but a customer in the middle of
 * a complaint is not asked to take a lesser service (fix first), next to the fix's "we are on it". The review hears of it
 * (`tellReviewsOfHeldProposal`), takes no answer to it, and proposes again once nothing of theirs is open. Run in the
 * transaction that records the complaint, so delivery either sent the proposal first or finds it held back. Returns the
 * proposals held back, with their runs.
 */
export function proposalHeldAtComplaintSql(customers: string): string {
  return `update outbox_message m set suppressed_at = now(), suppressed_reason = ${literal(PROPOSAL_HELD_AT_COMPLAINT)}
       from playbook_run r
      where r.customer_id in (${customers}) and r.playbook = ${literal(ACCOUNT_REVIEW)} and r.status = 'running'
        and m.customer_id = r.customer_id and m.idempotency_key = r.workflow_id || ${literal(stepMessageKey('', 'proposal'))}
        and m.sent_at is null and m.suppressed_at is null
        and exists (select 1 from complaint c where c.customer_id = r.customer_id and c.resolved_at is null and c.withdrawn_at is null)
      returning m.id, r.workflow_id as "workflowId", r.customer_id as "customerId"`;
}

/**
 * `proposalHeldAtComplaintSql` with an audit entry for each proposal held back (`message.held-back`, by `actor`, who
 * recorded the complaint), in one statement: for the complaints import, which writes through its own connection.
 */
export function proposalHeldAtComplaintAuditedSql(customers: string, actor: string): string {
  return `with held as (${proposalHeldAtComplaintSql(customers)})
    insert into audit_entry (id, at, actor, action, entity_type, entity_id, before, after)
    select gen_random_uuid(), now(), ${literal(actor)}, ${literal(MESSAGE_HELD_BACK)}, 'outbox_message', held.id::text, null,
           jsonb_build_object('reason', ${literal(PROPOSAL_HELD_AT_COMPLAINT)}, 'workflowId', held."workflowId", 'customerId', held."customerId", 'template', 'account-proposal')
      from held`;
}

/** `proposalHeldAtComplaintSql` for one customer, in `em`'s transaction, each audited by `actor`. The runs whose proposal was held back. */
export async function holdBackProposalAtComplaint(em: EntityManager, audit: AuditService, customerId: string, actor: string): Promise<string[]> {
  const held = await em.execute<{ id: string; workflowId: string; customerId: string }[]>(proposalHeldAtComplaintSql('?'), [customerId]);
  for (const { id, workflowId } of held) {
    audit.record(em, { actor, action: MESSAGE_HELD_BACK, entityType: 'outbox_message', entityId: id, after: { reason: PROPOSAL_HELD_AT_COMPLAINT, workflowId, customerId, template: 'account-proposal' } });
  }
  return held.map((h) => h.workflowId);
}
