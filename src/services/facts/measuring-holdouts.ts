import { sql, type RawBuilder } from 'kysely';
import { HOLDOUT_KEPT_DAYS } from '../../domain/campaigns/campaign.js';

/**
 * The customer (`customer` names their id column) is in the holdout of a campaign of `playbook`
 * that is still measuring: under way (scheduled, running, paused) or ended less than
 * HOLDOUT_KEPT_DAYS ago; a campaign `except`ed (its own) aside. Giving that control group the
 * playbook would end the campaign's comparison: the playbook's other campaigns leave them out,
 * and so does the trigger sweep (a start by hand is a person's choice, counted in the outcome).
 */
export function inMeasuringHoldout(customer: string, playbook: string, now = new Date(), except?: string): RawBuilder<boolean> {
  return sql<boolean>`exists (select 1 from campaign_member hm join campaign hc on hc.id = hm.campaign_id
                               where hm.customer_id = ${sql.ref(customer)} and hm."group" = 'holdout' and hc.playbook = ${playbook}
                                 ${except ? sql`and hc.id <> ${except}::uuid` : sql``}
                                 and (hc.status in ('scheduled', 'running', 'paused') or hc.finished_at > ${now}::timestamptz - make_interval(days => ${HOLDOUT_KEPT_DAYS})))`;
}
