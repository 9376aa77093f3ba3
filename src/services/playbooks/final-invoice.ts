import type { EntityManager } from '@mikro-orm/postgresql';
import { dayIn } from '../../domain/billing/paid-day.js';
import { noticeEndDay } from '../../domain/playbooks/account-review.js';
import { stepMessageKey } from '../../domain/playbooks/run-id.js';
import { OutboxMessage, type Customer } from '../../entities/index.js';
import { openInvoiceSql, outstandingMinorSql } from '../facts/invoice-facts.js';

/** What billing's final-invoice task names (`offboarding-final-invoice`): billing bills by these, not by a name many customers share. */
export interface FinalInvoiceFacts {
  /** The customer's reference in the CRM and billing system (as their help to switch quoted it); null when they have none. */
  customerRef: string | null;
  /** The day the notice named as the end of the contract (the customer's calendar day): the final invoice covers the service up to it. */
  noticeEndsOn: string | null;
  /** The day the account was closed, when later than the notice's end (the notice went out late, or a complaint open at its end was waited for). */
  closedOn?: string;
  /** The day a person ended the notice early (the customer leaves now: they asked to be erased, or to go at once): the service ends then. */
  endedEarlyOn?: string;
  /** What is still owed on the customer's invoices as the account closes, minor units of `currency`. */
  outstandingMinor: number;
  currency: string;
}

/**
 * The facts of the final invoice for a customer whose offboarding by the run completes now: their reference, the
 * day their notice named (from the run's notice), the day it closes when later (or, `endedEarly`, the day a person ended
 * the notice early), and what their invoices still owe.
 */
export async function finalInvoiceFacts(em: EntityManager, customer: Customer, workflowId: string, currency: string, endedEarly = false): Promise<FinalInvoiceFacts> {
  const notice = await em.findOne(OutboxMessage, { idempotencyKey: stepMessageKey(workflowId, 'notice') });
  const named = notice?.payload.noticeEndsOn;
  const endsAt = notice?.payload.noticeEndsAt;
  const noticeEndsOn = typeof named === 'string' ? named : typeof endsAt === 'string' ? noticeEndDay(endsAt, customer.timeZone) : null;
  const today = dayIn(customer.timeZone);
  const [{ owed }] = await em.execute<{ owed: string | null }[]>(`select sum(${outstandingMinorSql('i')}) as owed from invoice i where i.customer_id = ? and ${openInvoiceSql('i')}`, [customer.id]);
  return {
    customerRef: customer.externalRef ?? null,
    noticeEndsOn,
    ...(endedEarly ? { endedEarlyOn: today } : noticeEndsOn && today > noticeEndsOn ? { closedOn: today } : {}),
    outstandingMinor: Number(owed ?? 0),
    currency,
  };
}
