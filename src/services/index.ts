import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditService } from './audit/audit.service.js';
import { AuditLogService } from './audit/audit-log.service.js';
import { ApiKeyService } from './auth/api-key.service.js';
import { InvoiceService } from './billing/invoice.service.js';
import { InvoiceDisputeService } from './billing/invoice-dispute.service.js';
import { ComplaintService } from './complaints/complaint.service.js';
import { ImportService } from './import/import.service.js';
import type { ImportPlaces } from './import/import.service.js';
import { CustomerDataExportService } from './customers/customer-data-export.service.js';
import { CustomerErasureService } from './customers/customer-erasure.service.js';
import { CustomerService } from './customers/customer.service.js';
import { CustomerTimelineService } from './customers/customer-timeline.service.js';
import { OrderService } from './orders/order.service.js';
import type { PlaybookEngine } from './engines/playbook-engine.js';
import { FixCaseService } from './playbooks/fix-case.service.js';
import { PlaybookEligibilityService } from './playbooks/playbook-eligibility.service.js';
import { PlaybookRunService } from './playbooks/playbook-run.service.js';
import { PlaybookService } from './playbooks/playbook.service.js';
import { PlaybookTriggerService } from './playbooks/playbook-triggers.service.js';
import { RunReconciliationService } from './operations/run-reconciliation.service.js';
import type { Policies } from '../domain/policies/index.js';
import type { ScoringEngine } from './engines/scoring-engine.js';
import type { CampaignEngine } from './engines/campaign-engine.js';
import { CampaignService } from './campaigns/campaign.service.js';
import { SegmentService } from './segments/segment.service.js';
import { CustomerRescoreService, type FollowUpFailureReporter } from './scores/customer-rescore.service.js';
import { ScoringRunService } from './scores/scoring-run.service.js';
import { ScoreBandChangeService } from './scores/score-band-change.service.js';
import { ScoringService } from './scores/scoring.service.js';
import { ScoreService } from './scores/score.service.js';
import { FairnessReportService } from './reports/fairness-report.service.js';
import { OperationsStatusService, type PlatformSchedules, type WorkerPresence } from './operations/operations-status.service.js';
import { OfferService } from './offers/offer.service.js';
import { MessageHistoryService } from './outbox/message-history.service.js';
import { MessageCatalogueService } from './outbox/message-catalogue.service.js';
import { CurrencyService } from './money/currency.service.js';
import { ContactStatusService } from './outbox/contact-status.service.js';
import { UndeliverableMessageService } from './outbox/undeliverable-message.service.js';
import { OutboxService } from './outbox/outbox.service.js';
import { SteeringAuditService, type UpdateAnswerWaits } from './audit/steering-audit.service.js';
import { CampaignEnrolmentService } from './campaigns/campaign-enrolment.service.js';
import { AccountReviewSteps } from './playbooks/steps/account-review-steps.service.js';
import { AccountReviewJudgement } from './playbooks/account-review-judgement.service.js';
import { AccountReviewStandingService } from './playbooks/account-review-standing.service.js';
import { ACCOUNT_REVIEW, relationshipTeam } from '../domain/playbooks/account-review.js';
import { APPRECIATION } from '../domain/playbooks/appreciation.js';
import { WELCOME_CHECK } from '../domain/playbooks/welcome-check.js';
import { EngineStartAuditService } from './playbooks/engine-start-audit.service.js';
import { OffboardingNoticeSteps } from './playbooks/steps/offboarding-notice-steps.service.js';
import { AppreciationSteps } from './playbooks/steps/appreciation-steps.service.js';
import { FairReminderSteps, type NotOwed } from './playbooks/steps/fair-reminder-steps.service.js';
import { FixIssueSteps } from './playbooks/steps/fix-issue-steps.service.js';
import { caseOwners, FIX_ISSUE } from '../domain/playbooks/fix-issue.js';
import { FAIR_REMINDER, promisePolicyOf } from '../domain/playbooks/fair-reminder.js';
import { WelcomeCheckSteps } from './playbooks/steps/welcome-check-steps.service.js';
import { ScoreHistoryService } from './scores/score-history.service.js';
import { NodeService } from './common/node.service.js';

/** The durable workflow engine behind playbooks and rescores (Temporal in production and tests). */
export interface Engines {
  playbooks: PlaybookEngine;
  scoring: ScoringEngine;
  campaigns: CampaignEngine;
  /** The workers taking the work (the API reports them; the worker itself does not need to). */
  workers?: WorkerPresence;
  /** The deployment's schedules in the engine (the API reports them). */
  schedules?: PlatformSchedules;
}

/**
 * The domain services for one unit of work (one GraphQL request, one activity call), each given
 * its peers and its part of `policies` here, the one place they are wired (the API and the
 * worker are given the same policies); `onFollowUpFailed` hears of a follow-up of a committed
 * event that failed: a rescore after a complaint or payment, or a fix started by a complaint
 * (the API logs it; the nightly runs catch up). `importPlaces`: the process's import places, which outlive the unit of
 * work (the API's, `importPlaces` in the import service); none: imports connect at once.
 */
export function createServices(em: EntityManager, engines: Engines, policies: Policies, onFollowUpFailed?: FollowUpFailureReporter, importPlaces?: ImportPlaces) {
  const audit = new AuditService();
  const scores = new ScoreService(em);
  const orders = new OrderService(em);
  // (The run reconciliation is wired below; the customers' service calls it only after a change.)
  const customers = new CustomerService(em, audit, scores, orders, (customerId) => runReconciliation.tellThankYousWithoutConsent([customerId]));
  const runs = new PlaybookRunService(em, audit, policies.delivery.maxAttempts, promisePolicyOf(policies.fairReminder));
  const scoringRuns = new ScoringRunService(em, policies.scoring);
  const rescores = new CustomerRescoreService(em, policies.scoring, scoringRuns, onFollowUpFailed);
  const invoices = new InvoiceService(em, audit, rescores, engines.playbooks, runs, policies.triggers.maxDaysOverdue, policies.scoring.paymentLoyalty.graceDays);
  const playbooks = new PlaybookService(customers, invoices, runs, scores, engines.playbooks, new PlaybookEligibilityService(em, scores), policies, new AccountReviewJudgement(em, rescores));
  const triggers = new PlaybookTriggerService(em, playbooks, audit);
  const complaints = new ComplaintService(em, audit, rescores, triggers, policies, onFollowUpFailed);
  const campaigns = new CampaignService(em, engines.campaigns, audit, runs, campaignRules(policies));
  const contactStatus = new ContactStatusService(em, policies.delivery.contact);
  const scoring = new ScoringService(em, scoringRuns, engines.scoring, policies.rescore, audit, policies.scoring.concentration);
  const runReconciliation = new RunReconciliationService(runs, engines.playbooks, campaigns, playbooks, scoring);
  const segments = new SegmentService(em, audit);
  return {
    customers,
    timeline: new CustomerTimelineService(em, policies.money.currency, promisePolicyOf(policies.fairReminder).graceDays),
    erasure: new CustomerErasureService(em, audit),
    dataExport: new CustomerDataExportService(em, audit, policies.money.currency, promisePolicyOf(policies.fairReminder).graceDays),
    orders,
    invoices,
    disputes: new InvoiceDisputeService(em, audit, rescores, engines.playbooks, runs, (workflowId, reason, actor) => playbooks.cancelRun(workflowId, reason, actor), {
      maxAttempts: policies.delivery.maxAttempts,
      graceDays: promisePolicyOf(policies.fairReminder).graceDays,
    }),
    complaints,
    scores,
    fairness: new FairnessReportService(em),
    operations: new OperationsStatusService(em, policies, engines.workers ?? null, engines.schedules ?? null),
    offers: new OfferService(em, audit),
    messages: new MessageHistoryService(em, customers, policies.delivery.maxAttempts, policies.money.currency),
    messageCatalogue: new MessageCatalogueService(policies.money.currency),
    currency: new CurrencyService(policies.money),
    contactStatus,
    undeliverable: new UndeliverableMessageService(em, audit, policies.delivery.maxAttempts, policies.money.currency, promisePolicyOf(policies.fairReminder)),
    auditLog: new AuditLogService(em),
    apiKeys: new ApiKeyService(em, audit),
    scoring,
    bandChanges: new ScoreBandChangeService(em),
    imports: new ImportService(
      em.config.get('clientUrl')!,
      {
        invoicesPaid: (invoiceIds) => runReconciliation.tellPaidReminders(invoiceIds),
        invoicesCancelled: (invoiceIds) => runReconciliation.cancelRemindersOfCancelledInvoices(invoiceIds),
        invoicesNotDue: (invoiceIds) => runReconciliation.cancelRemindersOfInvoicesNotDue(invoiceIds),
        customersLeft: (customerIds) => runReconciliation.cancelRunsOfCustomersWhoLeft(customerIds),
        customersChanged: (kind, customerIds) => rescores.rescoreAfterImport(kind, customerIds),
        complaintsReceived: (received) => complaints.followUpImported(received),
      },
      importPlaces ?? null,
      policies.money.currency,
      policies.scoring.paymentLoyalty.graceDays,
    ),
    runs,
    runReconciliation,
    segments,
    nodes: new NodeService(em, customers, campaigns, invoices, segments),
    campaigns,
    playbooks,
    fixCases: new FixCaseService(em, audit, caseOwners(policies.fixIssue), (workflowId) => engines.playbooks.fixConfirmed(workflowId), onFollowUpFailed),
    accountReviewStanding: new AccountReviewStandingService(em),
    triggers,
    audit,
    scoringRuns,
    rescores,
  };
}

export type Services = ReturnType<typeof createServices>;

/**
 * The worker's services for one activity call: the API's (`createServices`, the same policies)
 * and the playbooks' steps, the campaign enrolment, steering audits and score-history thinning.
 * Activities are thin calls into these. `answerWaits`: the worker's, where a steering audit keeps its wait for an
 * update's answer, which outlives the call.
 */
export function createWorkerServices(em: EntityManager, engines: Engines, policies: Policies, answerWaits?: UpdateAnswerWaits, stepScheduledAt: Date | null = null) {
  const services = createServices(em, engines, policies);
  const { audit, rescores, contactStatus, playbooks, runReconciliation } = services;
  const outbox = new OutboxService(stepScheduledAt);
  // A reminder run's step that finds its invoice no longer owed ends the run as the run reconciliation would: cancelled
  // (audited as the billing system's word) for an invoice cancelled or not due, told for one paid.
  const endRunOfInvoiceNotOwed = (invoiceId: string, why: NotOwed) =>
    why === 'paid'
      ? runReconciliation.tellPaidReminders([invoiceId])
      : why === 'cancelled'
        ? runReconciliation.cancelRemindersOfCancelledInvoices([invoiceId])
        : runReconciliation.cancelRemindersOfInvoicesNotDue([invoiceId]);
  return {
    ...services,
    fairReminderSteps: new FairReminderSteps(em, rescores, outbox, policies.money.currency, policies.delivery.maxAttempts, endRunOfInvoiceNotOwed),
    fixIssueSteps: new FixIssueSteps(em, rescores, outbox, policies.fixIssue, policies.money.currency, audit),
    accountReviewSteps: new AccountReviewSteps(em, rescores, outbox, audit, contactStatus, policies.money.currency, promisePolicyOf(policies.fairReminder).graceDays, relationshipTeam(policies.accountReview)),
    offboardingNotice: new OffboardingNoticeSteps(em, audit, outbox, policies.delivery.maxAttempts, new AccountReviewJudgement(em, rescores), relationshipTeam(policies.accountReview)),
    appreciationSteps: new AppreciationSteps(em, outbox, contactStatus, rescores, policies.appreciation),
    welcomeCheckSteps: new WelcomeCheckSteps(em, outbox, policies.delivery.maxAttempts, audit, policies.welcomeCheck),
    campaignEnrolment: new CampaignEnrolmentService(em, playbooks, audit, campaignRules(policies)),
    playbookSteering: new SteeringAuditService(em, audit, engines.playbooks, answerWaits),
    // A start from outside the platform is judged against the policies this worker was given (a test's shortened ones too).
    engineStarts: new EngineStartAuditService(em, audit, engines.playbooks, {
      [WELCOME_CHECK]: policies.welcomeCheck,
      [FAIR_REMINDER]: policies.fairReminder,
      [FIX_ISSUE]: policies.fixIssue,
      [ACCOUNT_REVIEW]: policies.accountReview,
      [APPRECIATION]: policies.appreciation,
    }),
    campaignSteering: new SteeringAuditService(em, audit, engines.campaigns, answerWaits),
    scoreHistory: new ScoreHistoryService(em),
  };
}

export type WorkerServices = ReturnType<typeof createWorkerServices>;

/** What campaigns go by: the audience's policy values, the persistent-issue rule and the contact guard, as every other entry point does. */
export function campaignRules(policies: Policies) {
  return { ...policies, persistentIssue: policies.scoring.persistentIssue };
}
