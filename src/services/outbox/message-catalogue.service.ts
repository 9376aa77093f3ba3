import { templateCatalogue, type MessageAudience } from '../../domain/messages/catalogue.js';
import { messageLanguage, renderMessage } from '../../domain/messages/templates.js';
import { withUnsubscribeFooter } from '../../domain/messages/unsubscribe-link.js';
import { MessagePurpose } from '../../entities/index.js';

export interface TemplatePreview {
  key: string;
  /** Which of the template's variants this is (null for a template with one): `key` and `variant` name a preview. */
  variant: string | null;
  playbook: string;
  audience: MessageAudience;
  purpose: MessagePurpose;
  /** The language it is shown in: the one asked for where the template is written in it, else English. */
  language: string;
  subject: string;
  text: string;
}

/** A name for previews that is no one's. */
const EXAMPLE_NAME = 'Alex Example';
/** Where a marketing message's own unsubscribe link stands in a preview. */
const EXAMPLE_UNSUBSCRIBE_URL = 'https://retention.example.com/unsubscribe?token=…';

/**
 * What the playbooks write, for the people who answer for it (marketing, legal, translators):
 * every template rendered with an example, in the language asked for where it exists.
 */
export class MessageCatalogueService {
  /** `currency`: the currency the examples' amounts are shown in (the money policy's). */
  constructor(private readonly currency: string) {}

  templates(locale: string): TemplatePreview[] {
    return Object.entries(templateCatalogue).flatMap(([key, entry]) => (entry.variants ?? [{ variant: null, purpose: entry.purpose, example: entry.example }]).map(({ variant, purpose, example }) => {
      const language = messageLanguage(key, locale);
      const { subject, text } = renderMessage(key, EXAMPLE_NAME, example, language, this.currency);
      const marketing = purpose === 'marketing';
      return {
        key,
        variant,
        playbook: entry.playbook,
        audience: entry.audience,
        purpose: marketing ? MessagePurpose.Marketing : MessagePurpose.Service,
        language,
        subject,
        // Marketing is shown as its reader gets it: with the unsubscribe link delivery adds.
        text: marketing ? withUnsubscribeFooter(text, EXAMPLE_UNSUBSCRIBE_URL, language) : text,
      };
    }));
  }
}
