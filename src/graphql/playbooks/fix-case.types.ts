import 'reflect-metadata';
import { ArgsType, Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { FixCaseStatus } from '../../entities/index.js';
import { connectionOf, PageArgs } from '../common/connection.js';

registerEnumType(FixCaseStatus, { name: 'FixCaseStatus', valuesConfig: { Cancelled: { description: 'Its run was cancelled before the fix; who and why: the audit log of the run' } } });

@ObjectType('FixCase', { simpleResolvers: true, description: 'A persistent issue a team owns until it is fixed, opened by the fix-issue playbook' })
export class FixCaseType {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'The fix-issue run that opened it' })
  workflowId!: string;

  @Field({ description: 'The complaint topic, e.g. "delivery-delay"' })
  topic!: string;

  @Field({ description: 'The team the case belongs to: its topic\'s first owner, whoever holds it after escalations' })
  team!: string;

  @Field({ description: 'The team or role responsible now (rises with each escalation)' })
  owner!: string;

  @Field(() => FixCaseStatus)
  status!: FixCaseStatus;

  @Field(() => Int, { description: "Missed deadlines and fixes that did not hold so far, not levels: past the top of the escalation chain the owner stays and the count goes on. A topic's later case starts with its last case's, one more when that fix did not hold (at most the chain's length)" })
  escalations!: number;

  @Field()
  openedAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When the owner marked it fixed (cleared again if the issue came back before the check-back)' })
  resolvedAt?: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the customer said the fix holds (cleared again if the issue came back)' })
  confirmedAt?: Date | null;
}

@InputType({ description: 'Which fix cases; each one given must match' })
export class FixCaseFilterInput {
  @Field(() => String, { nullable: true, description: 'The owner now, e.g. "logistics" or "team-lead"' })
  owner?: string | null;

  @Field(() => FixCaseStatus, { nullable: true })
  status?: FixCaseStatus | null;

  @Field(() => ID, { nullable: true })
  customerId?: string | null;
}

@ArgsType()
export class FixCasesArgs extends PageArgs {
  @Field(() => FixCaseFilterInput, { nullable: true })
  filter?: FixCaseFilterInput | null;
}

export const FixCaseConnection = connectionOf(FixCaseType, 'FixCase');
export type FixCaseConnection = InstanceType<typeof FixCaseConnection>;

@ObjectType('FixCaseOwnerReport', {
  simpleResolvers: true,
  description:
    "How one team deals with the persistent issues of its topics (the cases it was first given, whoever holds them after escalations): the queue now, and the fixes and escalations since a day, counted by when each happened, whatever day the case was opened",
})
export class FixCaseTeamReportType {
  @Field({ description: 'The team the cases belong to, their topic\'s first owner, e.g. "logistics"' })
  team!: string;

  @Field({ deprecationReason: 'The same as team: the report counts each case for the team it belongs to, not for whoever holds it now (use fixCases(filter: { owner }) for that queue)' })
  owner!: string;

  @Field(() => Int, { description: 'Its cases open now, wherever they are' })
  open!: number;

  @Field(() => Int, { description: 'Of those, the ones held higher up now (after a missed deadline or a fix that did not hold)' })
  openEscalated!: number;

  @Field(() => Float, { nullable: true, description: 'Days the oldest open case has waited' })
  oldestOpenDays!: number | null;

  @Field(() => Int, { description: 'Fixes reported since the day, by the team or higher up, each time one was (a case fixed, reopened and fixed again counts twice), those that did not hold included (fixesNotHeld)' })
  resolved!: number;

  @Field(() => Float, { nullable: true, description: "Median days from the case's opening to the fix, of those" })
  medianDaysToResolve!: number | null;

  @Field(() => Int, { description: 'Of those, how many the customer confirmed hold (and the issue has not come back since)' })
  confirmedByCustomer!: number;

  @Field(() => Int, { description: "Of the fixes since the day, those that did not hold: the issue came back after them (the case opened again, or the topic's next case opened)" })
  fixesNotHeld!: number;

  @Field(() => Int, { description: 'Cases that missed a deadline or whose fix did not hold since the day (by when it happened, whatever day the case was opened), each case once' })
  escalated!: number;
}
