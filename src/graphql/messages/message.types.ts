import 'reflect-metadata';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { MessageStatus as Status } from '../../domain/messages/message-status.js';
import type { MessageAudience } from '../../domain/messages/catalogue.js';
import { MessageChannel, MessagePurpose } from '../../entities/index.js';
import { connectionOf } from '../common/connection.js';

registerEnumType(MessageChannel, {
  name: 'MessageChannel',
  description: 'E-mail, letter, or a call task for a person',
  valuesConfig: {
    Email: { description: "An e-mail to the customer's address" },
    Letter: { description: "A letter by post (the collections handover), handed to the team at once, with the customer's reference to post it to the address the billing system holds" },
    Call: { description: 'A task for a person to call the customer (or for a team about them); nothing is sent to the customer' },
  },
});
registerEnumType(MessagePurpose, { name: 'MessagePurpose', description: 'Service messages go despite a marketing opt-out; marketing needs consent and fits the contact budget' });

/** Who a message went to (the catalogue's audience of its template). */
export enum MessageRecipient {
  Customer = 'customer',
  Team = 'team',
}
registerEnumType(MessageRecipient, {
  name: 'MessageRecipient',
  description: 'Who a message went to: the customer, or one of the company\'s teams',
  valuesConfig: {
    Customer: { description: 'The customer: a contact with them (an e-mail, a letter, a call to make to them)' },
    Team: { description: "One of the company's teams: a task about the customer (a fix case, a call to make, an account to settle), never sent to the customer" },
  },
});

export enum MessageStatus {
  Sent = 'sent',
  Suppressed = 'suppressed',
  Undeliverable = 'undeliverable',
  Failing = 'failing',
  Held = 'held',
  Pending = 'pending',
}
registerEnumType(MessageStatus, {
  name: 'MessageStatus',
  valuesConfig: {
    Suppressed: { description: 'A guard said no (customer left, no consent, contact budget, open complaint, its invoice paid meanwhile), or a person discarded it: never sent' },
    Undeliverable: { description: 'The channel refused it for good, or until delivery gave up, or its hand-over was interrupted (it may have gone out): it waits for a person to retry or discard it' },
    Failing: { description: 'The channel refused it; retried with back-off' },
    Held: {
      description:
        "Held for quiet hours in the customer's time zone, or, chasing payment, until a promise to pay ends or its run's earlier reminder has gone out (waitsFor names it); also a reminder a promise to pay held back while its run goes on (suppressedReason names the promise): the run sends it again if the promise lapses unpaid",
    },
    Pending: { description: 'Waits for the next delivery round' },
  },
});

@ObjectType('Message', { simpleResolvers: true, description: 'A message a playbook wrote to the customer (or about them, to a team), and where it stands' })
export class MessageType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  customerId!: string;

  @Field({ description: "The playbook run's workflow ID and step that wrote it: one message per run and step" })
  key!: string;

  @Field(() => MessageChannel)
  channel!: MessageChannel;

  @Field(() => MessagePurpose)
  purpose!: MessagePurpose;

  @Field()
  template!: string;

  @Field(() => MessageRecipient, { description: "Who it went to: the customer, or (a task about them) one of the company's teams; the Call channel is either" })
  recipient!: MessageAudience;

  @Field(() => String, { nullable: true, description: 'The team a task went to when it names one (a fix case\'s owner, e.g. "quality"; billing for a task to apply an offer, issue a final invoice or credit a gesture; the team that owns customer relationships, the account review policy\'s `relationshipTeam`, for a customer an account review kept at the end of their notice or could propose nothing to); null for a message to the customer, and for a task of no one team (a call to make; such a task written before tasks named their team)' })
  recipientTeam!: string | null;

  @Field(() => String, { nullable: true, description: "Subject as rendered for the customer's name; null when the template is no longer known" })
  subject!: string | null;

  @Field(() => String, { nullable: true, description: "Text as rendered for the customer's name and language; null when the template is no longer known" })
  text!: string | null;

  @Field(() => MessageStatus)
  status!: Status;

  @Field({ description: 'When the playbook wrote it' })
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When delivery handed it to the channel (confirmMessageSent: when its interrupted hand-over began); null while not sent, and for one never sent' })
  sentAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'Held until then (quiet hours, the next retry, the end of a promise to pay, or the next look at the earlier reminder it waits for)' })
  sendAfter!: Date | null;

  @Field(() => String, { nullable: true, description: 'Why a guard suppressed it, or (Held) the promise to pay that holds it back' })
  suppressedReason!: string | null;

  @Field(() => Int, { description: 'Hand-overs to the channel so far, an interrupted one included (a message refused for good shows the attempts really made)' })
  attempts!: number;

  @Field(() => String, { nullable: true, description: "The channel's last refusal, or that its hand-over was interrupted" })
  lastError!: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'While it waits to go (chasing payment): the earlier reminder of its run it is held for, until that one has gone out, and, when delivery gave up on that one, that a person has to retry, confirm or discard it in the undeliverable queue; null otherwise',
  })
  waitsFor!: string | null;

  @Field(() => Date, { nullable: true, description: 'When the channel refused it for good (an unknown mailbox): delivery stopped trying it then, and it waits for a person; null otherwise, and again once retried' })
  refusedAt!: Date | null;

  @Field(() => Date, {
    nullable: true,
    description:
      'When its hand-over to the channel began, for one delivery later found interrupted (the worker stopped or the database was lost while the channel had it): it may have gone out then, so it is not sent again and waits for a person (confirmMessageSent records it sent then, retryMessage sends it again, discardMessage gives it up); null otherwise, and again once retried',
  })
  interruptedAt!: Date | null;

  @Field(() => String, { nullable: true, description: "The customer's payment-loyalty band when it was written (the fairness report counts it there)" })
  loyaltyBand!: string | null;
}

export const MessageConnection = connectionOf(MessageType, 'Message');
export type MessageConnection = InstanceType<typeof MessageConnection>;
