import { LocalDateResolver } from 'graphql-scalars';
import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, ID, Info, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Role } from '../../domain/auth/roles.js';
import type { Customer, FixCase, PlaybookRun } from '../../entities/index.js';
import { CustomerType } from '../customers/customer.types.js';
import { Allow } from '../auth/allow.js';
import type { GraphQLContext } from '../context.js';
import { mapPage } from '../../services/common/pagination.js';
import { ForwardPageArgs, pageComplexity } from '../common/connection.js';
import { LIVE_STATE_FIELD } from '../limits.js';
import { FixCaseType } from './fix-case.types.js';
import { PlaybookRunConnection, PlaybookRunType, RunningPlaybookRunsFilterInput, selectsLiveState, shownStep, STEP_DESCRIPTION } from './playbook-run.types.js';
import { selectedFields } from '../common/selection.js';
import { RunStatus } from '../../domain/playbooks/run-status.js';
import { MoneyTotal } from '../common/money.js';

@Resolver(() => PlaybookRunType)
export class PlaybookResolver {
  @Allow(Role.Viewer)
  @Query(() => PlaybookRunConnection, {
    nullable: true,
    description:
      "Runs under way by their tags, newest first by when their current execution started in Temporal (a run reset there counts from its reset, whatever its startedAt), each with its live state (one Temporal query per run, made only when a field of it or step is selected: workflowId, playbook, customerId, customer, status, outcome, startedAt and finishedAt come from the run's record): e.g. account reviews awaiting an offboarding decision. From Temporal's search index, which is eventually consistent; pages go by position, forward only (first/after: no last/before, as a position counted from the end would move with every run that starts or ends). Null, with UNAVAILABLE/PLAYBOOK_ENGINE_UNAVAILABLE, while Temporal cannot be reached: the other fields of the request still answer",
    complexity: pageComplexity,
  })
  async runningPlaybookRuns(
    @Arg('filter', () => RunningPlaybookRunsFilterInput, { nullable: true }) filter: RunningPlaybookRunsFilterInput | null,
    @Args() args: ForwardPageArgs,
    @Ctx() ctx: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<PlaybookRunConnection> {
    // A run's live state (one Temporal query per run) only when a field of it is selected; a listed run's step is its state's.
    const fields = selectedFields(info, 'edges', 'node');
    const live = selectsLiveState(fields) || fields.includes('step');
    return mapPage(await ctx.services.playbooks.running(filter ?? {}, args, { live }), PlaybookRunType.from);
  }

  @Allow(Role.Viewer)
  @Query(() => PlaybookRunType, { nullable: true, description: "The customer's welcome check (the newest, when one that never welcomed them was started again), or null if none was started" })
  async welcomeCheck(@Arg('customerId', () => ID) customerId: string, @Ctx() ctx: GraphQLContext): Promise<PlaybookRunType | null> {
    const view = await ctx.services.playbooks.findWelcomeCheck(customerId);
    return view && PlaybookRunType.from(view);
  }

  @Allow(Role.Marketer, Role.Operator)
  @Mutation(() => PlaybookRunType, { description: 'Starts the welcome check for a customer of the policy\'s days or less (90 by default); a second call returns the same run; once that run ended cancelled or terminated before its welcome went, the next one (workflowId <first>/<n>)' })
  async startWelcomeCheck(@Arg('customerId', () => ID) customerId: string, @Ctx() ctx: GraphQLContext): Promise<PlaybookRunType> {
    return PlaybookRunType.from(await ctx.services.playbooks.startWelcomeCheck(customerId, ctx.caller!.id));
  }

  @Allow(Role.Operator)
  @Mutation(() => PlaybookRunType, { description: 'Records that the customer confirmed their onboarding; ends the wait at once' })
  async confirmWelcome(@Arg('customerId', () => ID) customerId: string, @Ctx() ctx: GraphQLContext): Promise<PlaybookRunType> {
    return PlaybookRunType.from(await ctx.services.playbooks.confirmWelcome(customerId, ctx.caller!.id));
  }

  @Allow(Role.Viewer)
  @Query(() => PlaybookRunType, { nullable: true, description: "The invoice's newest fair-reminder run, or null if none was started" })
  async fairReminder(@Arg('invoiceId', () => ID) invoiceId: string, @Ctx() ctx: GraphQLContext): Promise<PlaybookRunType | null> {
    const view = await ctx.services.playbooks.findFairReminder(invoiceId);
    return view && PlaybookRunType.from(view);
  }

  @Allow(Role.Operator)
  @Mutation(() => PlaybookRunType, { description: 'Starts fair reminders for an overdue invoice (loyal payers: friendly, fee-free); a second call returns the same run. Once that run left the invoice unchased (cancelled, terminated, failed, or ended as paid before the invoice opened again) or handed it to a person (a loyal payer\'s run ended `call-scheduled` or `follow-up-requested`), a call starts its next run (workflow ID `<first>/<n>`), a new course of reminders; not after a hand-over to collections (`handed-over`: returns that run). The trigger sweep never starts a next run. CONFLICT/INVOICE_DISPUTED (`invoiceId`, `disputedAt`) while the customer disputes the invoice: resolve the dispute first (resolveDispute); also CONFLICT/INVOICE_ALREADY_PAID, INVOICE_CANCELLED, VALIDATION/INVOICE_NOT_OVERDUE' })
  async startFairReminder(@Arg('invoiceId', () => ID) invoiceId: string, @Ctx() ctx: GraphQLContext): Promise<PlaybookRunType> {
    return PlaybookRunType.from(await ctx.services.playbooks.startFairReminder(invoiceId, ctx.caller!.id));
  }

  @Allow(Role.Operator)
  @Mutation(() => PlaybookRunType, {
    description:
      "The customer promised to pay the invoice by `until` (today up to the promise policy's days ahead, 30 by default): its reminder run sends nothing more until that day and the policy's grace days (2 by default) have passed; a later promise moves it. Once the invoice's run left it to a person (handed it over, ended `call-scheduled` or `follow-up-requested`: made on that call; or ended without completing: cancelled by an operator or by the platform as the billing system moved the due day later, terminated, failed; as overdueInvoices(leftToPeople) lists it), it starts the invoice's next run (workflow ID `<first>/<n>`, audited as a start by hand) holding the promise from its start: nothing is sent unless it lapses unpaid, then that run's schedule goes on from its start. A day passed or too far ahead is VALIDATION/PLAYBOOK_INVALID_INPUT with field `until`, `bound` (past, too-far), `earliestDay` and `latestDay` (the window); CONFLICT/PLAYBOOK_PROMISE_REFUSED when the run does not take it (e.g. the invoice is paid, or a run started under an earlier policy with a shorter window), PLAYBOOK_RUN_ALREADY_FINISHED once the run handed the invoice over to collections (or ended a moment ago, its end not recorded yet), its message saying what to do; NOT_FOUND/PLAYBOOK_RUN_NOT_FOUND when no run was ever started for it (start its reminders with startFairReminder, then record the promise). As that next run must be allowed to start: after a run the platform cancelled because the due day moved later, a promise made before the invoice is overdue again by the trigger policy's days (minDaysOverdue) is VALIDATION/INVOICE_NOT_OVERDUE with field `invoiceId` and `dueAt` (nothing chases it meanwhile: record the promise once its reminders start again, or not at all if it is paid by the new due day); for an erased customer it is CONFLICT/PLAYBOOK_CUSTOMER_ERASED; for an invoice the billing system cancelled, CONFLICT/INVOICE_CANCELLED; for an invoice the customer disputes (disputeInvoice, not resolved yet), CONFLICT/INVOICE_DISPUTED with `invoiceId` and `disputedAt`: a promise to pay what they say they do not owe as billed waits for the dispute's resolution (resolveDispute `Rejected`: the invoice stands), then it is recorded",
  })
  async promiseToPay(@Arg('invoiceId', () => ID) invoiceId: string, @Arg('until', () => LocalDateResolver) until: string, @Ctx() ctx: GraphQLContext): Promise<PlaybookRunType> {
    return PlaybookRunType.from(await ctx.services.playbooks.promiseToPay(invoiceId, until, ctx.caller!.id));
  }

  @Allow(Role.Viewer)
  @Query(() => PlaybookRunType, { nullable: true, description: "The fix-issue run for a customer's complaint topic, or null if none was started" })
  async fixIssue(@Arg('customerId', () => ID) customerId: string, @Arg('topic') topic: string, @Ctx() ctx: GraphQLContext): Promise<PlaybookRunType | null> {
    const view = await ctx.services.playbooks.findFixIssue(customerId, topic);
    return view && PlaybookRunType.from(view);
  }

  @Allow(Role.Operator)
  @Mutation(() => PlaybookRunType, { description:
      'Starts fixing a persistent issue (fix case with an owner, escalation, check-back); CONFLICT/PLAYBOOK_NOT_ELIGIBLE, with the reason, unless the topic is persistent (by default 3 complaints or a reopen within 90 days); a second call returns the same run',
  })
  async startFixIssue(@Arg('customerId', () => ID) customerId: string, @Arg('topic') topic: string, @Ctx() ctx: GraphQLContext): Promise<PlaybookRunType> {
    return PlaybookRunType.from(await ctx.services.playbooks.startFixIssue(customerId, topic, ctx.caller!.id));
  }

  @Allow(Role.Operator)
  @Mutation(() => PlaybookRunType, { description: 'The owner fixed the cause: escalation stops, the customer is asked later whether the fix holds' })
  async resolveIssue(@Arg('customerId', () => ID) customerId: string, @Arg('topic') topic: string, @Ctx() ctx: GraphQLContext): Promise<PlaybookRunType> {
    return PlaybookRunType.from(await ctx.services.playbooks.resolveIssue(customerId, topic, ctx.caller!.id));
  }

  @Allow(Role.Viewer)
  @Query(() => PlaybookRunType, { nullable: true, description: "The customer's account review, or null if none was started" })
  async accountReview(@Arg('customerId', () => ID) customerId: string, @Ctx() ctx: GraphQLContext): Promise<PlaybookRunType | null> {
    const view = await ctx.services.playbooks.findAccountReview(customerId);
    return view && PlaybookRunType.from(view);
  }

  @Allow(Role.Operator)
  @Mutation(() => PlaybookRunType, { description:
      'Starts the review of a loss-making account (proposal first; offboarding only with approval); CONFLICT/PLAYBOOK_NOT_ELIGIBLE, with the reason, unless its profitability band is loss-making and no review ended within the cooldown (180 days by default)',
  })
  async startAccountReview(@Arg('customerId', () => ID) customerId: string, @Ctx() ctx: GraphQLContext): Promise<PlaybookRunType> {
    return PlaybookRunType.from(await ctx.services.playbooks.startAccountReview(customerId, ctx.caller!.id));
  }

  @Allow(Role.Operator)
  @Mutation(() => PlaybookRunType, { description: "Records the customer's answer to the review's proposal" })
  async answerAccountProposal(@Arg('customerId', () => ID) customerId: string, @Arg('accepted') accepted: boolean, @Ctx() ctx: GraphQLContext): Promise<PlaybookRunType> {
    return PlaybookRunType.from(await ctx.services.playbooks.answerAccountProposal(customerId, accepted, ctx.caller!.id));
  }

  @Allow(Role.Admin)
  @Mutation(() => PlaybookRunType, {
    description:
      'Approves or rejects offboarding a loss-making account (recorded with the caller); CONFLICT unless the review awaits it. An approval is refused (PLAYBOOK_DECISION_REFUSED, refused saying why) while a complaint or fix case of the customer\'s is open, and when the account, rescored now, no longer loses money or cannot be judged: the review then judges the account again and ends turned-around (not-judged) with the fresh profitabilityMinor, no decision left to make; a rejection is always taken',
  })
  async decideOffboarding(
    @Arg('customerId', () => ID) customerId: string,
    @Arg('approve') approve: boolean,
    @Arg('reason') reason: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<PlaybookRunType> {
    return PlaybookRunType.from(await ctx.services.playbooks.decideOffboarding(customerId, { approve, reason }, ctx.caller!.id));
  }

  @Allow(Role.Admin)
  @Mutation(() => PlaybookRunType, {
    description:
      "Ends the offboarding notice of the customer's account review early, as the customer leaves now (they asked to be erased, or to leave at once): the review carries the offboarding out at once, as at the notice's end (status Offboarded, the billing team's final-invoice task, the data export), without the looks at the notice's end that would keep the customer and without telling them the contract continues; outcome offboarded, noticeEndedBy the caller, the reason audited (playbook.end-offboarding-notice). Answers once the run has ended; eraseCustomer may follow once the billing team's final-invoice task has gone out (within a delivery round; until then CONFLICT/CUSTOMER_BILLING_TASKS_PENDING naming it). CONFLICT/PLAYBOOK_DECISION_REFUSED (refused: not-in-notice) unless the review is in its offboarding notice",
  })
  async endOffboardingNotice(@Arg('customerId', () => ID) customerId: string, @Arg('reason') reason: string, @Ctx() ctx: GraphQLContext): Promise<PlaybookRunType> {
    return PlaybookRunType.from(await ctx.services.playbooks.endOffboardingNotice(customerId, reason, ctx.caller!.id));
  }

  @Allow(Role.Viewer)
  @Query(() => PlaybookRunType, { nullable: true, description:
      "The customer's thank-you run of this year (the newest, when one that never thanked them was started again; last year's while it still waits); while this year has none, their newest earlier one (its workflowId names its year: last year's that waited into January and thanked them, say); null if they never had one",
  })
  async appreciation(@Arg('customerId', () => ID) customerId: string, @Ctx() ctx: GraphQLContext): Promise<PlaybookRunType | null> {
    const view = await ctx.services.playbooks.findAppreciation(customerId);
    return view && PlaybookRunType.from(view);
  }

  @Allow(Role.Marketer, Role.Operator)
  @Mutation(() => PlaybookRunType, { description:
      'Thanks a loyal customer with at least the best offer new customers get (once a year); CONFLICT/PLAYBOOK_NOT_ELIGIBLE, with the reason, unless a customer for the tenure the policy sets (2 years by default) in the loyal payment band, whose account is not loss-making and who takes marketing (no-consent otherwise: the run would end at once, not thanked), and whom no other thank-you reached within the policy\'s silent days (120 by default; thanked-recently otherwise, naming the day it was written and the day from which the next may go: lastThankYouOn, nextThankYouFrom). Once the year\'s run ended without a thank-you reaching the customer (cancelled or terminated before it wrote one, not thanked, or held back at delivery), the year\'s next run (workflowId <year\'s>/<n>)',
  })
  async startAppreciation(@Arg('customerId', () => ID) customerId: string, @Ctx() ctx: GraphQLContext): Promise<PlaybookRunType> {
    return PlaybookRunType.from(await ctx.services.playbooks.startAppreciation(customerId, ctx.caller!.id));
  }

  @Allow(Role.Operator)
  @Mutation(() => PlaybookRunType, { description: 'Stops a running playbook run (Temporal cancellation); the run records "cancelled"; audited with the reason' })
  async cancelPlaybookRun(@Arg('workflowId') workflowId: string, @Arg('reason') reason: string, @Ctx() ctx: GraphQLContext): Promise<PlaybookRunType> {
    return PlaybookRunType.from(await ctx.services.playbooks.cancelRun(workflowId, reason, ctx.caller!.id));
  }

  /** A run's identity is its workflow ID, whether it comes from the live view or from the database record (whose row ID stays internal). */
  @FieldResolver(() => ID)
  id(@Root() run: PlaybookRunType | PlaybookRun): string {
    return run.workflowId;
  }

  /** Runs come from the live view (with customerId) or straight from the database record. */
  @FieldResolver(() => ID)
  customerId(@Root() run: PlaybookRunType | PlaybookRun): string {
    return 'customerId' in run ? run.customerId : run.customer.id;
  }

  @FieldResolver(() => ID, { nullable: true, description: 'Fair reminders: the invoice the run chases (promiseToPay and fairReminder take it); null for the other playbooks' })
  invoiceId(@Root() run: PlaybookRunType | PlaybookRun, @Ctx() ctx: GraphQLContext): string | null {
    return ctx.services.playbooks.invoiceIdOf(run.workflowId);
  }

  /** Batched with the page's other runs (the customer service's loader). */
  @FieldResolver(() => CustomerType, { description: 'Whose run it is: after answerAccountProposal as the run has left them (e.g. the cheaper tier they accepted)' })
  customer(@Root() run: PlaybookRunType | PlaybookRun, @Ctx() ctx: GraphQLContext): Promise<Customer> {
    return ctx.services.customers.get('customerId' in run ? run.customerId : run.customer.id);
  }

  /** Batched across a page of runs (the fix case service's loader). */
  @FieldResolver(() => FixCaseType, {
    nullable: true,
    description: "Fix issue: the fix case the run opened, as the team's queue (fixCases) shows it: after resolveIssue Resolved, with resolvedAt. Null for the other playbooks, and until the run has opened it (in its first moments)",
  })
  fixCase(@Root() run: PlaybookRunType | PlaybookRun, @Ctx() ctx: GraphQLContext): Promise<FixCase | null> {
    return ctx.services.fixCases.ofRun(run.workflowId);
  }

  /** The customer's standing an offboarding decision weighs, as stored now: batched across a page of runs (the account-review standing service's loader). */
  @FieldResolver(() => LocalDateResolver, {
    nullable: true,
    description:
      "Account review: the day the customer was won (their acquiredAt, as stored now), how long the relationship an offboarding decision weighs has lasted; null for the other playbooks",
  })
  async customerSince(@Root() run: PlaybookRunType | PlaybookRun, @Ctx() ctx: GraphQLContext): Promise<string | null> {
    return (await this.standingOf(run, ctx))?.customerSince ?? null;
  }

  @FieldResolver(() => String, {
    nullable: true,
    description:
      "Account review: the customer's payment-loyalty band now (their current PaymentLoyalty score: loyal, regular, at-risk, new), how they have paid us; null for the other playbooks and while unscored. loyaltyBand is the band the run was tagged with when it started",
  })
  async paymentLoyaltyBand(@Root() run: PlaybookRunType | PlaybookRun, @Ctx() ctx: GraphQLContext): Promise<string | null> {
    return (await this.standingOf(run, ctx))?.paymentLoyaltyBand ?? null;
  }

  @FieldResolver(() => MoneyTotal, {
    nullable: true,
    description:
      "Account review: the customer's lifetime value now (their current Clv score: the margin expected over the next 12 months, minor units, rounded), what keeping them is expected to bring beside the loss profitabilityMinor shows; null for the other playbooks, while unscored, and while the model cannot value them",
  })
  async clvMinor(@Root() run: PlaybookRunType | PlaybookRun, @Ctx() ctx: GraphQLContext): Promise<number | null> {
    return (await this.standingOf(run, ctx))?.clvMinor ?? null;
  }

  private standingOf(run: PlaybookRunType | PlaybookRun, ctx: GraphQLContext) {
    return ctx.services.accountReviewStanding.ofRun(run.playbook, 'customerId' in run ? run.customerId : run.customer.id);
  }

  /**
   * A database record's current step comes from its workflow (Temporal), asked only when a client wants it. It goes with
   * the status the record shows beside it, so a row never pairs `Running` with `done`: an ended run's is `done` (asking
   * nothing), a running one's its state's, also when the engine has ended it without its record saying so yet
   * (terminated in the Temporal UI: the step it stopped at, until the run reconciliation records the end).
   */
  @FieldResolver(() => String, { nullable: true, description: STEP_DESCRIPTION, complexity: LIVE_STATE_FIELD })
  async step(@Root() run: PlaybookRunType | PlaybookRun, @Ctx() ctx: GraphQLContext): Promise<string | null> {
    if ('step' in run) return run.step;
    return shownStep(run.status, run.status === RunStatus.Running ? await ctx.services.playbooks.stepStateOf(run) : null);
  }
}
