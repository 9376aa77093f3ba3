import type { EntityManager } from '@mikro-orm/postgresql';
import { ERASED_MENTION } from '../../domain/customers/personal-mentions.js';

/**
 * The state an account review kept with its record as it ended holds its offboarding decision, with the reason
 * when an operator typed the decision in the Temporal UI (a person's words about the customer; the API's decisions
 * name their audit entry instead): for an erased customer it becomes ERASED_MENTION. The rest of a kept state is what
 * the run's history holds too: IDs, keys and the run's own texts. Run by the erasure, and by a run that records its
 * end after the erasure (cancelled through the API, it may wind down after its customer was erased).
 */
export async function eraseKeptDecisionReasons(em: EntityManager, of: { erasedCustomerId: string } | { workflowId: string }): Promise<void> {
  const which = 'erasedCustomerId' in of
    ? { sql: 'r.customer_id = ?', value: of.erasedCustomerId }
    : { sql: `r.workflow_id = ? and exists (select 1 from customer c where c.id = r.customer_id and c.status = 'erased')`, value: of.workflowId };
  await em.execute(
    `update playbook_run r set final_state = jsonb_set(r.final_state, '{decision,reason}', to_jsonb(?::text))
      where ${which.sql} and jsonb_typeof(r.final_state #> '{decision,reason}') = 'string' and r.final_state #>> '{decision,reason}' <> ?`,
    [ERASED_MENTION, which.value, ERASED_MENTION],
  );
}
