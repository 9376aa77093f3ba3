/**
 * Payment loyalty: tenure, share of invoices paid on time, the current on-time
 * streak, late payments in the last 12 months, and a loyalty band from a policy.
 *
 * - An invoice is on time when paid no later than its due day + `graceDays`.
 * - An invoice paid after `asOf` counts as unpaid at `asOf`.
 * - Unpaid invoices are not part of the record while they are young: an invoice
 *   that is overdue now (the one a fair reminder is about) does not by itself
 *   take a loyal payer out of the loyal band. It counts as late once it has been
 *   overdue for more than `openOverdueCountsAfterDays`. Open overdue invoices are
 *   always named in the reasons.
 * - The streak counts on-time invoices backwards from the most recent counted
 *   one (by due day). The reasons tell a late payment from an invoice still unpaid.
 * - value = share of counted invoices paid on time (0..1), null when none counts yet.
 * Bands (first that applies): "new" (tenure below `newCustomerDays` or fewer than
 * `minInvoices` counted invoices), "at-risk" (by the whole record), "loyal", "regular".
 *
 * The loyal band goes by the recent record, so that neither one slip nor an old one costs a
 * strong payer the fee-free reminders for years:
 * - the on-time share it needs is over the invoices due, or paid late, in the last
 *   `loyal.recentMonths` months (at least the last `minInvoices` invoices);
 * - late invoices are counted by lapse: invoices overdue together (each fell overdue before the lapse was
 *   settled), due within `loyal.sameLapseWithinDays` of the lapse's first, are one lapse when one payment settled
 *   them (or they are all still unpaid), or when all were paid within `loyal.forgivenUpToDaysLate` days of the
 *   first one's last on-time day, however many payments it took (a card that expired for a billing period leaves
 *   three invoices unpaid, the payer gets a reminder for each and answers each with a transfer of its own within
 *   a fortnight: one slip). So they stay one slip once paid, as while open: a second invoice overdue no longer than
 *   `openOverdueCountsAfterDays` does not count against the band of the first one's reminder. Invoices not overdue
 *   together (the first paid before the next fell overdue) are lapses of their own, and so are invoices each paid
 *   on a day of its own when the payer was behind for longer than `forgivenUpToDaysLate` in all: a payer late
 *   month after month, each invoice paid about when the next falls overdue, hides no lapse in another, and paying
 *   later never joins two slips;
 * - a lapse is forgiven when it is the only one in that recent record (up to
 *   `loyal.forgivableLapses`), all its invoices have been paid, each at most `loyal.forgivenUpToDaysLate` days late
 *   (a slip, not months unpaid), and the payer was on time at least `loyal.minStreak` times in a
 *   row right before it (a slip in a loyal record, the run counted however far back it goes without
 *   a gap longer than the recent record: a payer invoiced quarterly or yearly has too few invoices in
 *   the recent record to show it) or since it (a record restored); for a payer invoiced rarely, `minInvoices` on time
 *   in a row whose due days lie the recent record's months apart are as loyal a run (and streak) as `minStreak` are. A forgiven lapse counts neither against the share, nor as late in the
 *   last 12 months, nor as the end of the streak, for the loyal band only; the score's value,
 *   streak and late count still show each of its invoices. The loyal band's late count of the last 12 months counts lapses;
 *   the at-risk rule counts a lapse of slips (all paid within `forgivenUpToDaysLate`) once and any other lapse by its
 *   invoices: a payer who stopped paying is not judged by fewer, nor one billing run of three contracts paid days late by three.
 */
import type { LoyaltyBand } from '../guards/fairness.js';
import { dayNumber, isoDay, type DateLike } from '../dates.js';
import { pct } from './format.js';
import { withPolicyVersion, type ScoreResult } from './score.js';
import { invalidInput } from './scoring.exception.js';
import { judgedDueDay } from '../billing/dispute.js';

/**
 * 3: the share on time is written one way in all its reasons (to a tenth of a percent, cut, not rounded: "94.7%", "75%"),
 *    not "75%" in one and "75.0%" in the next.
 * 4: the loyal band goes by the recent record (the share over the last 24 months) and forgives the one late
 *    payment of that record after, or followed by, a loyal streak; at-risk is judged as before.
 * 5: an at-risk payer's reasons name the rule that put them there (the on-time share under its threshold, the late
 *    payments in the last 12 months at or over theirs), as a regular payer's say what keeps them from loyal.
 * 6: the loyal band counts late payments by lapse (`loyal.sameLapseWithinDays`): two invoices missed together and paid
 *    late are one slip to forgive, not two that end a loyal record.
 * 7: a lapse is invoices settled on the same day (one payment), not any that overlapped: two billing runs each paid late
 *    on a day of its own are two lapses, however late (paying later joined them); and the at-risk rule counts a lapse of
 *    slips once (three contracts' invoices of one missed billing run, paid days late, made a loyal payer at risk).
 * 8: the on-time run before (or since) the lapse to forgive is counted over the whole record, not only within the recent
 *    one: a payer invoiced quarterly or yearly, whose 24 months hold 8 invoices or 2, could never show 6 on time in a row
 *    there, so one slip after ten years on time cost them the loyal band that a monthly payer with the same slip keeps.
 *    A gap longer than the recent record between two invoices ends a run (a payer away for years brings no loyal record).
 *    A run (before or since a lapse, or the streak up to today) is loyal with `minStreak` invoices, or with `minInvoices`
 *    whose own first and last due days lie the recent record's months apart: six in a row take a yearly payer six years, and two slips four years apart cost
 *    them the band that a monthly payer with the same slips keeps.
 * 9: invoices overdue together (each fell overdue before the lapse was settled) and all paid within `forgivenUpToDaysLate`
 *    days of the first one's last on-time day are one lapse however many payments settled them: a loyal payer who missed
 *    one billing period, got a reminder for each of its three invoices and paid each with a transfer of its own within a
 *    fortnight became regular after two payments and at risk after three (fees and the collections letter), where one
 *    payment for the three kept them loyal. Invoices not overdue together stay lapses of their own, and so do invoices paid
 *    on days of their own by a payer behind for longer than that in all (two billing runs each paid 29 days late).
 * 10: the days an invoice was disputed (`disputeInvoice`, until the dispute is resolved or the invoice paid) are left out:
 *    its due day is judged that many days later, so a loyal payer who rightly disputes an invoice is neither late nor
 *    unpaid while billing looks into it (a dispute longer than 30 days made them regular, and for a year once paid).
 * 11: a dispute upheld (the customer was right) leaves the days out until the invoice is paid or cancelled, not until the
 *    upholding: billing corrects or cancels the invoice in its own time, and a loyal payer who disputed a double charge
 *    became regular ("unpaid, long overdue") while the credit note was on its way.
 * 12: an invoice disputed again keeps leaving out the days its earlier disputes left out (`disputedDaysBefore`): a loyal
 *    payer who disputed an invoice a second time after the first dispute was rejected became regular at once, the first
 *    dispute's days counted as late again.
 */
export const PAYMENT_LOYALTY_MODEL_VERSION = 'payment-loyalty/12';

/**
 * The share of invoices paid on time as the reasons write it: to a tenth of a percent, cut rather than
 * rounded, so a share below the loyal band's never reads as the threshold itself (18 of 19 is 94.7%, not 95%).
 */
const onTimePct = (share: number) => pct(Math.floor(share * 1000 + 1e-9) / 1000, 1);

export interface PaymentLoyaltyPolicy {
  version: number;
  graceDays: number;
  openOverdueCountsAfterDays: number;
  newCustomerDays: number;
  minInvoices: number;
  loyal: {
    /** The on-time share it needs, over the recent record. */
    minOnTimeShare: number;
    /** The recent record: invoices due, or paid late, in the last this many months (at least the last `minInvoices`). */
    recentMonths: number;
    minStreak: number;
    maxLateLast12Months: number;
    /**
     * How many lapses of the recent record may be forgiven (each of their invoices paid at most `forgivenUpToDaysLate` days late,
     * with `minStreak` on time in a row right before or since it, counted over the whole record); 0 forgives none.
     */
    forgivableLapses: number;
    forgivenUpToDaysLate: number;
    /**
     * Late invoices overdue together are one lapse when the later is due within this many days of the lapse's first invoice
     * (the days a second open invoice is not counted, `openOverdueCountsAfterDays`), and they were settled on the same day
     * (one payment, or all still unpaid) or all paid within `forgivenUpToDaysLate` days of the first one's last on-time day.
     */
    sameLapseWithinDays: number;
  };
  atRisk: { belowOnTimeShare: number; minLateLast12Months: number };
}

/**
 * Policy 2: one late payment in a loyal record no longer costs the loyal band (it did until the payer
 * had 20 invoices and a year without another), and a slip more than two years ago no longer counts.
 * Two years rather than a number of invoices, so a slip leaves the record after the same time for a
 * payer invoiced monthly as for one invoiced quarterly, and the same horizon as "the last 12 months".
 */
export const defaultPaymentLoyaltyPolicy: PaymentLoyaltyPolicy = {
  version: 2,
  graceDays: 0,
  openOverdueCountsAfterDays: 30,
  newCustomerDays: 180,
  minInvoices: 3,
  loyal: { minOnTimeShare: 0.95, recentMonths: 24, minStreak: 6, maxLateLast12Months: 0, forgivableLapses: 1, forgivenUpToDaysLate: 30, sameLapseWithinDays: 30 },
  atRisk: { belowOnTimeShare: 0.7, minLateLast12Months: 3 },
};

export interface InvoiceRecord {
  dueAt: DateLike;
  /** When it was paid in full; null while unpaid. */
  paidAt: DateLike | null;
  /** The day the customer disputed it (absent or null: never); its disputed days are left out (`judgedDueDay`). */
  disputedFrom?: DateLike | null;
  /** The day its dispute was resolved; null while open. */
  disputeResolvedAt?: DateLike | null;
  /** Its dispute was upheld: judged as disputed until it is paid or cancelled (`disputedDays`). */
  disputeUpheld?: boolean;
  /** The days its earlier disputes left out, kept when it was disputed again (`disputedDays`); absent: none. */
  disputedDaysBefore?: number | null;
}

export interface PaymentLoyaltyInput {
  customerSince: DateLike;
  invoices: readonly InvoiceRecord[];
  asOf: DateLike;
}

export interface PaymentLoyaltyScore extends ScoreResult<number | null> {
  band: LoyaltyBand;
  tenureDays: number;
  countedInvoices: number;
  onTimeInvoices: number;
  streak: number;
  lateLast12Months: number;
  /** Unpaid invoices past due at asOf, with their days overdue (oldest first). */
  overdueNow: { dueAt: string; daysOverdue: number }[];
}

/**
 * `invoices` without the `leftOut` ones, one taken out per entry. A reminder judges the payer
 * without the invoice it chases; invoices with the same due and paid days are alike to the model.
 */
export function withoutInvoices(invoices: readonly InvoiceRecord[], leftOut: readonly InvoiceRecord[]): InvoiceRecord[] {
  const day = (d: DateLike | null) => (d === null ? null : dayNumber(d));
  const rest = [...invoices];
  for (const out of leftOut) {
    const at = rest.findIndex((i) => day(i.dueAt) === day(out.dueAt) && day(i.paidAt) === day(out.paidAt));
    if (at >= 0) rest.splice(at, 1);
  }
  return rest;
}

/**
 * How an invoice counts in a payer's on-time record as of a day: on time when paid by its due
 * day + `graceDays`, late when paid after that or still open more than
 * `openOverdueCountsAfterDays` past it; null while it is not judged yet (not due, within grace,
 * or open and overdue for a short while only). The campaign comparison counts by the same rule
 * (`onTimeVerdictSql`).
 */
export function onTimeVerdict(invoice: InvoiceRecord, asOf: DateLike, policy: Pick<PaymentLoyaltyPolicy, 'graceDays' | 'openOverdueCountsAfterDays'>): 'on-time' | 'late' | null {
  const today = dayNumber(asOf);
  const lastOnTimeDay = judgedDueDay(invoice, asOf) + policy.graceDays;
  const paid = invoice.paidAt === null ? null : dayNumber(invoice.paidAt);
  if (paid !== null && paid <= today) return paid <= lastOnTimeDay ? 'on-time' : 'late';
  return today - lastOnTimeDay > policy.openOverdueCountsAfterDays ? 'late' : null;
}

function tenureText(days: number): string {
  if (days < 60) return `${days} day${days === 1 ? '' : 's'}`;
  const months = Math.floor(days / 30.4375);
  if (months < 24) return `${months} months`;
  const years = Math.floor(days / 365.25);
  const rest = Math.floor((days - years * 365.25) / 30.4375);
  return `${years} years${rest ? ` ${rest} month${rest === 1 ? '' : 's'}` : ''}`;
}

export function paymentLoyalty(input: PaymentLoyaltyInput, policy: PaymentLoyaltyPolicy = defaultPaymentLoyaltyPolicy): PaymentLoyaltyScore {
  const today = dayNumber(input.asOf);
  const since = dayNumber(input.customerSince);
  if (since > today) throw invalidInput('customerSince is after asOf');
  const tenureDays = today - since;
  // `unpaid`: counted as late while still open (overdue for long), which the reasons say as such.
  // `lateUntil`: the last day it was late (paid that day, or still open today).
  type Counted = { due: number; onTime: boolean; unpaid: boolean; lateUntil: number };
  const counted: Counted[] = [];
  const overdueNow: { due: number; daysOverdue: number }[] = [];
  /** Invoices judged by a later due day than their own, as they were disputed: said in the reasons. */
  const disputed: { due: number; days: number; state: 'open' | 'upheld' | 'ended' }[] = [];
  for (const inv of input.invoices) {
    const due = judgedDueDay(inv, input.asOf);
    const own = dayNumber(inv.dueAt);
    if (due > own) {
      const settled = inv.paidAt != null && dayNumber(inv.paidAt) <= today;
      disputed.push({ due: own, days: due - own, state: settled ? 'ended' : inv.disputeResolvedAt == null ? 'open' : inv.disputeUpheld ? 'upheld' : 'ended' });
    }
    const paid = inv.paidAt === null ? null : dayNumber(inv.paidAt);
    const unpaid = paid === null || paid > today;
    const daysOverdue = today - (due + policy.graceDays);
    if (unpaid && daysOverdue > 0) overdueNow.push({ due: own, daysOverdue });
    const verdict = onTimeVerdict(inv, input.asOf, policy);
    if (verdict) counted.push({ due, onTime: verdict === 'on-time', unpaid, lateUntil: unpaid ? today : paid });
  }
  counted.sort((a, b) => a.due - b.due || Number(a.onTime) - Number(b.onTime) || Number(a.unpaid) - Number(b.unpaid));
  overdueNow.sort((a, b) => a.due - b.due);
  const onTime = counted.filter((c) => c.onTime).length;
  let streak = 0;
  for (let i = counted.length - 1; i >= 0 && counted[i].onTime; i--) streak++;
  // A late payment is of the last 12 months when it was late within them: paid late 346 days ago counts, whenever it was due.
  const lateWithinYear = (c: Counted) => !c.onTime && c.lateUntil > today - 365;
  const lateLast12Months = counted.filter(lateWithinYear).length;
  const value = counted.length ? onTime / counted.length : null;

  // The loyal band's view of the record (see the header): the recent record, with its forgiven late payment left out.
  const loyalRule = policy.loyal;
  const recentFrom = today - Math.round((loyalRule.recentMonths * 365) / 12);
  let recent = counted.filter((c) => c.due > recentFrom || (!c.onTime && c.lateUntil > recentFrom));
  if (recent.length < policy.minInvoices) recent = counted.slice(-policy.minInvoices);
  // The on-time runs right around a lapse, over the whole record: the run before a recent slip may have begun before the
  // recent record (a payer invoiced quarterly has 8 invoices in 24 months, one yearly 2), and a slip after years on time
  // is as much a slip in a loyal record for them as for one invoiced monthly. A run stops at any late invoice, so an older
  // slip still bounds it, and at a gap longer than the recent record between two invoices: a payer who was away for
  // years (six on time in 2018, nothing until a slip now) shows no loyal record before the slip, only an old one.
  const recentDays = today - recentFrom;
  // A run of on-time invoices shows a loyal record with `minStreak` of them, or, for a payer invoiced rarely, with at least
  // `minInvoices` whose own due days lie the recent record's months apart (first to last): six in a row is six months for a
  // monthly payer, six years for a yearly one, whose three years on time are as long a loyal record. Measured between the
  // run's own invoices, calendar months: three small invoices paid in one week are no such record, however long ago.
  const loyalRun = (run: { n: number; first: number; last: number }) =>
    run.n >= loyalRule.minStreak || (run.n >= policy.minInvoices && monthsApart(run.first, run.last) >= loyalRule.recentMonths);
  // The run's invoices, and the due days of its first and last.
  const onTimeRun = (from: number, step: 1 | -1) => {
    let n = 0;
    let i = from + step;
    for (; i >= 0 && i < counted.length && counted[i].onTime && Math.abs(counted[i].due - counted[i - step].due) <= recentDays; i += step) n++;
    const ends = n ? [counted[from + step].due, counted[i - step].due] : [0, 0];
    return { n, first: Math.min(...ends), last: Math.max(...ends) };
  };
  // The late invoices of a record (in due order) by lapse. One joins a lapse when it fell overdue before the lapse was
  // settled (overdue together), is due within `sameLapseWithinDays` of the lapse's first, and either one payment settled
  // them all (or all are still unpaid) or, with it, the lapse was settled within `forgivenUpToDaysLate` days of its first
  // invoice's last on-time day: the payer was behind for no longer than a slip, however many transfers it took (a reminder
  // for each invoice of a missed billing period, each answered on its own). Invoices not overdue together are lapses of
  // their own, and so are those paid on days of their own by a payer behind for longer: one who pays every invoice about
  // when the next falls overdue is late again and again, and paying later never joins two slips into one.
  const lastOnTimeDay = (c: Counted) => c.due + policy.graceDays;
  const settledWithinSlip = (lapse: readonly Counted[]) =>
    lapse.every((l) => !l.unpaid && l.lateUntil - lastOnTimeDay(lapse[0]) <= loyalRule.forgivenUpToDaysLate);
  const joins = (lapse: readonly Counted[], c: Counted) =>
    c.due - lapse[0].due <= loyalRule.sameLapseWithinDays &&
    lapse.some((l) => lastOnTimeDay(c) < l.lateUntil) &&
    (lapse.every((l) => l.lateUntil === c.lateUntil) || settledWithinSlip([...lapse, c]));
  const lapsesOf = (record: readonly Counted[]): Counted[][] => {
    const lapses: Counted[][] = [];
    for (const c of record) {
      if (c.onTime) continue;
      // The latest lapse it joins: one that ran on past another's start is still open to what fell overdue during it.
      const lapse = lapses.findLast((l) => joins(l, c));
      if (lapse) lapse.push(c);
      else lapses.push([c]);
    }
    return lapses;
  };
  const recentLapses = lapsesOf(recent);
  const lapseRuns = recentLapses.map((lapse) => ({ lapse, before: onTimeRun(counted.indexOf(lapse[0]), -1), since: onTimeRun(counted.indexOf(lapse[lapse.length - 1]), 1) }));
  // A slip is a payment a little late, not one months late: forgiven only when paid within `forgivenUpToDaysLate` of its last on-time day.
  const slip = (c: Counted) => !c.unpaid && c.lateUntil - (c.due + policy.graceDays) <= loyalRule.forgivenUpToDaysLate;
  // The at-risk rule's late payments of the last 12 months: a lapse of slips once (one billing run of three contracts
  // missed together, paid days late, is one slip, not three), any other lapse by each of its invoices (unpaid, or paid
  // months late: a payer who stopped paying is judged by every invoice).
  const atRiskLate = lapsesOf(counted).reduce((n, lapse) => {
    const inYear = lapse.filter(lateWithinYear).length;
    return n + (inYear > 0 && lapse.every(slip) ? 1 : inYear);
  }, 0);
  const forgiven =
    recentLapses.length <= loyalRule.forgivableLapses && lapseRuns.every((r) => r.lapse.every(slip) && (loyalRun(r.before) || loyalRun(r.since))) ? lapseRuns : [];
  const isForgiven = (c: Counted) => forgiven.some((f) => f.lapse.includes(c));
  const judged = recent.filter((c) => !isForgiven(c));
  const recentShare = judged.length ? judged.filter((c) => c.onTime).length / judged.length : 1;
  // The streak up to today (a forgiven lapse passed over), judged as a run: its on-time invoices, its first and last.
  let loyalStreak = 0;
  const streakDays: number[] = [];
  for (let i = counted.length - 1; i >= 0 && (counted[i].onTime || isForgiven(counted[i])); i--) {
    if (!counted[i].onTime) continue;
    loyalStreak++;
    streakDays.push(counted[i].due);
  }
  const streakShowsLoyal = loyalRun({ n: loyalStreak, first: Math.min(...streakDays, today), last: Math.max(...streakDays, 0) });
  // The loyal band counts the lapses of the last 12 months that are not forgiven, not their invoices.
  const loyalLateLapses = lapsesOf(counted).filter((lapse) => lapse.some((c) => lateWithinYear(c) && !isForgiven(c)));
  const loyalLate = loyalLateLapses.length;
  const recentIsAll = recent.length === counted.length;

  let band: LoyaltyBand;
  if (tenureDays < policy.newCustomerDays || counted.length < policy.minInvoices) band = 'new';
  else if (value! < policy.atRisk.belowOnTimeShare || lateLastYearAtRisk(atRiskLate, policy)) band = 'at-risk';
  else if (recentShare >= loyalRule.minOnTimeShare && streakShowsLoyal && loyalLate <= loyalRule.maxLateLast12Months) band = 'loyal';
  else band = 'regular';

  const reasons = [`customer for ${tenureText(tenureDays)} (since ${isoDay(since)})`];
  if (counted.length === 0) reasons.push('no invoice settled yet');
  else {
    reasons.push(`paid ${onTime} of ${counted.length} invoice${counted.length === 1 ? '' : 's'} on time (${onTimePct(value!)})`);
    const latest = counted[counted.length - 1];
    reasons.push(streak > 0 ? `on time for the last ${streak} invoice${streak === 1 ? '' : 's'} in a row` : latest.unpaid ? 'the most recent invoice is still unpaid, long overdue' : 'the most recent invoice was paid late');
    const unpaidLate = counted.filter((c) => c.unpaid && lateWithinYear(c)).length;
    const paidLate = lateLast12Months - unpaidLate;
    if (lateLast12Months === 0) reasons.push('no late payment in the last 12 months');
    else
      reasons.push(
        [paidLate ? `${paidLate} late payment${paidLate === 1 ? '' : 's'}` : '', unpaidLate ? `${unpaidLate} invoice${unpaidLate === 1 ? '' : 's'} unpaid over ${policy.openOverdueCountsAfterDays} days` : '']
          .filter(Boolean)
          .join(' and ') + ' in the last 12 months',
      );
  }
  for (const o of overdueNow) reasons.push(`invoice due ${isoDay(o.due)} is unpaid, ${o.daysOverdue} day${o.daysOverdue === 1 ? '' : 's'} overdue`);
  for (const d of disputed.sort((a, b) => a.due - b.due)) {
    const what = d.state === 'open' ? 'is disputed' : d.state === 'upheld' ? 'was disputed and the dispute upheld, billing to correct it' : 'was disputed';
    reasons.push(`invoice due ${isoDay(d.due)} ${what}: its ${d.days} disputed day${d.days === 1 ? '' : 's'} left out (judged as due ${isoDay(d.due + d.days)})`);
  }
  if (band === 'new') reasons.push(tenureDays < policy.newCustomerDays ? `new: customer for less than ${policy.newCustomerDays} days` : `new: fewer than ${policy.minInvoices} settled invoices`);
  // Why a payer with a late payment on record is loyal all the same: the rule said in plain words.
  if (band === 'loyal') {
    const recentText = `the last ${loyalRule.recentMonths} months`;
    for (const f of forgiven) {
      const when = f.lapse.some(lateWithinYear) ? 'the last 12 months' : recentText;
      const paidWithin = Math.max(...f.lapse.map((c) => c.lateUntil)) - f.lapse[0].due;
      const what = f.lapse.length === 1 ? 'one late payment' : `one lapse (${f.lapse.length} invoices overdue together, all paid within ${paidWithin} day${paidWithin === 1 ? '' : 's'} of the first one's due day)`;
      const over = (run: { n: number; first: number; last: number }) => (run.n < loyalRule.minStreak ? ` over ${tenureText(run.last - run.first)}` : '');
      reasons.push(
        loyalRun(f.before)
          ? `${what} in ${when} after ${f.before.n} on time in a row${over(f.before)}: still loyal`
          : `${what} in ${when}, then ${f.since.n} on time in a row${over(f.since)}: loyal again`,
      );
    }
    const older = counted.filter((c) => !c.onTime && !recent.includes(c)).length;
    if (older) reasons.push(`${older} late payment${older === 1 ? '' : 's'} from before ${recentText}: no longer counted for the loyal band`);
  }
  // Which rule made the payer at risk (either, or both): the playbooks treat them more firmly, so it is said.
  if (band === 'at-risk') {
    const rules = [
      value! < policy.atRisk.belowOnTimeShare ? `${onTimePct(value!)} paid on time, under the ${pct(policy.atRisk.belowOnTimeShare, 1)} below which a payer is at risk` : '',
      lateLastYearAtRisk(atRiskLate, policy)
        ? `${atRiskLate} late in the last 12 months${atRiskLate < lateLast12Months ? ` (a lapse of invoices overdue together, all paid within ${loyalRule.forgivenUpToDaysLate} days, counted once)` : ''}, at risk from ${policy.atRisk.minLateLast12Months}`
        : '',
    ].filter(Boolean);
    reasons.push(`at risk: ${rules.join('; ')}`);
  }
  // What keeps a regular payer from the loyal band (fee-free reminders): the playbooks go by it, so it is said.
  if (band === 'regular') {
    const missing = [
      recentShare < loyalRule.minOnTimeShare
        ? `${onTimePct(recentShare)} on time${recentIsAll ? '' : ` in the last ${loyalRule.recentMonths} months`}, below the ${pct(loyalRule.minOnTimeShare, 1)} it needs`
        : '',
      streakShowsLoyal ? '' : `${loyalStreak} of the ${loyalRule.minStreak} on-time invoices in a row it needs`,
      loyalLate > loyalRule.maxLateLast12Months ? `${lapsesText(loyalLateLapses)} late in the last 12 months, more than the ${loyalRule.maxLateLast12Months} it allows` : '',
    ].filter(Boolean);
    reasons.push(`not in the loyal band yet: ${missing.join('; ')}`);
  }

  return {
    value,
    band,
    reasons,
    modelVersion: withPolicyVersion(PAYMENT_LOYALTY_MODEL_VERSION, policy.version),
    tenureDays,
    countedInvoices: counted.length,
    onTimeInvoices: onTime,
    streak,
    lateLast12Months,
    overdueNow: overdueNow.map((o) => ({ dueAt: isoDay(o.due), daysOverdue: o.daysOverdue })),
  };
}

/** A count of lapses as the reasons say it: "2" when each is one invoice, else "1 lapse (2 invoices)". */
function lapsesText(lapses: readonly (readonly unknown[])[]): string {
  const invoices = lapses.reduce((n, l) => n + l.length, 0);
  return invoices === lapses.length ? `${lapses.length}` : `${lapses.length} lapse${lapses.length === 1 ? '' : 's'} (${invoices} invoices)`;
}

/** Calendar months from day `first` to day `last` (2022-11-24 to 2024-11-20: 24). */
function monthsApart(first: number, last: number): number {
  const [a, b] = [isoDay(first), isoDay(last)];
  return (Number(b.slice(0, 4)) - Number(a.slice(0, 4))) * 12 + Number(b.slice(5, 7)) - Number(a.slice(5, 7));
}

/** Whether this many late payments (or invoices long unpaid) in the last 12 months make a payer at risk. */
const lateLastYearAtRisk = (late: number, policy: PaymentLoyaltyPolicy) => late >= policy.atRisk.minLateLast12Months;
