import { AUDITED_ENTITY_TYPES } from '../../domain/audit/audited-entities.js';
import 'reflect-metadata';
import { GraphQLJSONObject } from 'graphql-scalars';
import { ArgsType, Field, ID, ObjectType } from 'type-graphql';
import { PageArgs, connectionOf } from '../common/connection.js';
import { ERASED_MENTION } from '../../domain/customers/personal-mentions.js';

/** What an erasure leaves of a customer's contact data in the entries about them (eraseCustomer). */
const ERASED_NOTE = `Once a customer was erased, their contact data (name, email, phone, timeZone, locale, externalRef) in the entries about them reads "${ERASED_MENTION}" (a null stays null): the keys still say which fields a change touched. Reasons typed about them read "${ERASED_MENTION}" where they named them`;

@ObjectType('AuditEntry', { simpleResolvers: true, description:
    'Who did what, when: written in the same transaction as the change; a call to a run or a rescore (a start, an input, a cancel) before it goes to Temporal, `after.outcome` "pending" until Temporal answers, "unknown" when it did not in time, then "taken" or "not-taken" when settled later (an entry the call settled at once carries none when the run took it; an input the run refused, another person\'s decision first say, stays "not-taken" with `after.refused`, the answer the person got); an update typed in the Temporal UI (`playbook.update-in-engine`), audited as the run takes it up, is "pending" until the run answers it, then carries none when taken, or "not-taken" with `after.refused` (why) when the run refused it' })
export class AuditEntryType {
  @Field(() => ID)
  id!: string;

  @Field()
  at!: Date;

  @Field({ description: "The caller's role and key fingerprint, or the system component" })
  actor!: string;

  @Field({ description: 'e.g. customer.update, offer.create, campaign.launch' })
  action!: string;

  @Field()
  entityType!: string;

  @Field(() => String, { nullable: true })
  entityId?: string | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: `The changed fields before. ${ERASED_NOTE}` })
  before?: Record<string, unknown> | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: `The changed fields after. ${ERASED_NOTE}` })
  after?: Record<string, unknown> | null;
}

export const AuditEntryConnection = connectionOf(AuditEntryType, 'AuditEntry');
export type AuditEntryConnection = InstanceType<typeof AuditEntryConnection>;

@ArgsType()
export class AuditEntriesArgs extends PageArgs {
  @Field(() => String, { nullable: true, description: `One of ${AUDITED_ENTITY_TYPES.join(', ')} (another is refused, VALIDATION, AUDIT_INVALID_INPUT)` })
  entityType?: string | null;

  @Field(() => String, { nullable: true })
  entityId?: string | null;

  @Field(() => String, { nullable: true })
  actor?: string | null;

  @Field(() => String, { nullable: true })
  action?: string | null;
}
