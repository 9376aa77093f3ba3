import { heartbeat } from '@temporalio/activity';
import type { CampaignLaunch, CampaignRunStatus } from '../domain/campaigns/campaign.js';
import type { EnrolmentPage } from '../services/campaigns/campaign-enrolment.service.js';
import type { SteeringEffects } from '../services/audit/steering-audit.service.js';
import type { WorkerServices } from '../services/index.js';

/** The campaign run's steps: enrol a page, record the status, audit steering from the Temporal UI; thin calls into the services. */
export function createCampaignActivities(services: () => WorkerServices) {
  return {
    enrolCampaignPage(input: { campaignId: string; after: string | null; limit: number; pass?: number }): Promise<EnrolmentPage> {
      return services().campaignEnrolment.enrolPage(input, () => heartbeat());
    },
    /**
     * `at`: when the run moved to the status (ISO; runs scheduled the step without it before it was passed: the record's own time then).
     * `steering`: the number of the latest steering through the API the run had taken (runs scheduled it without before it was passed).
     */
    recordCampaignStatus(input: { campaignId: string; status: CampaignRunStatus; launch?: CampaignLaunch; at?: string; steering?: number }): Promise<void> {
      return services().campaignEnrolment.recordStatus(input.campaignId, input.status, input.launch, input.at ? new Date(input.at) : undefined, input.steering);
    },
    /** Audits a pause, resume or cancel an operator sent from outside the platform (the Temporal UI), each once. */
    /** `effects`: what the run's signal handlers did (runs started before it was passed do not say); `signals`: the run's own (likewise), any other is audited as ignored. */
    auditCampaignSteeringFromOutside(input: { campaignId: string; workflowId: string; runId: string; effects?: SteeringEffects; signals?: string[] }): Promise<number> {
      return services().campaignSteering.auditSteeringFromOutside(input, { entityType: 'campaign', entityId: input.campaignId }, input.effects);
    },
  };
}

export type CampaignActivities = ReturnType<typeof createCampaignActivities>;
