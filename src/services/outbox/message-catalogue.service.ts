import { templateCatalogue, type MessageAudience } from '../../domain/messages/catalogue.js';
import { messageLanguage, renderMessage } from '../../domain/messages/templates.js';

export interface TemplatePreview {
  key: string;
  playbook: string;
  audience: MessageAudience;
  /** The language it is shown in: the one asked for where the template is written in it, else English. */
  language: string;
  subject: string;
  text: string;
}

/** A name for previews that is no one's. */
const EXAMPLE_NAME = 'Alex Example';

/**
 * What the playbooks write, for the people who answer for it (marketing, legal, translators):
 * every template rendered with an example, in the language asked for where it exists.
 */
export class MessageCatalogueService {
  templates(locale: string): TemplatePreview[] {
    return Object.entries(templateCatalogue).map(([key, entry]) => {
      const language = messageLanguage(key, locale);
      return { key, playbook: entry.playbook, audience: entry.audience, language, ...renderMessage(key, EXAMPLE_NAME, entry.example, language) };
    });
  }
}
