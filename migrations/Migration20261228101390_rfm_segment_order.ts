import { Migration } from '@mikro-orm/migrations';

/**
 * The RFM segments in the order customers sorted by their RFM score are listed (descending: Champions first, Lost last), as
 * the scoring model names them. Sorted by the RFM code alone, recency decided (a one-off buyer of last week above a loyal
 * customer, "Can't lose them" below Hibernating); the list now goes by segment, then by the code within it. The customers
 * query builds the same expression (`rfmSegmentOrder`), so this index serves its keyset pages.
 */
const segmentOrder = `(12 - coalesce(array_position(array['Champions', 'Loyal', 'Potential loyalist', 'New', 'Promising', 'Need attention', 'About to sleep', 'At risk', 'Can''t lose them', 'Hibernating', 'Lost']::text[], band), 12)) * 1000 + value`;

export class Migration20261228101390_rfm_segment_order extends Migration {
  override name = 'Migration20261228101390_rfm_segment_order';

  override up(): void | Promise<void> {
    this.addSql(`create index "current_score_rfm_segment_order_index" on "current_score" ((${segmentOrder}), "customer_id") where kind = 'rfm';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "current_score_rfm_segment_order_index";`);
  }
}
