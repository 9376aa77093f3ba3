import { Field, Int, ObjectType } from 'type-graphql';
import { MoneyTotal } from '../common/money.js';

@ObjectType('FairnessBand', {
  simpleResolvers: true,
  description: "What one payment-loyalty band was offered, charged and sent: reminders, fees, offers and messages under the band they were decided for, customers under today's band",
})
export class FairnessBandType {
  @Field({ description: 'loyal, regular, at-risk, new, or unscored: every one listed, in this order, empty ones too (then any band a message was written for that is no band now)' })
  band!: string;

  @Field(() => Int)
  customers!: number;

  @Field(() => Int, { description: "Offers they received: thank-yous with an offer and an account review's offers, sent (not those queued or held back)" })
  offers!: number;

  @Field(() => Int, { description: "An account review's proposals of a cheaper service tier to a loss-making account, sent: not offers, counted apart" })
  tierChangeProposals!: number;

  @Field(() => Int, { description: "Notices that the contract ends, sent: an account review's offboarding of a loss-making account, each approved by a person (not those held back or withdrawn before they went). Loyalty working both ways: a loyal band with many is worth a look" })
  offboardingNotices!: number;

  @Field(() => Int, { description: "Payment reminders that went out (not those held back before delivery), on invoices due since that day: the fair reminders' (each a message, under the band it was decided for) and those an import brought with the invoice (`reminders_sent`: the billing system's, sent no message here, under the customer's band today)" })
  remindersSent!: number;

  @Field(() => MoneyTotal, {
    description:
      "Reminder fees charged that stand, minor units: booked as each fair reminder went out, and those an import brought with the invoice (`fee_charged`, under the customer's band today); those reversed since (the billing system cancelled the invoice, or it was paid on time and booked late) are not in it (feesReversedMinor) (a total: exact up to 2^53 minor units)",
  })
  feesChargedMinor!: number;

  @Field(() => MoneyTotal, { description: 'Reminder fees the standard schedule would have charged but this band was spared, minor units (a total: exact up to 2^53 minor units)' })
  feesWaivedMinor!: number;

  @Field(() => MoneyTotal, {
    description:
      'Reminder fees charged and then reversed, minor units, under the band they were charged to: the billing system cancelled the invoice (voided, credited), so it was never owed and neither were the fees for chasing it, or it was paid on time (by its due day and the grace days of the payment-loyalty policy, 0 by default) and the payment booked after the reminders (a total: exact up to 2^53 minor units)',
  })
  feesReversedMinor!: number;

  @Field(() => Int, { description: 'Thank-yous to silent loyal customers that went out (with an offer or without), under the band they were written for' })
  thankYousSent!: number;

  @Field(() => Int, {
    description:
      "Thank-you runs that ended without one since that day (`not-thanked`: the contact guard held it back for good, e.g. no consent, or an issue still open past the wait), under the customer's band today: loyal customers passed over show here",
  })
  thankYousNotGiven!: number;

  @Field(() => Int, {
    description:
      "Messages sent to them (not the tasks for the company's teams about them), written since that day: a reminder among them counts here by the day it was written, and in remindersSent by its invoice's due day, so a reminder of an invoice due before the day shows here and not there",
  })
  messagesSent!: number;

  @Field(() => Int, { description: 'Marketing messages sent to them (thank-yous, offers), written since that day' })
  marketingMessagesSent!: number;

  @Field(() => Int, { description: 'Messages written since that day that the contact guard held back (customer left or erased, no consent, contact budget, open complaint); not those held back because their run ended or their invoice was paid' })
  messagesSuppressed!: number;
}
