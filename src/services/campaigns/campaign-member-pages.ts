import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import type { CampaignGroup, PlaybookRun } from '../../entities/index.js';
import { encodeCursor, pageWindow, scopedTag, windowCursor, windowPage, type Page, type PageArgs, type PageWindow } from '../common/pagination.js';
import type { PlaybookRunService } from '../playbooks/playbook-run.service.js';

/** A campaign member as a page lists it: who, in which group, when and in which pass, and where their run stands. */
export interface CampaignMemberView {
  campaignId: string;
  customerId: string;
  group: CampaignGroup;
  enrolledAt: Date;
  /** The pass over the segment that enrolled them (a repeating campaign's). */
  pass: number;
  /** For fixing issues, the run of the first persistent topic; the customer's own runs list has all. */
  run: PlaybookRun | null;
}

interface Key extends Pick<PageWindow, 'size' | 'backward'> {
  campaignId: string;
  group: CampaignGroup | null;
  /** The customer ID the page starts after (backward: before). */
  after: string | null;
}

/** Cursors name the campaign and the group: one of another campaign or tab is refused. */
const tagOf = (k: { campaignId: string; group: CampaignGroup | null }) => scopedTag('campaign-members', { campaignId: k.campaignId, group: k.group });
const shapeOf = (k: Key) => `${k.group ?? ''}|${k.backward ? 'last' : 'first'}|${k.size}|${k.after ?? ''}`;
const keyOf = (k: Key) => `${k.campaignId}|${shapeOf(k)}`;
const countKeyOf = (campaignId: string, group: CampaignGroup | null) => `${campaignId}|${group ?? ''}`;

/**
 * Pages of campaign members for many campaigns in one SQL statement (a lateral join over the
 * member table's primary key, campaign then customer), with their runs read in one more and
 * totalCount, when asked for, in one per page of campaigns: so a page of campaigns with their
 * members costs the same statements whatever its size (no N+1), as ChildPager does for a
 * customer's children. Request-scoped, like the EntityManager it uses.
 */
export class CampaignMemberPager {
  private readonly pages: DataLoader<Key, Page<CampaignMemberView>, string>;
  private readonly counts: DataLoader<string, number>;

  constructor(
    private readonly em: EntityManager,
    private readonly runs: PlaybookRunService,
  ) {
    this.pages = new DataLoader((keys) => this.loadPages(keys), { cacheKeyFn: keyOf });
    this.counts = new DataLoader((keys) => this.loadCounts(keys));
  }

  /** Who the campaign enrolled, in enrolment (customer ID) order, optionally one group only. */
  page(campaignId: string, group: CampaignGroup | null, args: PageArgs): Promise<Page<CampaignMemberView>> {
    const window = pageWindow(args);
    const [after] = (windowCursor(window, tagOf({ campaignId, group }), ['uuid']) as [string] | null) ?? [null];
    return this.pages.load({ campaignId, group, size: window.size, backward: window.backward, after });
  }

  private async loadPages(keys: readonly Key[]): Promise<Page<CampaignMemberView>[]> {
    // Campaigns asking for the same page shape share one statement.
    const groups = new Map<string, Key[]>();
    for (const key of keys) groups.set(shapeOf(key), [...(groups.get(shapeOf(key)) ?? []), key]);
    const fetched = await Promise.all([...groups.values()].map(async (group) => ({ shape: group[0], rows: await this.fetch(group[0], [...new Set(group.map((k) => k.campaignId))]) })));
    const runs = await this.runs.findByWorkflowIds([...new Set(fetched.flatMap(({ rows }) => rows.flatMap((r) => (r.workflow_id ? [r.workflow_id] : []))))]);
    const pages = new Map<string, Page<CampaignMemberView>>();
    for (const { shape, rows } of fetched) {
      const byCampaign = new Map<string, CampaignMemberView[]>();
      for (const r of rows) {
        const view = { campaignId: r.campaign_id, customerId: r.customer_id, group: r.group, enrolledAt: new Date(r.enrolled_at), pass: r.pass, run: (r.workflow_id && runs.get(r.workflow_id)) || null };
        byCampaign.set(r.campaign_id, [...(byCampaign.get(r.campaign_id) ?? []), view]);
      }
      for (const key of keys.filter((k) => shapeOf(k) === shapeOf(shape))) {
        const views = byCampaign.get(key.campaignId) ?? [];
        pages.set(
          keyOf(key),
          windowPage(views, { size: key.size, backward: key.backward, cursor: key.after, field: key.backward ? 'before' : 'after' }, () => this.counts.load(countKeyOf(key.campaignId, key.group)), (m) => encodeCursor(tagOf(key), [m.customerId])),
        );
      }
    }
    return keys.map((k) => pages.get(keyOf(k))!);
  }

  /** Each campaign's first `first + 1` members after the cursor, from the primary key (campaign, customer). */
  private async fetch(shape: Key, campaignIds: string[]) {
    const { rows } = await sql<{ campaign_id: string; customer_id: string; group: CampaignGroup; enrolled_at: Date | string; pass: number; workflow_id: string | null }>`
      select p.id as campaign_id, m.customer_id, m."group", m.enrolled_at, m.pass, m.workflow_id from unnest(${campaignIds}::uuid[]) as p(id)
      cross join lateral (
        select * from campaign_member m
         where m.campaign_id = p.id ${shape.group ? sql`and m."group" = ${shape.group}` : sql``} ${shape.after !== null ? sql`and m.customer_id ${sql.raw(shape.backward ? '<' : '>')} ${shape.after}::uuid` : sql``}
         order by m.customer_id ${sql.raw(shape.backward ? 'desc' : 'asc')} limit ${sql.lit(shape.size + 1)}) m`.execute(this.em.getKysely());
    return rows;
  }

  private async loadCounts(keys: readonly string[]): Promise<number[]> {
    const campaignIds = [...new Set(keys.map((k) => k.split('|')[0]))];
    const { rows } = await sql<{ campaign_id: string; group: string; n: string }>`
      select campaign_id, "group", count(*) as n from campaign_member where campaign_id = any(${campaignIds}::uuid[]) group by 1, 2`.execute(this.em.getKysely());
    return keys.map((key) => {
      const [campaignId, group] = key.split('|');
      return rows.filter((r) => r.campaign_id === campaignId && (!group || r.group === group)).reduce((n, r) => n + Number(r.n), 0);
    });
  }
}
