import { Migration } from '@mikro-orm/migrations';

/**
 * Customer names and e-mail addresses are stored in Unicode NFC (updateCustomer and the import put them in it), and the
 * customer search looks for its text in NFC: a name stored with a decomposed "ü" (as macOS, some input methods and CRM
 * exports write it) was not found by "grünwald" typed on a keyboard, nor "Müller" by a search in the decomposed form.
 * The names and addresses stored before are put in NFC; the search's trigram index (customer_search_trgm_index, on
 * lower(name) and lower(email)) is on the stored text, so it serves the search as before. Nothing but the encoding of
 * the same visible text changes, so updated_at stays. down() leaves them in NFC (the old forms are not kept).
 */
export class Migration20261227164000_customer_names_nfc extends Migration {
  override name = 'Migration20261227164000_customer_names_nfc';

  override up(): void | Promise<void> {
    this.addSql(`update customer set name = normalize(name, NFC), email = normalize(email, NFC) where name is not nfc normalized or email is not nfc normalized;`);
  }

  override down(): void | Promise<void> {
    // The names stay in NFC (see above).
  }
}
