import { Migration } from '@mikro-orm/migrations';

/**
 * When the workflow engine scheduled the step that wrote the message (its first attempt, on the engine's clock). Recording a
 * reset holds back the queued messages of the steps it undid, those scheduled after the point reset to: decided on the
 * engine's clock alone, so a worker whose clock runs ahead of the engine's does not make a step before the point look
 * undone. Messages before it, and those written outside a step: none (their write time decides, as before).
 */
export class Migration20261228101380_outbox_step_scheduled_at extends Migration {
  override name = 'Migration20261228101380_outbox_step_scheduled_at';

  override up(): void | Promise<void> {
    this.addSql(`alter table "outbox_message" add column "step_scheduled_at" timestamptz(3) null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "outbox_message" drop column "step_scheduled_at";`);
  }
}
