import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { DomainException } from '../../domain/errors/domain-exception.js';
import { FAIR_REMINDER } from '../../domain/playbooks/fair-reminder.js';
import type { PlaybookService } from './playbook.service.js';

/** Finds the customers a trigger applies to, and starts their playbooks. */
export class PlaybookTriggerService {
  constructor(
    private readonly em: EntityManager,
    private readonly playbooks: PlaybookService,
  ) {}

  /** Unpaid invoices at least `minDaysOverdue` past due that have no fair-reminder run yet, by ID after `after`. */
  async overdueInvoices(input: { after: string | null; limit: number; minDaysOverdue: number }): Promise<string[]> {
    const { rows } = await sql<{ id: string }>`
      select i.id from invoice i
       where i.paid_at is null and i.due_at <= current_date - ${input.minDaysOverdue}::int
         ${input.after ? sql`and i.id > ${input.after}::uuid` : sql``}
         and not exists (select 1 from playbook_run r where r.workflow_id = ${FAIR_REMINDER + '/'} || i.customer_id || '/' || i.id)
       order by i.id limit ${input.limit}`.execute(this.em.getKysely());
    return rows.map((r) => r.id);
  }

  /** Starts fair reminders for each invoice; one paid or changed meanwhile is skipped, not an error. */
  async startFairReminders(invoiceIds: string[]): Promise<{ started: number; skipped: number }> {
    let started = 0;
    for (const id of invoiceIds) {
      try {
        await this.playbooks.startFairReminder(id);
        started++;
      } catch (error) {
        if (!(error instanceof DomainException) || error.kind === 'UNAVAILABLE') throw error;
      }
    }
    return { started, skipped: invoiceIds.length - started };
  }
}
