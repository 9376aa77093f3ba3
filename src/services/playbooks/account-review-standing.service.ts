import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { ACCOUNT_REVIEW } from '../../domain/playbooks/account-review.js';
import { ScoreKind } from '../../domain/scoring/score-kind.js';

/**
 * The customer's standing with us that a person deciding on an account review weighs beside the loss: how long they have
 * been a customer, how they pay, and what they are expected to bring. As stored now (the customer record and their
 * current scores), not as when the review started.
 */
export interface AccountReviewStanding {
  /** The day the customer was won (their acquiredAt). */
  customerSince: string;
  /** Their current payment-loyalty band (loyal, regular, at-risk, new); null while unscored. */
  paymentLoyaltyBand: string | null;
  /** Their current lifetime value (Clv: the margin expected over the next 12 months), minor units; null while unscored or not valued. */
  clvMinor: number | null;
}

/**
 * What an account review shows the person deciding of the customer's standing: batched across a page of runs (the list of
 * reviews awaiting a decision), one statement for all of them.
 */
export class AccountReviewStandingService {
  constructor(private readonly em: EntityManager) {}

  /** The customer's standing for an account review's run; null for another playbook's run, and for a customer not found. */
  ofRun(playbook: string, customerId: string): Promise<AccountReviewStanding | null> {
    return playbook === ACCOUNT_REVIEW ? this.byCustomer.load(customerId.toLowerCase()) : Promise.resolve(null);
  }

  private readonly byCustomer = new DataLoader<string, AccountReviewStanding | null>(async (customerIds) => {
    const { rows } = await sql<{ id: string; customer_since: string; loyalty_band: string | null; clv: number | null }>`
      select c.id, c.acquired_at::text as customer_since, pl.band as loyalty_band, clv.value as clv
        from customer c
        left join current_score pl on pl.customer_id = c.id and pl.kind = ${ScoreKind.PaymentLoyalty}
        left join current_score clv on clv.customer_id = c.id and clv.kind = ${ScoreKind.Clv}
       where c.id = any(${[...customerIds]}::uuid[])`.execute(this.em.getKysely());
    const byId = new Map(
      rows.map((r) => [r.id, { customerSince: r.customer_since, paymentLoyaltyBand: r.loyalty_band, clvMinor: r.clv === null ? null : Math.round(r.clv) } satisfies AccountReviewStanding]),
    );
    return customerIds.map((id) => byId.get(id) ?? null);
  });
}
