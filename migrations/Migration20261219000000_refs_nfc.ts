import { Migration } from '@mikro-orm/migrations';

/** The tables whose rows an import matches by a source reference, and that reference's column. */
const REFERENCED: ReadonlyArray<[table: string, column: string]> = [
  ['customer', 'external_ref'],
  ['customer_order', 'external_ref'],
  ['invoice', 'external_ref'],
  ['payment', 'external_ref'],
  ['complaint', 'external_ref'],
  ['cost_entry', 'external_ref'],
  ['offer', 'code'],
];

/**
 * Imports store and look up references in Unicode NFC: `JOSÉ-1` written with an É of its own and with
 * E and a combining accent are one reference. The references stored before are put in NFC, so a file finds them.
 * Two stored rows whose references differ only in that form are not merged (they may be two customers, each with
 * their orders and messages): the one already in NFC, else the oldest, takes the NFC form; the others keep their
 * spelling, reachable by ID, and no import line matches them any more (a person merges or renames them; README,
 * docs/import.md). References holding invisible characters are left as they are (imports refuse such lines now).
 * down() leaves the references as they are (the old forms are not kept).
 */
export class Migration20261219000000_refs_nfc extends Migration {
  override name = 'Migration20261219000000_refs_nfc';

  override up(): void | Promise<void> {
    for (const [table, column] of REFERENCED) {
      this.addSql(`
        with spelt as (
          select id, ${column} is nfc normalized as nfc,
                 row_number() over (partition by normalize(${column}, NFC) order by ${column} is nfc normalized desc, created_at, id) as nth
            from ${table} where ${column} is not null
        )
        update ${table} t set ${column} = normalize(t.${column}, NFC)
          from spelt s where s.id = t.id and s.nth = 1 and not s.nfc;`);
    }
  }

  override down(): void | Promise<void> {
    // The references stay in NFC (see above).
  }
}
