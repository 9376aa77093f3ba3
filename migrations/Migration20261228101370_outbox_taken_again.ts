import { Migration } from '@mikro-orm/migrations';

/**
 * When a step of its run last found its message written already (a retried step, or the step taken again by a run reset
 * in the Temporal UI). Recording a reset holds back the queued messages of the steps it undid, but not one the reset run
 * has taken again meanwhile (it means it). Messages before it: none known taken again.
 */
export class Migration20261228101370_outbox_taken_again extends Migration {
  override name = 'Migration20261228101370_outbox_taken_again';

  override up(): void | Promise<void> {
    this.addSql(`alter table "outbox_message" add column "taken_again_at" timestamptz(3) null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "outbox_message" drop column "taken_again_at";`);
  }
}
