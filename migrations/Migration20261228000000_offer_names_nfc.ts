import { Migration } from '@mikro-orm/migrations';

/**
 * Offer names (and their translations) are stored in Unicode NFC, as createOffer, setOfferTranslatedNames and the offers import put
 * them in it: a name stored by the API with a decomposed "ü" was rewritten by an import of the same file (an update
 * nobody made). The names stored before are put in NFC; nothing but the encoding of the same visible text changes, so
 * updated_at stays. down() leaves them in NFC (the old forms are not kept).
 */
export class Migration20261228000000_offer_names_nfc extends Migration {
  override name = 'Migration20261228000000_offer_names_nfc';

  override up(): void | Promise<void> {
    this.addSql(`update offer set name = normalize(name, NFC) where name is not nfc normalized;`);
    this.addSql(`update offer set translated_names = (select jsonb_object_agg(t.language, normalize(t.name, NFC)) from jsonb_each_text(translated_names) t(language, name))
      where exists (select 1 from jsonb_each_text(translated_names) t(language, name) where t.name is not nfc normalized);`);
  }

  override down(): void | Promise<void> {
    // The names stay in NFC (see above).
  }
}
