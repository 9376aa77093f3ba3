import type { EntityManager } from '@mikro-orm/postgresql';
import { engineActor } from '../../domain/auth/roles.js';
import { engineStartPolicyCheck } from '../../domain/playbooks/engine-start.js';
import type { AuditService } from '../audit/audit.service.js';
import type { SteeringSource } from '../audit/steering-audit.service.js';

/** What a run started from outside the platform goes by: the deployment's policy in place of the one given (null: the one given stands). */
export interface EngineStartVerdict {
  policyInstead: unknown;
}

/**
 * Starts of playbook runs from outside the platform: an operator's `temporal workflow start` or Start in the Temporal UI.
 * The platform's own starts (a person's through the API, audited there as `playbook.start`; the sweep's, a campaign's, a
 * complaint's follow-up) carry its clients' identity; any other start is audited as `playbook.start-in-engine` under
 * who the engine says started it, with the policy typed with it and whether it differs from the deployment's; one
 * harsher on the customer than the deployment's (`engineStartPolicyCheck`) is not taken: the run goes by the
 * deployment's, and the entry says so and why.
 */
export class EngineStartAuditService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly source: SteeringSource,
    /** The deployment's policy of each playbook, by its name (the worker's configured ones). */
    private readonly deploymentPolicies: Readonly<Record<string, unknown>>,
  ) {}

  /**
   * Audits the start of execution `runId` of the run once (a retry of the step, or a reset execution, whose start is its
   * original's, writes no second entry), after its record was written (`recordStarted`). What the run goes by.
   */
  async auditStartInEngine(run: { workflowId: string; runId: string; playbook: string }): Promise<EngineStartVerdict> {
    const started = this.source.howStarted ? await this.source.howStarted(run.workflowId, run.runId) : null;
    if (!started || started.byPlatform) return { policyInstead: null };
    const deployment = this.deploymentPolicies[run.playbook];
    const given = (started.input[0] as { policy?: unknown } | null | undefined)?.policy;
    const { differsFromDeployment, problems } = engineStartPolicyCheck(run.playbook, given, deployment);
    const refused = problems.length > 0;
    await this.em.transactional(async (em) => {
      // Under the run's record, as every writer of the run takes it: two tries of the step write one entry.
      await em.execute(`select 1 from playbook_run where workflow_id = ? for update`, [run.workflowId]);
      if (await this.audit.hasEntry(em, { entityType: 'playbook_run', entityId: run.workflowId, action: 'playbook.start-in-engine', after: ['runId', started.originalRunId] })) return;
      this.audit.record(em, {
        actor: engineActor(started.by),
        action: 'playbook.start-in-engine',
        entityType: 'playbook_run',
        entityId: run.workflowId,
        at: started.at,
        after: {
          runId: started.originalRunId,
          playbook: run.playbook,
          policy: given ?? null,
          differsFromDeployment,
          // Not taken: the run goes by the deployment's policy (its version named), and the entry says why.
          ...(refused ? { policyTaken: false, problems, policyInstead: (deployment as { version?: unknown } | undefined)?.version ?? null } : { policyTaken: true }),
        },
      });
      await em.flush();
    });
    return { policyInstead: refused ? deployment : null };
  }
}
