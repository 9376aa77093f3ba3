import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261124000000_customers } from './Migration20261124000000_customers.js';
import { Migration20261124010000_customer_data } from './Migration20261124010000_customer_data.js';
import { Migration20261124020000_customer_revenue } from './Migration20261124020000_customer_revenue.js';
import { Migration20261124030000_current_score } from './Migration20261124030000_current_score.js';
import { Migration20261124040000_customer_name_sort } from './Migration20261124040000_customer_name_sort.js';
import { Migration20261125000000_scoring_runs } from './Migration20261125000000_scoring_runs.js';
import { Migration20261125010000_snapshot_indexes } from './Migration20261125010000_snapshot_indexes.js';
import { Migration20261125020000_outbox_delivery } from './Migration20261125020000_outbox_delivery.js';
import { Migration20261125030000_fix_case } from './Migration20261125030000_fix_case.js';
import { Migration20261125040000_customer_export } from './Migration20261125040000_customer_export.js';
import { Migration20261125050000_campaign_member } from './Migration20261125050000_campaign_member.js';
import { Migration20261125060000_scoring_work_window_margin } from './Migration20261125060000_scoring_work_window_margin.js';
import { Migration20261125070000_current_score_snapshot } from './Migration20261125070000_current_score_snapshot.js';
import { Migration20261201000000_scoring_page } from './Migration20261201000000_scoring_page.js';
import { Migration20261201010000_current_score_fillfactor } from './Migration20261201010000_current_score_fillfactor.js';
import { Migration20261201020000_customer_bands } from './Migration20261201020000_customer_bands.js';
import { Migration20261201030000_invoice_reminder_band } from './Migration20261201030000_invoice_reminder_band.js';
import { Migration20261201040000_score_snapshot_per_customer } from './Migration20261201040000_score_snapshot_per_customer.js';
import { Migration20261201050000_order_index_include } from './Migration20261201050000_order_index_include.js';
import { Migration20261201060000_outbox_loyalty_band } from './Migration20261201060000_outbox_loyalty_band.js';
import { Migration20261201070000_scoring_invoice_work } from './Migration20261201070000_scoring_invoice_work.js';

/** Every migration in order; listed explicitly so compiled and bundled builds find them without globbing. */
export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261124000000_customers', class: Migration20261124000000_customers },
  { name: 'Migration20261124010000_customer_data', class: Migration20261124010000_customer_data },
  { name: 'Migration20261124020000_customer_revenue', class: Migration20261124020000_customer_revenue },
  { name: 'Migration20261124030000_current_score', class: Migration20261124030000_current_score },
  { name: 'Migration20261124040000_customer_name_sort', class: Migration20261124040000_customer_name_sort },
  { name: 'Migration20261125000000_scoring_runs', class: Migration20261125000000_scoring_runs },
  { name: 'Migration20261125010000_snapshot_indexes', class: Migration20261125010000_snapshot_indexes },
  { name: 'Migration20261125020000_outbox_delivery', class: Migration20261125020000_outbox_delivery },
  { name: 'Migration20261125030000_fix_case', class: Migration20261125030000_fix_case },
  { name: 'Migration20261125040000_customer_export', class: Migration20261125040000_customer_export },
  { name: 'Migration20261125050000_campaign_member', class: Migration20261125050000_campaign_member },
  { name: 'Migration20261125060000_scoring_work_window_margin', class: Migration20261125060000_scoring_work_window_margin },
  { name: 'Migration20261125070000_current_score_snapshot', class: Migration20261125070000_current_score_snapshot },
  { name: 'Migration20261201000000_scoring_page', class: Migration20261201000000_scoring_page },
  { name: 'Migration20261201010000_current_score_fillfactor', class: Migration20261201010000_current_score_fillfactor },
  { name: 'Migration20261201020000_customer_bands', class: Migration20261201020000_customer_bands },
  { name: 'Migration20261201030000_invoice_reminder_band', class: Migration20261201030000_invoice_reminder_band },
  { name: 'Migration20261201040000_score_snapshot_per_customer', class: Migration20261201040000_score_snapshot_per_customer },
  { name: 'Migration20261201050000_order_index_include', class: Migration20261201050000_order_index_include },
  { name: 'Migration20261201060000_outbox_loyalty_band', class: Migration20261201060000_outbox_loyalty_band },
  { name: 'Migration20261201070000_scoring_invoice_work', class: Migration20261201070000_scoring_invoice_work },
];
