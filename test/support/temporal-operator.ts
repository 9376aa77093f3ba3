import { Client } from '@temporalio/client';
import { sql } from 'kysely';
import type { TestStack } from './stack.js';

/** What the Temporal UI (or CLI) is to the server: a client with an operator's identity, not the platform's. */
export function temporalOperator(stack: TestStack, identity = 'ops@example.com'): Client {
  return new Client({ connection: stack.temporal.connection, namespace: stack.config.temporal.namespace, identity });
}

/** The signals and updates from outside the platform audited for a playbook run or campaign: who sent which one with what. */
export async function steeringAudited(stack: TestStack, entityId: string): Promise<Array<[actor: string, message: string, input: unknown[]]>> {
  const { rows } = await sql<{ actor: string; after: { signal?: string; update?: string; input: unknown[] } }>`
    select actor, after from audit_entry where entity_id = ${entityId} and (action like '%.signal-in-engine' or action like '%.update-in-engine')
     order by (after->>'eventId')::int`.execute(stack.orm.em.fork().getKysely());
  return rows.map((r) => [r.actor, r.after.signal ? `signal ${r.after.signal}` : `update ${r.after.update}`, r.after.input]);
}
