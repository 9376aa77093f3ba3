import { ValidateBy } from 'class-validator';
import { ArgsType, Field, ObjectType } from 'type-graphql';
import { canonicalLocale } from '../../domain/customers/contact.js';
import { Playbook } from '../../domain/playbooks/playbook.js';
import { MessagePurpose } from '../../entities/index.js';

@ObjectType('MessageTemplate', { simpleResolvers: true, description: 'A message the playbooks write, rendered with an example (for a customer named "Alex Example")' })
export class MessageTemplateType {
  @Field()
  key!: string;

  @Field(() => String, { nullable: true, description: 'Which variant of the template (an account proposal: tier-change, a service message, or offer, marketing; a withdrawal from collections: paid-on-time or cancelled); null for a template with one' })
  variant!: string | null;

  @Field(() => Playbook, { description: 'The playbook that writes it' })
  playbook!: string;

  @Field({ description: 'customer, or team (a task for a person, always in English)' })
  audience!: string;

  @Field(() => MessagePurpose, { description: 'Marketing needs consent, fits the contact budget and ends with the unsubscribe link (shown); service messages go regardless' })
  purpose!: MessagePurpose;

  @Field({ description: 'The language shown: the one asked for where the message is written in it, else en' })
  language!: string;

  @Field()
  subject!: string;

  @Field()
  text!: string;
}

@ArgsType()
export class MessageTemplatesArgs {
  // Malformed (VALIDATION) as a customer's locale would be; a well-formed language without its own texts is shown in English.
  @Field({ defaultValue: 'en', description: 'A BCP 47 tag, e.g. "de"; a language the messages are not written in shows English' })
  @ValidateBy({
    name: 'isLanguageTag',
    validator: { validate: (value: unknown) => typeof value === 'string' && canonicalLocale(value) !== null, defaultMessage: () => 'language must be a BCP 47 language tag, e.g. "de" or "de-AT"' },
  })
  language!: string;
}
