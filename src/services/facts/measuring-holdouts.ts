import { sql, type RawBuilder } from 'kysely';
import { HOLDOUT_KEPT_DAYS } from '../../domain/campaigns/campaign.js';

/**
 * The customer (`customer` names their id column) is in the holdout of a campaign of `playbook`
 * that still measures them: a campaign that runs once, while under way (scheduled, running,
 * paused) and for HOLDOUT_KEPT_DAYS after it ended; a repeating one, which stays under way
 * until cancelled, for HOLDOUT_KEPT_DAYS after the pass that drew them (its earlier passes'
 * holdouts are free again after a quarter, as a finished campaign's are); a campaign `except`ed
 * (its own) aside. Giving that control group the playbook would end the campaign's comparison:
 * the playbook's other campaigns leave them out, and so does the trigger sweep (a start by hand
 * is a person's choice, counted in the outcome). A member drawn while in a run of the playbook
 * (the sweep's, a person's, another campaign's) never went without it: nothing is kept from them.
 */
export function inMeasuringHoldout(customer: string, playbook: string, now = new Date(), except?: string): RawBuilder<boolean> {
  const kept = sql`${now}::timestamptz - make_interval(days => ${HOLDOUT_KEPT_DAYS})`;
  return sql<boolean>`exists (select 1 from campaign_member hm join campaign hc on hc.id = hm.campaign_id
                               where hm.customer_id = ${sql.ref(customer)} and hm."group" = 'holdout' and hc.playbook = ${playbook}
                                 ${except ? sql`and hc.id <> ${except}::uuid` : sql``}
                                 and (case when coalesce(hc.repeat_every_days, 0) > 0 then hm.enrolled_at > ${kept}
                                           else hc.status in ('scheduled', 'running', 'paused') or hc.finished_at > ${kept} end)
                                 and not exists (select 1 from playbook_run hr where hr.customer_id = hm.customer_id and hr.playbook = hc.playbook
                                                    and hr.started_at <= hm.enrolled_at and (hr.finished_at is null or hr.finished_at > hm.enrolled_at)))`;
}

/** The lock a campaign page of `playbook` holds while it reads its audience and draws its holdout (an advisory lock's key). */
export const holdoutDrawLockKey = (playbook: string) => `campaign-enrolment:${playbook}`;
