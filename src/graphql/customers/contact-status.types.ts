import 'reflect-metadata';
import { Field, Int, ObjectType } from 'type-graphql';
import type { ContactDecision, ContactStatus } from '../../domain/guards/contact-guard.js';

@ObjectType('ContactVerdict', { simpleResolvers: true, description: "The contact guard's answer for one purpose, now" })
export class ContactVerdictType {
  @Field()
  allowed!: boolean;

  @Field(() => Date, { nullable: true, description: 'When a message would go: now, or when quiet hours end in the customer\'s time zone (null when not allowed)' })
  sendAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'Why not: erased, offboarded, no-consent, budget-exhausted, open-complaint (null when allowed)' })
  reason!: string | null;

  @Field({ description: 'The answer in words' })
  detail!: string;

  static from(d: ContactDecision): ContactVerdictType {
    return d.allowed ? { allowed: true, sendAt: d.sendAt, reason: null, detail: d.reason } : { allowed: false, sendAt: null, reason: d.reason, detail: d.detail };
  }
}

@ObjectType('ContactStatus', { simpleResolvers: true, description: 'What may be sent to the customer now and why not: the guard every playbook message passes (consent, contact budget, open complaints, quiet hours)' })
export class ContactStatusType {
  @Field(() => ContactVerdictType, { description: 'Service messages (a payment reminder): they go despite an opt-out' })
  service!: ContactVerdictType;

  @Field(() => ContactVerdictType)
  marketing!: ContactVerdictType;

  @Field(() => Int, { description: 'Marketing messages sent within the budget period' })
  marketingUsed!: number;

  @Field(() => Int, { description: 'How many the period allows (none while a complaint is open)' })
  marketingBudget!: number;

  @Field(() => Date, { nullable: true, description: 'While the budget alone holds marketing back: when the next one may go' })
  marketingFreesAt!: Date | null;

  static from(s: ContactStatus): ContactStatusType {
    return { ...s, service: ContactVerdictType.from(s.service), marketing: ContactVerdictType.from(s.marketing) };
  }
}
