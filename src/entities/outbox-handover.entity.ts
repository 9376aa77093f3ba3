import 'reflect-metadata';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * An outbox message being handed to the channel right now, noted in a statement of its own before the channel is
 * called and dropped in the transaction that records the outcome: one found at the next round was interrupted (the
 * worker stopped, the database was lost) and may have gone out, so it is not sent again without a person. No foreign
 * key to the message: its key-share lock would wait on the row lock the sending transaction holds.
 */
@Entity({ tableName: 'outbox_handover' })
export class OutboxHandover {
  @PrimaryKey({ type: 'uuid' })
  messageId!: string;

  @Property({ type: 'timestamptz', length: 3 })
  startedAt!: Date;
}
