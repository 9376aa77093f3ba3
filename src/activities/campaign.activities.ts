import { heartbeat } from '@temporalio/activity';
import type { Orm } from '../db/orm.js';
import type { CampaignRunStatus } from '../domain/campaigns/campaign.js';
import { defaultScoringPolicy } from '../domain/scoring/scoring-policy.js';
import { AuditService } from '../services/audit/audit.service.js';
import { SteeringAuditService } from '../services/audit/steering-audit.service.js';
import { CampaignEnrolmentService, type EnrolmentPage } from '../services/campaigns/campaign-enrolment.service.js';
import { createServices, type Engines } from '../services/index.js';

/** The campaign run's steps: enrol a page, record the status, audit steering from the Temporal UI; thin calls into the services. */
export function createCampaignActivities(orm: Orm, engines: Engines) {
  const enrolment = () => {
    const em = orm.em.fork();
    return new CampaignEnrolmentService(em, createServices(em, engines).playbooks, defaultScoringPolicy.persistentIssue);
  };
  return {
    enrolCampaignPage(input: { campaignId: string; after: string | null; limit: number; pass?: number }): Promise<EnrolmentPage> {
      return enrolment().enrolPage(input, () => heartbeat());
    },
    recordCampaignStatus(input: { campaignId: string; status: CampaignRunStatus }): Promise<void> {
      return enrolment().recordStatus(input.campaignId, input.status);
    },
    /** Audits a pause, resume or cancel an operator sent from outside the platform (the Temporal UI), each once. */
    auditCampaignSteeringFromOutside(input: { campaignId: string; workflowId: string; runId: string }): Promise<number> {
      return new SteeringAuditService(orm.em.fork(), new AuditService(), engines.campaigns).auditSteeringFromOutside(input, { entityType: 'campaign', entityId: input.campaignId });
    },
  };
}

export type CampaignActivities = ReturnType<typeof createCampaignActivities>;
