import { Arg, Ctx, Field, ObjectType, Query, Resolver } from 'type-graphql';
import { Role } from '../../domain/auth/roles.js';
import { Playbook } from '../../domain/playbooks/playbook.js';
import { MessagePurpose } from '../../entities/index.js';
import { Allow } from '../auth/allow.js';
import type { GraphQLContext } from '../context.js';

@ObjectType('MessageTemplate', { simpleResolvers: true, description: 'A message the playbooks write, rendered with an example (for a customer named "Alex Example")' })
export class MessageTemplateType {
  @Field()
  key!: string;

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

@Resolver()
export class MessageTemplateResolver {
  @Allow(Role.Viewer)
  @Query(() => [MessageTemplateType], { description: 'Every message the playbooks write, with an example, for marketing, legal and translators to read before customers do' })
  messageTemplates(@Arg('language', { defaultValue: 'en', description: 'A BCP 47 tag, e.g. "de"' }) language: string, @Ctx() ctx: GraphQLContext): MessageTemplateType[] {
    return ctx.services.messageCatalogue.templates(language);
  }
}
