import { randomUUID } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { LoyaltyBand } from '../../../domain/guards/fairness.js';
import { fixCaseTerms, type FixCaseTerms, type FixIssuePolicy } from '../../../domain/playbooks/fix-issue.js';
import type { CaseComplaint } from '../../../domain/messages/template.js';
import { stepMessageKey, stepMessageKeyParts } from '../../../domain/playbooks/run-id.js';
import { Customer, CustomerStatus, FixCase, FixCaseStatus, MessageChannel } from '../../../entities/index.js';
import type { AuditService } from '../../audit/audit.service.js';
import type { OutboxService } from '../../outbox/outbox.service.js';
import type { CustomerRescoreService } from '../../scores/customer-rescore.service.js';
import { complainedSinceFixed } from '../../facts/current-complaints.js';
import { runPrefixOfKeySql } from '../../facts/run-ids.js';
import { runStillRunning } from '../running-run.js';
import { cancelOpenFixCase, cancelReason } from '../fix-case-cancel.js';
import { COMPLAINT_SCORES, resolveCoveredByFix } from '../../complaints/complaint-resolution.js';
import { recordFixConfirmed } from '../fix-case-confirm.js';
import { runActor } from '../../../domain/auth/roles.js';

/** Why a word that the issue was fixed, still queued, was not sent. */
const ISSUE_CAME_BACK = 'issue-came-back: the issue came back before the word that it was fixed went out';
/** Why a note that the issue is still open, still queued, was not sent. */
const FIXED_BEFORE_NOTE = 'issue-fixed: the issue was fixed before the note that it was still open went out';
/** How many of the complaints behind a fix case its task lists (the newest); it counts the others. */
const CASE_COMPLAINTS_SHOWN = 5;
/** What an earlier fix of the topic tells the customer after the fix: wrong once a new fix of it opens. */
const FIXED_WORDS = ['issue-fixed', 'issue-check-back', 'issue-fix-confirmed'];

/**
 * The fix-issue playbook's side effects: the fix case and its messages, each once per run and
 * step, and none once the run no longer runs (`runStillRunning`); closing the case of a
 * cancelled run is the exception, as it is the cancel's own step.
 */
export class FixIssueSteps {
  constructor(
    private readonly em: EntityManager,
    private readonly scoring: CustomerRescoreService,
    private readonly outbox: OutboxService,
    /**
     * The worker's fix-issue policy (the API's too): a task's deadline and who it escalates to, the goodwill amount a gesture
     * gives, for a run that does not say its own (started before runs passed them: `terms`, `goodwillMinor`).
     */
    private readonly policy: FixIssuePolicy,
    /** The deployment's currency, the goodwill amount's (the money policy's). */
    private readonly currency: string,
    private readonly audit: AuditService,
  ) {}

  loyaltyBand(customerId: string): Promise<LoyaltyBand> {
    return this.scoring.loyaltyBandNow(customerId);
  }

  /**
   * Opens the case with its owner (a later run's case one level up: `team` the topic's first owner, and the `escalations`
   * it starts with), gives the owner the task, and tells the customer it is being worked on.
   * What an earlier fix of the topic still has queued to say it was fixed (held for quiet hours) is held back:
   * the customer would hear "it is fixed, does it work now?" beside "we are on it".
   */
  async openCase(input: { workflowId: string; customerId: string; topic: string; owner: string; team?: string; escalations?: number; terms?: FixCaseTerms }): Promise<void> {
    await this.em.transactional(async (em) => {
      if (!(await runStillRunning(em, input.workflowId))) return;
      await em.execute(
        `update outbox_message set suppressed_at = now(), suppressed_reason = ? where customer_id = ? and template in (?) and payload ->> 'topic' = ? and not starts_with(idempotency_key, ?) and sent_at is null and suppressed_at is null`,
        [ISSUE_CAME_BACK, input.customerId, FIXED_WORDS, input.topic, stepMessageKey(input.workflowId, '')],
      );
      await em
        .createQueryBuilder(FixCase)
        .insert({ id: randomUUID(), workflowId: input.workflowId, customer: input.customerId, topic: input.topic, team: input.team ?? input.owner, owner: input.owner, status: FixCaseStatus.Open, escalations: input.escalations ?? 0, openedAt: new Date() })
        .onConflict('workflowId')
        .ignore()
        .execute('run');
      const payload = { topic: input.topic, owner: input.owner };
      const task = { ...payload, ...(await this.caseFacts(em, { ...input, escalations: input.escalations ?? 0 })) };
      await this.outbox.enqueueStep(em, input, 'fix-case-opened', { channel: MessageChannel.Call, template: 'fix-case-opened', payload: task });
      await this.outbox.enqueueStep(em, input, 'acknowledged', { channel: MessageChannel.Email, template: 'issue-acknowledged', payload });
    });
  }

  /**
   * A missed deadline: the case moves one level up, and the new owner hears why. Past the top of the
   * escalation chain it stays with its owner, who hears that another deadline was missed (`stays`), not of a level that does not exist.
   * The customer, told at the start that they would hear when it is done, hears that it takes longer and is not
   * forgotten, at each missed deadline: a long fix must not look to them like their complaint was dropped.
   */
  async escalate(input: { workflowId: string; customerId: string; topic: string; escalations: number; owner: string; terms?: FixCaseTerms }): Promise<void> {
    await this.em.transactional(async (em) => {
      if (!(await runStillRunning(em, input.workflowId))) return;
      const before = await em.findOne(FixCase, { workflowId: input.workflowId }, { fields: ['owner'] });
      await em.nativeUpdate(FixCase, { workflowId: input.workflowId, escalations: { $lt: input.escalations } }, { escalations: input.escalations, owner: input.owner });
      const payload = { topic: input.topic, owner: input.owner, escalations: input.escalations, ...(before?.owner === input.owner ? { stays: true } : {}) };
      const task = { ...payload, ...(await this.caseFacts(em, input)) };
      await this.outbox.enqueueStep(em, input, `escalation-${input.escalations}`, { channel: MessageChannel.Call, template: 'fix-case-escalated', payload: task });
      await this.outbox.enqueueStep(em, input, `still-open-${input.escalations}`, {
        channel: MessageChannel.Email,
        template: 'issue-still-open',
        payload: { topic: input.topic, escalations: input.escalations, ...(payload.stays ? { stays: true } : {}) },
      });
    });
  }

  /**
   * The owner fixed the cause: the case closes as fixed, and the customer, who was told they
   * would hear when it is done, hears it (once per fix: `fixed-<n>`; a retry finds the case
   * closed and writes nothing). A note that it is still open, not sent yet (quiet hours), is held back: it is not.
   * The customer's complaints about the topic still open are resolved as of the fix, with it (audited as the run's
   * `complaint.resolve`): telling them it is fixed while their complaint stays open would keep them counted as in the
   * middle of a complaint (marketing and a thank-you held back, a review's approval refused, the persistent-issue score
   * counting it however old). If the fix does not hold, the customer's next complaint (new, or one of these reopened)
   * opens the case again as before. Answers the complaints it closed (none on a retry).
   */
  async resolveCase(workflowId: string): Promise<{ closedComplaints: string[] }> {
    const closed = await this.em.transactional(async (em) => {
      if (!(await runStillRunning(em, workflowId))) return null;
      // One instant for the case and its complaints (stored to the millisecond, as the audit entries say it).
      const fixedAt = new Date();
      const [fixed] = await em.execute<{ id: string; customer_id: string; topic: string }[]>(
        `update fix_case set status = ?, resolved_at = ? where workflow_id = ? and status = ? returning id, customer_id, topic`,
        [FixCaseStatus.Resolved, fixedAt, workflowId, FixCaseStatus.Open],
      );
      if (!fixed) {
        await this.fixedWordTakenAgain(em, workflowId);
        return null;
      }
      await em.execute(`update outbox_message set suppressed_at = now(), suppressed_reason = ? where customer_id = ? and template = 'issue-still-open' and ${runPrefixOfKeySql('idempotency_key')} = ? and sent_at is null and suppressed_at is null`, [
        FIXED_BEFORE_NOTE,
        fixed.customer_id,
        stepMessageKey(workflowId, ''),
      ]);
      const [{ n }] = await em.execute<{ n: number }[]>(`select count(*)::int as n from outbox_message where customer_id = ? and template = 'issue-fixed' and ${runPrefixOfKeySql('idempotency_key')} = ?`, [
        fixed.customer_id,
        stepMessageKey(workflowId, ''),
      ]);
      await this.outbox.enqueueStep(em, { workflowId, customerId: fixed.customer_id }, `fixed-${n + 1}`, { channel: MessageChannel.Email, template: 'issue-fixed', payload: { topic: fixed.topic } });
      const complaints = await resolveCoveredByFix(em, this.audit, { workflowId, caseId: fixed.id, customerId: fixed.customer_id, topic: fixed.topic, fixedAt });
      return { customerId: fixed.customer_id, complaints };
    });
    if (!closed) return { closedComplaints: [] };
    // Their persistent-issue score no longer counts them as open (a failure is reported; the nightly run catches up).
    if (closed.complaints.length) await this.scoring.rescoreAfterEvent(closed.customerId, COMPLAINT_SCORES);
    return { closedComplaints: closed.complaints };
  }

  /**
   * The fix taken again with its case closed as fixed already (a retry, or a run reset to before the fix that is given it
   * again): the word that it is fixed, written then, is this fix's, and meant. Found again under its key as a step taken
   * again is: one held back as undone by the reset (recorded before the reset run took the fix again) goes out after all.
   */
  private async fixedWordTakenAgain(em: EntityManager, workflowId: string): Promise<void> {
    const [word] = await em.execute<{ idempotency_key: string; customer_id: string; template: string; channel: MessageChannel; payload: Record<string, unknown> }[]>(
      `select m.idempotency_key, m.customer_id, m.template, m.channel, m.payload from outbox_message m join fix_case c on c.workflow_id = ? and c.status = ?
        where m.customer_id = c.customer_id and m.template = 'issue-fixed' and ${runPrefixOfKeySql('m.idempotency_key')} = ? order by m.created_at desc limit 1`,
      [workflowId, FixCaseStatus.Resolved, stepMessageKey(workflowId, '')],
    );
    if (word) await this.outbox.enqueueStep(em, { workflowId, customerId: word.customer_id }, stepMessageKeyParts(word.idempotency_key).step, { channel: word.channel, template: word.template, payload: word.payload });
  }

  /**
   * What the owner of a fix case needs to act, beside the topic: the customer's ID (to report the fix with
   * `resolveIssue`), the deadline after which it escalates (the run's time to fix from now, as it waits it: `terms`) and to
   * whom, and the complaints behind it, newest first: the latest few about the topic, or with `since` (a fix that did not
   * hold) those after it, each saying whether it is still open (the fix resolves those). The summaries are the customer's words: the erasure takes them out of these payloads too.
   */
  private async caseFacts(em: EntityManager, input: { customerId: string; topic: string; escalations: number; terms?: FixCaseTerms }, since: Date | null = null) {
    const rows = await em.execute<{ ref: string; severity: string; summary: string | null; opened_at: Date; reopened_at: Date | null; open: boolean; total: string }[]>(
      `select coalesce(k.external_ref, k.id::text) as ref, k.severity, k.summary, k.opened_at, k.reopened_at, k.resolved_at is null as open, count(*) over () as total
         from complaint k where k.customer_id = ? and k.topic = ? and k.withdrawn_at is null and (?::timestamptz is null or k.opened_at > ?::timestamptz or k.reopened_at > ?::timestamptz)
        order by coalesce(k.reopened_at, k.opened_at) desc, k.id limit ?`,
      [input.customerId, input.topic, since, since, since, CASE_COMPLAINTS_SHOWN],
    );
    const complaints: CaseComplaint[] = rows.map((k) => ({
      ref: k.ref,
      severity: k.severity,
      summary: k.summary,
      openedOn: new Date(k.opened_at).toISOString().slice(0, 10),
      ...(k.reopened_at ? { reopenedOn: new Date(k.reopened_at).toISOString().slice(0, 10) } : {}),
      // Still open now: the fix, once reported, resolves it.
      open: k.open,
    }));
    const more = rows.length ? Number(rows[0].total) - rows.length : 0;
    const terms = input.terms ?? fixCaseTerms(this.policy, input.topic, input.escalations);
    return {
      customerId: input.customerId,
      deadline: new Date(Date.now() + terms.fixDeadlineMs).toISOString(),
      escalatesTo: terms.escalatesTo,
      complaints,
      ...(more > 0 ? { moreComplaints: more } : {}),
    };
  }

  /**
   * The run was cancelled before the fix: a case still open leaves its team's queue as cancelled (a fixed one stays fixed),
   * and a customer told that a team works on it and that they would hear when it is done is not left with silence: the
   * case's owner gets the task to tell them what happens now, with the cancel's reason (`cancelOpenFixCase`).
   */
  async cancelCase(workflowId: string): Promise<void> {
    await this.em.transactional(async (em) => {
      // The run's record first: a cancel through the API still committing (it holds the record) is waited for, and its reason read.
      await em.execute(`select 1 from playbook_run where workflow_id = ? for share`, [workflowId]);
      await cancelOpenFixCase(em, this.outbox, workflowId, await cancelReason(em, workflowId));
    });
  }

  /**
   * Whether the customer complained about the topic after the case was closed as fixed: the
   * run hears of most at once, but not of complaints a command-line import brings, nor of one
   * whose follow-up failed, so it asks before checking back.
   */
  complainedSinceFixed(workflowId: string): Promise<boolean> {
    return complainedSinceFixed(this.em, workflowId);
  }

  /**
   * The issue came back before the check-back (or as it went out): the fix did not hold. The case opens again one
   * level up, its new owner hears why, and the customer hears it is being worked on again.
   */
  async reopenCase(input: { workflowId: string; customerId: string; topic: string; recurrences: number; escalations: number; owner: string; terms?: FixCaseTerms }): Promise<void> {
    await this.em.transactional(async (em) => {
      if (!(await runStillRunning(em, input.workflowId))) return;
      // At the top of the chain the case stays with whoever holds it: nobody is told a more senior team took it over.
      const before = await em.findOne(FixCase, { workflowId: input.workflowId }, { fields: ['owner', 'resolvedAt'] });
      // The complaints that said the fix did not hold: those since it (read before the case forgets when it was fixed).
      const facts = await this.caseFacts(em, input, before?.resolvedAt ?? null);
      await em.nativeUpdate(
        FixCase,
        { workflowId: input.workflowId, escalations: { $lt: input.escalations } },
        { status: FixCaseStatus.Open, resolvedAt: null, confirmedAt: null, escalations: input.escalations, owner: input.owner },
      );
      // A word that it was fixed, or a check-back asking whether it holds (the issue came back as it went out), not sent
      // yet (quiet hours), would now be wrong.
      await em.execute(`update outbox_message set suppressed_at = now(), suppressed_reason = ? where customer_id = ? and template in (?) and ${runPrefixOfKeySql('idempotency_key')} = ? and sent_at is null and suppressed_at is null`, [
        ISSUE_CAME_BACK,
        input.customerId,
        FIXED_WORDS,
        stepMessageKey(input.workflowId, ''),
      ]);
      const payload = { topic: input.topic, owner: input.owner, recurrences: input.recurrences, ...(before?.owner === input.owner ? { stays: true } : {}) };
      await this.outbox.enqueueStep(em, input, `recurrence-${input.recurrences}`, { channel: MessageChannel.Call, template: 'fix-case-reopened', payload: { ...payload, ...facts } });
      await this.outbox.enqueueStep(em, input, `recurrence-${input.recurrences}-acknowledged`, { channel: MessageChannel.Email, template: 'issue-reopened', payload });
    });
  }

  /**
   * After the fix: ask whether it holds, or thank a customer who already said it does (no
   * question twice); a loyal customer also gets a gesture for the trouble (their next order on us up to the policy's
   * goodwill amount, the run's `goodwillMinor`, with billing's task to honour it), while they are still a customer: "your next order is on us" means nothing to one who has left or is leaving (offboarded,
   * under notice). Says whether the gesture was given (the run's outcome tells it).
   * `confirmed`: the run was told the customer said it holds (early, before the check-back's time); one typed in the
   * Temporal UI, which the API did not record, is recorded on the case now as the run's, as the API records its own.
   */
  async checkBack(input: { workflowId: string; customerId: string; topic: string; gesture: boolean; round?: number; goodwillMinor?: number; loyaltyBand?: string; confirmed?: boolean }): Promise<{ gesture: boolean }> {
    return this.em.transactional(async (em) => {
      if (!(await runStillRunning(em, input.workflowId))) return { gesture: false };
      const fixCase = await em.findOne(FixCase, { workflowId: input.workflowId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (input.confirmed && fixCase?.status === FixCaseStatus.Resolved) await recordFixConfirmed(em, this.audit, fixCase, runActor(input.workflowId));
      const confirmed = fixCase?.confirmedAt != null;
      // A later fix's check-back (the issue came back as the first went out) is a message of its own: `check-back-<round>`.
      const step = input.round && input.round > 1 ? `check-back-${input.round}` : 'check-back';
      // Filed under the band the run decided the gesture by at its start (the fairness report's), not the customer's stored
      // band weeks later; runs started before they passed it, under the stored band.
      const loyaltyBand = input.loyaltyBand ?? null;
      await this.outbox.enqueueStep(em, input, step, { channel: MessageChannel.Email, template: confirmed ? 'issue-fix-confirmed' : 'issue-check-back', payload: { topic: input.topic }, loyaltyBand });
      if (!input.gesture) return { gesture: false };
      // Given once written (by an earlier attempt of this step, before the customer left: it goes out, with billing's task, even
      // where a reset held them back as undone: the step is taken again), else now if they are still with us.
      if (await this.outbox.stepPayload(em, input, 'gesture')) {
        await this.outbox.stepPayload(em, input, 'gesture-billing');
        return { gesture: true };
      }
      if ((await em.findOneOrFail(Customer, input.customerId, { fields: ['status'] })).status !== CustomerStatus.Active) return { gesture: false };
      // A promise someone must keep: billing is told to credit the next order up to the amount the customer is told.
      const goodwill = { topic: input.topic, goodwillMinor: input.goodwillMinor ?? this.policy.gestureGoodwillMinor, currency: this.currency };
      await this.outbox.enqueueStep(em, input, 'gesture-billing', { channel: MessageChannel.Call, template: 'issue-gesture-billing', payload: goodwill, loyaltyBand });
      await this.outbox.enqueueStep(em, input, 'gesture', { channel: MessageChannel.Email, template: 'issue-gesture', payload: goodwill, loyaltyBand });
      return { gesture: true };
    });
  }
}
