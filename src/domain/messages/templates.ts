import { currencyProblem, formatMoney } from '../money.js';
import { caseComplaintLines, fixCaseDetails, invoiceDetails, invoiceRef, newCustomerTermsIn, offerNameIn, paidInvoice, remindersSoFar, topicLabel, type OfferNaming, type RemindersSoFar, type Writing, type Payload, type RenderedText, type Template } from './template.js';
import { germanTemplates } from './templates.de.js';

type ProposalPayload = OfferNaming & { kind?: string; tier?: string; offerCode?: string; discountPercent?: number };
/** An offer as the customer reads it: its name (in English, where it has one) and discount, with its code to quote (a proposal of before had the code alone). */
const offerText = (proposal: ProposalPayload | undefined) => {
  const discount = proposal?.discountPercent ? ` (${proposal.discountPercent}% off)` : '';
  const offerName = offerNameIn(proposal, 'en');
  return offerName ? `${offerName}${discount}, offer ${proposal?.offerCode ?? ''}` : `offer ${proposal?.offerCode ?? ''}${discount}`;
};
/**
 * A proposal as the customer reads it: the tier proposed, or the offer with the tier it moves them to (an offer of before
 * moved none); a new customers' offer matched for them with its terms as newcomers read them, in loyalty words, as a
 * thank-you states them (a proposal written before it carried them has none).
 */
/**
 * What the owner of a fix case does about a complaint behind it withdrawn as filed by mistake: nothing but leave it out when
 * others still stand (`stillNeeded`); decide whether the case is needed when the run, or its reopening, exists only because
 * of it (`onlyCause`), or when the topic is no longer persistent without it (as every such task said before either existed).
 */
const withdrawnComplaintAdvice = (name: string, p: Payload): string => {
  const cancel = `cancel it with the GraphQL mutation cancelPlaybookRun(workflowId: "${String(p.workflowId)}", reason: "...")`;
  const resolve = `resolveIssue(customerId: "${String(p.customerId)}", topic: "${String(p.topic)}")`;
  if (p.stillNeeded === true) {
    return `The case still stands on ${name}'s other complaints about "${topicLabel(p)}" and goes on as it is. This one was not theirs: do not take it up with ${name}, nor its words or its severity, when you call or write to them.`;
  }
  if (p.onlyCause === 'reopening') {
    return `The case was reopened only because of it: no other complaint says the fix reported before did not hold. The run goes on as it was (its deadline, its escalations) until you decide. If the fix holds, report it again with ${resolve}, and the run checks back with ${name} as before; if there is nothing to fix, ${cancel}. Tell ${name} what happens now if they were told we are back on it.`;
  }
  const why =
    p.onlyCause === 'run'
      ? `This fix run started only because of it: no other complaint since the topic's earlier fix says that fix did not hold, so the case may not be needed.`
      : `Without it, ${name} no longer has a persistent issue about "${topicLabel(p)}", so the case may no longer be needed.`;
  // Its word to the customer that a team works on it had not gone out and was held back: they have not heard of the case.
  if (p.acknowledgementHeld === true) {
    return `${why} ${name} was not told of the case: our word that a team works on it had not gone out yet and is held back. The fix run goes on as it was (its deadline, its escalations) until you decide, and its later messages would reach ${name} about a case they never heard of. If there is nothing to fix, ${cancel}: nothing goes to ${name}; if there is, report the fix as usual with ${resolve}.`;
  }
  return `${why} The fix run goes on as it was (its deadline, its escalations, its messages to ${name}) until you decide. If there is nothing to fix, ${cancel}, and tell ${name} what happens now if they were told a team works on it; if there is, report the fix as usual with ${resolve}.`;
};

const proposalText = (p: Payload) => {
  const proposal = p.proposal as ProposalPayload | undefined;
  if (proposal?.kind === 'tier-change') return `our ${proposal.tier} service`;
  const terms = newCustomerTermsIn((proposal ?? {}) as Payload, 'en');
  const asNewcomers = terms ? `, the offer new customers get for it, on the same terms for you as for them ("${terms}"), any period it names counted from when you first use it` : '';
  return `${offerText(proposal)}${proposal?.tier ? `, with a move to our ${proposal.tier} service` : ''}${asNewcomers}`;
};
/**
 * The offer a thank-you gives: by its name, or, matched from new customers' offers, with the terms new customers read
 * (what it applies to, for how long), in loyalty words: the same terms, any period counted from the customer's first use.
 */
const thankYouOffer = (p: Payload, write: Writing) => {
  if (!p.offerCode) return '';
  const until = typeof p.offerValidUntil === 'string' ? ` until ${write.day(p.offerValidUntil)}` : '';
  const terms = newCustomerTermsIn(p, 'en');
  if (terms) return ` As a thank-you, ${offerText(p as ProposalPayload)} is yours${until}: the best offer new customers get, on the same terms for you as for them ("${terms}"), any period it names counted from when you first use it.`;
  return ` As a thank-you, ${offerText(p as ProposalPayload)} is yours${until}, at least as good as any offer new customers get on your current service.`;
};
/**
 * What a newcomer complained about, as the welcome check's call task names it: "meanwhile" (since the check began)
 * and before the check (since they joined, or still open); empty when they did not complain.
 */
const welcomeFollowUpComplaints = (p: Payload) => {
  const named = (topics: unknown) => (Array.isArray(topics) ? topics.map((topic) => `"${topicLabel({ topic })}"`).join(', ') : '');
  const meanwhile = named(p.topics);
  const before = named(p.earlierTopics);
  return [meanwhile && `meanwhile about ${meanwhile}`, before && `before the welcome check began about ${before}`].filter(Boolean).join(', and ');
};
/** How the welcome check's welcome failed to reach the newcomer by the end of its wait, as its call task says it (empty: it went). */
const welcomeNotReached = (p: Payload) =>
  p.welcomeNotReached
    ? ({
        queued: 'did not reach them (it was still waiting to go out: their quiet hours, or delivery retrying; it is not sent now): they were never asked',
        'held-back': 'did not reach them (held back before it went): they were never asked',
        'complained-first': 'did not reach them (held back, as they complained before it went): they were never asked',
        undeliverable: 'did not reach them (delivery gave up on it): they were never asked',
        interrupted: 'may not have reached them (its hand-over was interrupted): they may never have been asked',
        'not-written': 'was never written: they were never asked',
      } as Record<string, string>)[String(p.welcomeNotReached)] ?? `did not reach them (${String(p.welcomeNotReached)}): they were never asked`
    : '';
/** Why an offboarding notice did not reach the customer, as a team reads it (the run's category). */
const noticeUndelivered = (p: Payload) =>
  ({ 'held-back': 'held back before it went', refused: 'refused for good by the mail server', interrupted: 'its hand-over was interrupted: it may have gone out', 'given-up': 'delivery gave up on it', 'not-sent': 'not sent by the end of the notice' } as Record<string, string>)[String(p.undelivered)] ?? String(p.undelivered ?? 'not sent');
/**
 * The relationship team's task when an account review could propose nothing: the figures the review has (its
 * profitability, the score's reasons with the cost drivers, why nothing could be proposed), that the customer has heard
 * nothing of it, and when the review judges the account again before anyone weighs an offboarding.
 */
const nothingProposedTask = (name: string, p: Payload, write: Writing) => {
  const figure = typeof p.profitabilityMinor === 'number' ? write.money(p.profitabilityMinor) : 'a loss';
  const basis = typeof p.profitabilityBasis === 'string' && p.profitabilityBasis ? ` (${p.profitabilityBasis})` : '';
  const reasons = Array.isArray(p.reasons) && p.reasons.length ? ` What the profitability score says: ${p.reasons.map(String).join('; ')}.` : '';
  const why = typeof p.nothingProposed === 'string' && p.nothingProposed ? `: ${p.nothingProposed}` : '';
  const until = typeof p.reviewAt === 'string' ? ` before ${write.day(p.reviewAt)}` : '';
  const then = typeof p.reviewAt === 'string' ? `On ${write.day(p.reviewAt)} the review` : 'After the review period the review';
  return (
    `${name}'s account review found the account losing money: ${figure}${basis}.${reasons} Nothing could be proposed to them${why}. ` +
    `They have not been told anything about it yet. Please talk to them${until}: go through how they use our service and what drives its cost to serve (a recent spike, or support our own problems caused, says little about how the account will go), and look for a change that works for both sides. ` +
    `${then} judges the account again; only if it still loses money is a person asked to decide on offboarding.`
  );
};

/**
 * Billing's task at the end of a notice: whom to bill (the customer's reference: many customers share a name), for the
 * service up to which day (the one the notice named, as the customer was told; the day the account closed too, when
 * later), and what their invoices still owe. One written before it carried these facts reads as it did.
 */
const finalInvoice = (name: string, p: Payload, write: Writing) => {
  if (typeof p.noticeEndsOn !== 'string' && typeof p.outstandingMinor !== 'number') return 'The notice period has ended: please issue the final invoice (no closing fees).';
  const who = typeof p.customerRef === 'string' && p.customerRef ? `${name} (customer reference ${p.customerRef})` : `${name} (no customer reference on record)`;
  const owed = Number(p.outstandingMinor);
  const open = typeof p.outstandingMinor !== 'number' ? '' : owed > 0 ? ` Still open on their invoices: ${write.money(owed)}.` : ' Nothing is open on their invoices.';
  // A notice a person ended early (the customer leaves now): the service ends that day, not the day the notice named.
  if (typeof p.endedEarlyOn === 'string') {
    return `The notice of ${who} was ended early on ${write.day(p.endedEarlyOn)} (the customer leaves now): please issue the final invoice for the service up to that day, with no closing fees.${open}`;
  }
  const upTo = typeof p.noticeEndsOn === 'string' ? ` for the service up to ${write.day(p.noticeEndsOn)}, the day their notice named,` : '';
  const closed = typeof p.closedOn === 'string' ? ` The account was closed on ${write.day(p.closedOn)}, after that day; they were told the final invoice covers the service up to the day the notice named.` : '';
  return `The notice period of ${who} has ended: please issue the final invoice${upTo} with no closing fees.${closed}${open}`;
};
/**
 * What a customer under notice needs to switch: their reference with us, the day the contract ends, what the final
 * invoice and the data export hold and when they come, and a person to ask. One queued before it carried the day says
 * only what it can: a person helps.
 */
/**
 * A notice ended early (the customer leaves now): the data export's message says the contract has ended today, and what
 * the final invoice covers, so a customer whom the notice reached is not left with its later day (their notice and help
 * to switch still queued are held back).
 */
const endedEarly = (p: Payload, write: Writing) => {
  if (typeof p.endedEarlyOn !== 'string') return '';
  const on = write.day(p.endedEarlyOn);
  const named = typeof p.noticeEndsOn === 'string' ? `, earlier than the ${write.day(p.noticeEndsOn)} our notice named` : '';
  return `our contract has ended today, ${on}${named}. Your final invoice covers our service up to ${on}, with no closing fee; our billing team sends it separately.\n\n`;
};

const switchHelp = (p: Payload, write: Writing) => {
  const endsOn = typeof p.noticeEndsOn === 'string' ? write.day(p.noticeEndsOn) : null;
  if (!endsOn) return 'reply to this message and a person will help you with every step of switching to another provider: your final invoice, your data, and whatever your new provider asks of us.';
  return [
    'here is what you need to move to another provider:',
    '',
    ...(typeof p.customerRef === 'string' && p.customerRef ? [`- Your customer reference with us: ${p.customerRef}. Quote it to us, and to your new provider if they ask for it.`] : []),
    `- Our contract ends on ${endsOn}. Until then everything continues as usual, so your new provider can take over from that day.`,
    `- Your final invoice covers our service up to ${endsOn}, with no closing fee; our billing team sends it after that day.`,
    `- Your data: when the contract ends on ${endsOn}, we e-mail you a file (JSON) with everything we stored about you, including your details, orders, invoices and payments, complaints, and the messages we sent you.`,
    '',
    'If you need anything else for the switch, reply to this message: a person will help you with every step.',
  ].join('\n');
};
/** The invoice as the customer knows it, with what is open and its due day. */
const invoiceWords = { due: 'due', partPaid: (received: string, open: string) => `, of which ${received} has been received and ${open} is still open` };
const invoice = (p: Payload, write: Writing) => `invoice ${invoiceRef(p)}${invoiceDetails(p, write, invoiceWords)}`;
/**
 * A reminder's fee, and with fees already on the invoice what they come to in all: a customer told "€5.00 applies", then
 * "€10.00 applies", cannot tell whether they owe €10 or €15.
 */
const fee = (p: Payload, write: Writing) => {
  const own = Number(p.feeMinor);
  if (!(own > 0)) return '';
  const before = Number(p.feesOnInvoiceMinor);
  return ` A reminder fee of ${write.money(own)} applies${before > 0 ? ` (${write.money(before + own)} in reminder fees on this invoice in all)` : ''}.`;
};
/** The fees handed over with the invoice, when there are any. */
const feesHandedOver = (p: Payload, write: Writing) => (Number(p.feesOnInvoiceMinor) > 0 ? `, with ${write.money(Number(p.feesOnInvoiceMinor))} in reminder fees` : '');

const NUMBER_WORDS = ['no', 'one', 'two', 'three', 'four', 'five', 'six'];
const counted = (n: number, thing: string) => `${NUMBER_WORDS[n] ?? n} ${thing}${n === 1 ? '' : 's'}`;
const listed = (numbers: readonly number[]) => (numbers.length > 1 ? `${numbers.slice(0, -1).join(', ')} and ${numbers[numbers.length - 1]}` : String(numbers[0]));
/**
 * The reminders a loyal payer's run sent before the call, as the person who calls reads them: friendly ones, or, for a
 * payer whose band was raised on the way, which were standard reminders (with their fees) and the band they were sent in,
 * so the caller does not promise "no fee" for a fee the customer was told applies.
 */
const remindersBefore = (facts: RemindersSoFar) => `${remindersOfRun(facts)}${earlier(facts)}`;
const remindersOfRun = (facts: RemindersSoFar) => {
  const standard = facts.standardReminders.length;
  if (facts.remindersSent === 0) return 'no reminder (each was held back before it went out)';
  if (standard === 0) return counted(facts.remindersSent, 'friendly reminder');
  const band = facts.loyaltyBandRaisedFrom ? ` while they were in the ${facts.loyaltyBandRaisedFrom} band (their payment record has turned loyal since)` : '';
  const friendly = facts.remindersSent - standard;
  return `${counted(facts.remindersSent, 'reminder')}: standard reminder${standard === 1 ? '' : 's'} ${listed(facts.standardReminders)}, sent${band}${friendly > 0 ? `, then ${counted(friendly, 'friendly reminder')}` : ''}`;
};
/** The invoice's reminders before this run (the billing system's, or an earlier run's): a fee on the invoice may be theirs. */
const earlier = (facts: RemindersSoFar) => (facts.earlierReminders ? ` (and ${counted(facts.earlierReminders, 'reminder')} before this run: the billing system's or an earlier run's)` : '');
/**
 * What a next course's caller picks up from (with a space before it; empty for a first course): the earlier runs' calls
 * about the invoice (how many, and when the last call task went out) and the promises to pay it the customer did not keep.
 */
const talkedBefore = (facts: RemindersSoFar, write: Writing) => {
  const calls = facts.earlierCalls ?? 0;
  const when = facts.lastEarlierCallAt ? write.day(facts.lastEarlierCallAt) : null;
  const called =
    calls === 0
      ? ''
      : calls === 1
        ? ` A colleague called them about it in an earlier run${when ? ` (the call task went out on ${when})` : ''}.`
        : ` Colleagues called them about it in earlier runs: ${counted(calls, 'call task')}${when ? `, the last on ${when}` : ''}.`;
  const days = (facts.lapsedPromises ?? []).map((day) => `by ${write.day(day)}`);
  const promised =
    days.length === 0 ? '' : days.length === 1 ? ` They promised to pay ${days[0]} and did not.` : ` They promised to pay ${days.slice(0, -1).join(', ')}, then ${days[days.length - 1]}, and kept none of these promises.`;
  return `${called}${promised}`;
};
/** The fees charged on the invoice so far, for a person to consider waiving for a loyal payer; null when nothing was charged. */
const feesToWaive = (facts: RemindersSoFar, write: Writing) => (facts.feesChargedMinor > 0 ? `${write.money(facts.feesChargedMinor)} in reminder fees is charged on the invoice` : null);

/**
 * What each playbook message says, in English (the default, and the company's language for
 * messages to its teams); messages to customers also in German (templates.de.ts), chosen by
 * the customer's language. Reminders to loyal payers are friendly and personal, never
 * threatening; no template for a loyal payer mentions a fee.
 */
export const templates: Record<string, Template> = {
  'reminder-friendly': (name, p, write) => ({
    subject: 'A quick note about your invoice',
    text: `Hello ${name},\n\nthank you for being with us for so long. It looks like ${invoice(p, write)} slipped through; this happens to everyone. Could you take a look when you have a moment? If anything is unclear, just reply to this message.\n\nKind regards`,
  }),
  // The first reminder of a loyal payer's next course: they have heard from us about it (reminders, maybe a call or a promise).
  'reminder-follow-on': (name, p, write) => ({
    subject: 'Your invoice is still open: let us find a way together',
    text: `Hello ${name},\n\nwe have been in touch about ${invoice(p, write)} before, and it is still open. If paying it now is difficult, or something about it is not right, just reply to this message and we will find a way together.\n\nKind regards`,
  }),
  'reminder-gentle': (name, p, write) => ({
    subject: 'Invoice still open: can we help?',
    text: `Hello ${name},\n\n${invoice(p, write)} is still open. If something is wrong with it, or the timing is difficult, tell us and we will find a way together.\n\nKind regards`,
  }),
  'reminder-standard-1': (name, p, write) => ({ subject: 'Payment reminder', text: `Hello ${name},\n\n${invoice(p, write)} is overdue. Please pay it soon.${fee(p, write)}\n\nKind regards` }),
  'reminder-standard-2': (name, p, write) => ({ subject: 'Second payment reminder', text: `Hello ${name},\n\n${invoice(p, write)} is still unpaid.${fee(p, write)}\n\nKind regards` }),
  'reminder-standard-3': (name, p, write) => ({ subject: 'Final payment reminder', text: `Hello ${name},\n\n${invoice(p, write)} is still unpaid. Without payment we will pass it to collections.${fee(p, write)}\n\nKind regards` }),
  'collections-handover': (name, p, write) => ({ subject: 'Invoice passed to collections', text: `Hello ${name},\n\n${invoice(p, write)} has been passed to our collections partner${feesHandedOver(p, write)}.\n\nKind regards` }),
  // Withdrawn because nothing is owed on it: paid on time (`paidAt`, the booking came after the hand-over), or cancelled in the billing system (`cancelledAt`).
  'collections-withdrawal': (name, p, write) => {
    const letter = typeof p.letterSentAt === 'string' ? `our collections letter reached them on ${write.day(p.letterSentAt)}` : 'our collections letter was held back before it reached them';
    const fees = Number(p.feesReversedMinor) > 0 ? ` The ${write.money(Number(p.feesReversedMinor))} in reminder fees charged on it are reversed here; reverse them in the billing system too.` : '';
    const told = typeof p.letterSentAt === 'string' ? ' The customer is told that the invoice is withdrawn from collections.' : '';
    const invoice = `${name}'s invoice ${paidInvoice(p, write)}, due ${write.day(String(p.dueAt))},`;
    const withdraw = `Please withdraw it from our collections partner now: nothing is owed on it.${fees}${told}`;
    if (typeof p.cancelledAt === 'string') {
      return {
        subject: `Withdraw from collections: invoice ${invoiceRef(p)} of ${name} was cancelled`,
        text: `${invoice} was cancelled in the billing system on ${write.day(p.cancelledAt)}, after it had been handed over to collections (${letter}). ${withdraw}`,
      };
    }
    return {
      subject: `Withdraw from collections: invoice ${invoiceRef(p)} of ${name} was paid on time`,
      text: `${invoice} was paid on time on ${write.day(String(p.paidAt))}, but the payment was booked only after the invoice had been handed over to collections (${letter}). ${withdraw}`,
    };
  },
  'collections-withdrawn': (name, p, write) => {
    const fees = Number(p.feesReversedMinor) > 0 ? `, and the ${write.money(Number(p.feesReversedMinor))} in reminder fees are cancelled` : '';
    if (typeof p.cancelledAt === 'string') {
      return {
        subject: 'Your invoice is not with collections: it was cancelled',
        text: `Hello ${name},\n\nplease disregard our letter that invoice ${invoiceRef(p)} had been passed to our collections partner: the invoice was cancelled, so nothing is owed on it. We are withdrawing our claim from collections${fees}. We are sorry for the trouble.\n\nKind regards`,
      };
    }
    return {
      subject: 'Your invoice is not with collections: it was paid on time',
      text: `Hello ${name},\n\nplease disregard our letter that invoice ${invoiceRef(p)} had been passed to our collections partner: you paid it on time, on ${write.day(String(p.paidAt))}, and your payment reached our books only later. We are withdrawing it from collections${fees}; you owe nothing more on it. We are sorry for the trouble.\n\nKind regards`,
    };
  },
  // A task written before tasks carried what the run sent and charged reads as then (a loyal run's, from its start).
  'call-personal': (name, p, write) => {
    const subject = `Call ${name} about invoice ${invoiceRef(p)}`;
    const facts = remindersSoFar(p);
    if (!facts) return { subject, text: `A loyal customer's ${invoice(p, write)} is still open after two friendly reminders. Please call personally and ask how we can help; no fees, no pressure.` };
    const fees = feesToWaive(facts, write);
    // A next course's caller picks up the conversation the earlier call and promises left off.
    const pickUp = talkedBefore(facts, write);
    const call = `Please call personally${pickUp ? ', pick up from that conversation' : ''} and ask how we can help`;
    const ask = fees ? `${fees}: consider waiving it for a loyal payer. ${call}; no pressure.` : `${call}; no fees, no pressure.`;
    return { subject, text: `A loyal customer's ${invoice(p, write)} is still open after ${remindersBefore(facts)}.${pickUp} ${ask}` };
  },
  'call-follow-up': (name, p, write) => {
    const subject = `Still unpaid after the call: ${name}, invoice ${invoiceRef(p)}`;
    const facts = remindersSoFar(p);
    const decide = 'Please decide with them how to go on (another call, a payment plan, or the standard process)';
    if (!facts) return { subject, text: `A loyal customer's ${invoice(p, write)} is still open after the personal call and the time given to pay. ${decide}; nothing has been charged and no collections letter has gone out.` };
    const fees = feesToWaive(facts, write);
    return {
      subject,
      text: `A loyal customer's ${invoice(p, write)} is still open after the personal call and the time given to pay. Before the call they got ${remindersBefore(facts)}.${talkedBefore(facts, write)} ${decide}; ${
        fees ? `${fees} (consider waiving it for a loyal payer)` : 'nothing has been charged'
      } and no collections letter has gone out.`,
    };
  },
  'issue-acknowledged': (name, p) => ({
    subject: 'We are on it',
    text: `Hello ${name},\n\nyou have told us about "${topicLabel(p)}" more than once, and that is once too often. A team now owns the problem and works on a fix; we will tell you when it is done.\n\nKind regards`,
  }),
  'fix-case-opened': (name, p, write) => ({
    subject: `Fix case for ${name}: ${topicLabel(p)}`,
    text: `A persistent issue ("${topicLabel(p)}") is now yours (${String(p.owner)}). Fix the cause, then mark it resolved.${fixCaseDetails(p, write)}`,
  }),
  'fix-case-escalated': (name, p, write) =>
    p.stays
      ? {
          subject: `Fix case still not fixed, another deadline missed: ${topicLabel(p)} for ${name}`,
          text: `The fix for "${topicLabel(p)}" missed another deadline and stays with ${String(p.owner)}, the last level it escalates to; fix the cause, then mark it resolved.${fixCaseDetails(p, write)}`,
        }
      : { subject: `Fix case escalated (level ${String(p.escalations)}): ${topicLabel(p)} for ${name}`, text: `The fix for "${topicLabel(p)}" missed its deadline and is now with ${String(p.owner)}.${fixCaseDetails(p, write)}` },
  'issue-still-open': (name, p) => ({
    subject: 'Not fixed yet: we are still on it',
    text: `Hello ${name},\n\nwe have not fixed "${topicLabel(p)}" yet, and it is taking longer than it should. ${
      p.stays ? 'It is with the most senior team that can fix it, and we have not forgotten it' : 'We have passed it to a more senior team to speed it up'
    }; we will tell you when it is done. If it gets in your way meanwhile, reply to this message.\n\nKind regards`,
  }),
  'fix-case-reopened': (name, p, write) => ({
    subject: `Fix case reopened: ${topicLabel(p)} for ${name}`,
    text: `The fix for "${topicLabel(p)}" did not hold: ${name} complained about it again before we checked back. The case is open again and ${
      p.stays ? `stays with ${String(p.owner)}, the last level it escalates to` : `now with ${String(p.owner)}`
    }; fix the cause, then mark it resolved.${fixCaseDetails(p, write, true)}`,
  }),
  'issue-reopened': (name, p) => ({
    subject: 'Still not right: we are back on it',
    text: `Hello ${name},\n\nthank you for telling us that "${topicLabel(p)}" is still not right. We have reopened the case${
      p.stays ? ', and it stays with the most senior team that can fix it' : ' and a more senior team now owns it'
    }; we will tell you when it is fixed for good.\n\nKind regards`,
  }),
  'fix-case-complaint-added': (name, p, write) => ({
    subject: `Another complaint on an open fix case: ${topicLabel(p)} for ${name}`,
    text: `${name} complained about "${topicLabel(p)}" again while the case is open with ${String(p.owner)}:\n${caseComplaintLines(p, write)}\n\nIt is added to the case: the fix resolves it with the others. The case's deadline stays as it is; a customer who complains again while we work on it, the more so in strong words, is one to fix it for sooner, and to keep in the loop. When the cause is fixed, report it with the GraphQL mutation resolveIssue(customerId: "${String(p.customerId)}", topic: "${String(p.topic)}").`,
  }),
  'fix-case-complaint-withdrawn': (name, p, write) => ({
    subject: `A complaint behind an open fix case was withdrawn: ${topicLabel(p)} for ${name}`,
    text: `A complaint behind the fix case for "${topicLabel(p)}" (${String(p.owner)}) was withdrawn as filed by mistake${typeof p.reason === 'string' && p.reason ? `: ${p.reason}` : ''}:\n${caseComplaintLines(p, write)}\n\n${withdrawnComplaintAdvice(name, p)}`,
  }),
  'issue-complaint-added': (name, p) => ({
    subject: 'Added to your case',
    text: `Hello ${name},\n\nthank you for telling us about "${topicLabel(p)}" again, and we are sorry it keeps getting in your way. We have added it to the case a team is already working on; we will tell you when it is done.\n\nKind regards`,
  }),
  'fix-case-cancelled': (name, p, write) => ({
    subject: `Fix case cancelled, the customer is waiting to hear: ${topicLabel(p)} for ${name}`,
    // A run that stopped otherwise than by a cancel (terminated in the engine) says how (`ended`).
    text: `The fix case for "${topicLabel(p)}" (${String(p.owner)}) was cancelled${typeof p.ended === 'string' ? ` (its run ${p.ended} in the workflow engine)` : ''}${typeof p.reason === 'string' && p.reason ? `: ${p.reason}` : ''}. ${name} was told${
      typeof p.toldOn === 'string' ? ` on ${write.day(p.toldOn)}` : ''
    } that a team works on a fix and that they would hear when it is done; nothing more goes to them from the case. Tell them what happens now: who takes the issue on, or why nothing will be fixed, and what to do if it comes back.`,
  }),
  'issue-fixed': (name, p) => ({
    subject: 'Fixed',
    text: `Hello ${name},\n\nas promised: the team has fixed the cause of "${topicLabel(p)}". We will check back with you in a while to make sure the fix holds; if it comes back before then, reply to this message and we take it up at once.\n\nKind regards`,
  }),
  'issue-check-back': (name, p) => ({ subject: 'Is it fixed for you?', text: `Hello ${name},\n\nwe fixed "${topicLabel(p)}" a while ago. Does it work for you now? A short reply is enough.\n\nKind regards` }),
  'issue-fix-confirmed': (name, p) => ({ subject: 'Thank you for letting us know', text: `Hello ${name},\n\nthank you for telling us that the fix of "${topicLabel(p)}" holds for you. If it ever comes back, reply to this message and we take it up at once.\n\nKind regards` }),
  'issue-gesture': (name, p, write) => ({
    subject: 'A small thank-you for your patience',
    text: `Hello ${name},\n\nthank you for staying with us through the trouble. Your next order is on us up to ${typeof p.goodwillMinor === 'number' ? write.money(p.goodwillMinor) : 'the usual goodwill amount'}.\n\nKind regards`,
  }),
  'issue-gesture-billing': (name, p, write) => ({
    subject: `Goodwill for ${name}: next order free up to ${write.money(Number(p.goodwillMinor))}`,
    text: `${name} is a loyal customer who had trouble with "${topicLabel(p)}", now fixed. As a thank-you for their patience we have told them that their next order is on us up to ${write.money(Number(p.goodwillMinor))}: please credit their next order up to ${write.money(Number(p.goodwillMinor))} (the fix-issue policy's goodwill amount), and nothing beyond it.`,
  }),
  'account-proposal': (name, p) => ({ subject: 'A better fit for how you use our service', text: `Hello ${name},\n\nwe looked at how you use our service and think this fits you better: ${proposalText(p)}. Reply to accept, or tell us what you need.\n\nKind regards` }),
  'account-proposal-confirmed': (name, p) => ({ subject: 'Done: your change', text: `Hello ${name},\n\nas agreed: ${proposalText(p)}. Thank you.\n\nKind regards` }),
  'offboarding-notice': (name, p, write) => ({
    subject: 'Our contract will end',
    // Why, in the customer's terms, and how to object: a person decided it, and a person answers before the day.
    text: `Hello ${name},\n\nwe have decided to end our contract on ${write.day(String(p.noticeEndsOn ?? p.noticeEndsAt ?? ''))}. We looked at how you use our service and what it costs us to provide, and we have not found a change to it that works for both of us; we are sorry. Until then everything continues as usual. We will help you switch, send a final invoice without any closing fee, and give you all your data.\n\nIf you would like to talk about it, or think we got something wrong, reply to this message and a person will get back to you.\n\nKind regards`,
  }),
  'offboarding-switch-help': (name, p, write) => ({ subject: 'Help with switching', text: `Hello ${name},\n\n${switchHelp(p, write)}\n\nKind regards` }),
  'account-offer-accepted': (name, p) => {
    const proposal = p.proposal as ProposalPayload | undefined;
    // An offer without a discount is only a move to another tier: billing has no price to apply, only the tier to bill.
    const task = !proposal?.discountPercent && proposal?.tier
      ? `please move their account to the ${proposal.tier} service from the next invoice (the offer has no discount)`
      : `please apply it to their account from the next invoice${proposal?.tier ? `, on the ${proposal.tier} service they moved to` : ''}`;
    // A new customers' offer is quoted by code: billing applies it on the terms newcomers get, which it names.
    const terms = newCustomerTermsIn((proposal ?? {}) as Payload, 'en');
    const asNewcomers = terms ? ` It is a new customers' offer matched for them, on the same terms as for newcomers ("${terms}"), any period it names counted from the first invoice it applies to.` : '';
    return { subject: `Offer accepted by ${name}`, text: `${name} accepted ${offerText(proposal)} in their account review: ${task}.${asNewcomers}` };
  },
  'offboarding-final-invoice': (name, p, write) => ({ subject: `Final invoice for ${name}${typeof p.customerRef === 'string' && p.customerRef ? ` (${p.customerRef})` : ''}`, text: finalInvoice(name, p, write) }),
  'account-nothing-proposed': (name, p, write) => ({
    subject: `Talk to ${name}: their account loses money and the review found nothing to propose`,
    text: nothingProposedTask(name, p, write),
  }),
  'offboarding-notice-undelivered': (name, p) => ({
    subject: `Not offboarded: ${name} never got the notice`,
    text: `The notice that their contract would end did not reach ${name} (${noticeUndelivered(p)}), so they were not offboarded: the offboarding is withdrawn and the account continues. Please check how to reach them (their message history shows what happened to the notice); a later account review decides again.`,
  }),
  'offboarding-kept-at-notice-end': (name, p) => ({
    subject: `Not offboarded: ${name}'s ${p.why === 'issue-open' ? 'complaint is still open' : 'account could not be judged'}`,
    text:
      p.why === 'issue-open'
        ? `At the end of their notice ${name} still had a complaint or fix open (${String(p.openIssues ?? '')}), and it was not resolved within the wait, so they were not offboarded: the offboarding is withdrawn and the account continues (the customer is told so). Please see that the issue is resolved; a later account review decides again.`
        : `At the end of their notice ${name}'s account could not be judged (${String(p.notJudged ?? '')}), so they were not offboarded: the offboarding is withdrawn and the account continues (the customer is told so). Please check the account's orders and costs; a later account review decides again.`,
  }),
  'offboarding-withdrawn': (name, p, write) => ({
    subject: 'Our contract continues',
    text: `Hello ${name},\n\nplease disregard our notice that our contract would end on ${write.day(String(p.noticeEndsOn ?? p.noticeEndsAt ?? ''))}: it continues as before, and nothing changes for you. If you have questions, reply and a person will answer.\n\nKind regards`,
  }),
  'offboarding-data-export': (name, p, write) => {
    const early = endedEarly(p, write);
    // Only the first line after the greeting's comma starts in lower case: after the paragraph on an early end, a sentence of its own.
    return {
      subject: typeof p.endedEarlyOn === 'string' ? 'Our contract has ended: your data' : 'Your data',
      text: `Hello ${name},\n\n${early}${early ? 'Attached' : 'attached'} is everything we stored about you, as a JSON file (export ${String(p.exportId ?? '')}). Thank you for the time with us.\n\nKind regards`,
    };
  },
  appreciation: (name, p, write) => ({
    subject: 'Thank you for being with us',
    text: `Hello ${name},\n\nyou have been with us for years: thank you for your loyalty.${thankYouOffer(p, write)}\n\nKind regards`,
  }),
  welcome: (name) => ({
    subject: 'Welcome: is everything working for you?',
    text: `Hello ${name},\n\nwelcome, and thank you for choosing us. Is everything set up and working as you expected? A short reply is enough; if anything is not right, tell us and a person will sort it out with you.\n\nKind regards`,
  }),
  'welcome-follow-up': (name, p) => {
    const complaints = welcomeFollowUpComplaints(p);
    const notReached = welcomeNotReached(p);
    if (notReached)
      return {
        subject: `Call ${name}: ${complaints ? 'a complaint since joining, ' : ''}our welcome ${p.welcomeNotReached === 'interrupted' ? 'may not have reached' : 'did not reach'} them`,
        text: `${name} joined recently, and our welcome asking whether everything works ${notReached}.${complaints ? ` They have complained ${complaints}.` : ''} Please call, ${complaints ? 'start with that, make sure it is being put right, and ask how the rest of the start went' : 'welcome them and ask how the start went'}, before a small problem makes them leave quietly.`,
      };
    return complaints
      ? {
          subject: `Call ${name}: a complaint since joining, no word on the start`,
          text: `${name} joined recently, has not confirmed that everything works, and has complained ${complaints}. Please call, start with that, and make sure it is being put right, before it makes them leave quietly.`,
        }
      : {
          subject: `Call ${name}: no word since joining`,
          text: `${name} joined recently and has not confirmed that everything works. Please call and ask how the start went, before a small problem makes them leave quietly.`,
        };
  },
  // Named as every reminder names it: a customer with several invoices knows which one the thanks are for.
  'thank-you-payment': (name, p, write) => ({
    subject: `Thank you for paying invoice ${invoiceRef(p)}`,
    text: `Hello ${name},\n\nwe received your payment for invoice ${paidInvoice(p, write)}: thank you, and thank you for your loyalty.\n\nKind regards`,
  }),
};

/** Messages to customers by language (the primary subtag of their language tag); English for any other. */
const byLanguage: Record<string, Record<string, Template>> = { de: germanTemplates };

/** The language a message of `template` is written in for a reader of `locale`: theirs where a translation exists, else English. */
export function messageLanguage(template: string, locale: string): string {
  const language = locale.split('-')[0].toLowerCase();
  return byLanguage[language]?.[template] ? language : 'en';
}

/** The template in the customer's language, else in English; undefined for a template no language has. */
function templateFor(template: string, locale: string): Template | undefined {
  return byLanguage[messageLanguage(template, locale)]?.[template] ?? templates[template];
}

/** English days are written day first ("31 January 2027"): no reader takes 3/1 for the wrong month. */
const DAY_LOCALE: Record<string, string> = { en: 'en-GB' };
/** Day formatters by language, built on first use (most messages write no day). */
const dayFormats = new Map<string, Intl.DateTimeFormat>();

function dayIn(language: string, day: string): string {
  if (!/^\d{4}-\d{2}-\d{2}/.test(day)) return day;
  let format = dayFormats.get(language);
  if (!format) dayFormats.set(language, (format = new Intl.DateTimeFormat(DAY_LOCALE[language] ?? language, { dateStyle: 'long', timeZone: 'UTC' })));
  return format.format(new Date(`${day.slice(0, 10)}T00:00:00Z`));
}

/**
 * The text in the customer's language (`locale`, a BCP 47 tag), amounts and days as that language writes
 * them; amounts in the currency the message was written with (its payload's, so a history shows what was
 * sent whatever the setting is now), else in `currency` (the deployment's). Null for an unknown template.
 */
function rendered(template: string, customerName: string, payload: Payload, locale: string, currency: string): RenderedText | null {
  const render = templateFor(template, locale);
  if (!render) return null;
  const language = messageLanguage(template, locale);
  const own = typeof payload.currency === 'string' && currencyProblem(payload.currency) === null ? payload.currency : currency;
  return render(customerName, payload, { money: (minor) => formatMoney(minor, own, language), day: (day) => dayIn(language, day) });
}

/** The text of a message, as `rendered`; an unknown template is a programming error the delivery records as a failure. */
export function renderMessage(template: string, customerName: string, payload: Payload, locale: string, currency: string): RenderedText {
  const text = rendered(template, customerName, payload, locale, currency);
  if (!text) throw new Error(`no message template "${template}"`);
  return text;
}

/** The text as the customer read it (or would have), for histories and exports: nulls for a template removed since. */
export function renderIfKnown(template: string, customerName: string, payload: Payload, locale: string, currency: string): { subject: string | null; text: string | null } {
  return rendered(template, customerName, payload, locale, currency) ?? { subject: null, text: null };
}
