import { Args, Ctx, Query, Resolver } from 'type-graphql';
import { Role } from '../../domain/auth/roles.js';
import { Allow } from '../auth/allow.js';
import type { GraphQLContext } from '../context.js';
import { MessageTemplateType, MessageTemplatesArgs } from './message-template.types.js';

@Resolver()
export class MessageTemplateResolver {
  @Allow(Role.Viewer)
  @Query(() => [MessageTemplateType], { description: 'Every message the playbooks write, with an example, for marketing, legal and translators to read before customers do' })
  messageTemplates(@Args() { language }: MessageTemplatesArgs, @Ctx() ctx: GraphQLContext): MessageTemplateType[] {
    return ctx.services.messageCatalogue.templates(language);
  }
}
