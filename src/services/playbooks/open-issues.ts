import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';

/** A customer's open issues by topic: fix cases open, complaints not resolved. */
export interface OpenIssues {
  fixCases: string[];
  complaints: string[];
}

/**
 * What of the customer's is open: persistent issues being fixed (fix cases open, by topic) and complaints not resolved
 * (by topic; not one withdrawn, filed by mistake). Each is the customer's "it does not work": nobody is pushed out in the middle of their complaint, and a
 * newcomer's welcome check is not closed as confirmed over one.
 */
export async function openIssues(em: EntityManager, customerId: string): Promise<OpenIssues> {
  const { rows } = await sql<{ fix_cases: string[]; complaints: string[] }>`
    select array(select distinct f.topic from fix_case f where f.customer_id = ${customerId}::uuid and f.status = 'open' order by f.topic) as fix_cases,
           array(select distinct k.topic from complaint k where k.customer_id = ${customerId}::uuid and k.resolved_at is null and k.withdrawn_at is null order by k.topic) as complaints`.execute(em.getKysely());
  return { fixCases: rows[0].fix_cases, complaints: rows[0].complaints };
}

/** The open issues in words ("fix case open: billing; complaint open: delivery"), or null when none is. */
export function openIssuesText({ fixCases, complaints }: OpenIssues): string | null {
  const parts = [fixCases.length ? `fix case${fixCases.length === 1 ? '' : 's'} open: ${fixCases.join(', ')}` : null, complaints.length ? `complaint${complaints.length === 1 ? '' : 's'} open: ${complaints.join(', ')}` : null].filter((p) => p !== null);
  return parts.length ? parts.join('; ') : null;
}

/** Which kind of open issue stands in the way: a fix case (the weightier: a persistent issue) before a complaint. */
export function openIssueKind(open: OpenIssues): 'fix-open' | 'complaint-open' {
  return open.fixCases.length ? 'fix-open' : 'complaint-open';
}

/** Why a welcome check is not closed as confirmed (`refused`), in words (`message`), with the open topics. */
export interface WelcomeConfirmationRefusal {
  refused: 'fix-open' | 'complaint-open';
  message: string;
  fixCases: string[];
  complaints: string[];
}

/**
 * Why the customer's welcome check may not take a confirmation now, or null when it may: a complaint or fix case of
 * theirs open is their "it does not work", and the check's call at the end of its wait starts with it. The one rule for
 * every way a confirmation comes: the API checks it before it sends the confirmation, and the run again before it takes
 * one (typed in the Temporal UI or CLI, or the API's, which may meet a complaint recorded since the API checked).
 */
export function welcomeConfirmationRefusal(customerId: string, open: OpenIssues): WelcomeConfirmationRefusal | null {
  const text = openIssuesText(open);
  if (!text) return null;
  return {
    refused: openIssueKind(open),
    message: `The welcome check of customer ${customerId} is not confirmed while an issue of theirs is open (${text}): resolve it first, or let the check's call follow up`,
    fixCases: open.fixCases,
    complaints: open.complaints,
  };
}
