import { Migration } from '@mikro-orm/migrations';

/**
 * Segment and API key names are stored and compared as people read them (`readableName`): NFKC (a decomposed "ü" is
 * the "ü" a keyboard types, a full-width "Ｇ" is a "G"), a run of spaces as one, trimmed. Segment names were only
 * trimmed, so "Grüne Kunden" in NFC, in NFD, with a full-width letter or with two spaces were four segments that read
 * the same in the list and the campaign form; key names were in NFKC already, with runs of spaces kept. The names stored
 * before are put in that form. Of names that then read the same in any case (the unique indexes compare lower(name):
 * every segment; the keys in use), the one already in that form (else the oldest) keeps it and the others get a mark
 * after it, their name cut so that it stays within the 100 characters a name may have: a segment the start of its ID,
 * `Grüne Kunden (1a2b3c4d)`, a key its fingerprint as the NFKC migration gave it. Campaigns keep their copy of a
 * segment's filter and API keys are looked up by their digest: a name is a label, nothing else moves. down() leaves the
 * names as they are now (the old forms are not kept).
 */
export class Migration20261227164100_readable_names extends Migration {
  override name = 'Migration20261227164100_readable_names';

  override up(): void | Promise<void> {
    // NFKC can lengthen a name ("…" is "...", "™" is "TM"): cut to the 100 characters a name may have, so every stored name
    // can still be edited (an edit checks the whole name again); the cut leaves no space at the end.
    const readable = (column: string) => `rtrim(left(btrim(regexp_replace(normalize(${column}, NFKC), ' {2,}', ' ', 'g')), 100))`;
    const marked = (name: string, mark: string) => `rtrim(left(${name}, 89)) || ' (' || left(${mark}, 8) || ')'`;
    this.addSql(`
      create temporary table segment_renamed on commit drop as
      with named as (
        select id, ${readable('name')} as readable, name, created_at from segment
      ), ranked as (
        select id, readable, row_number() over (partition by lower(readable) order by name = readable desc, created_at, id) as nth from named
      ), renamed as (
        select id, case when nth > 1 then ${marked('readable', 'id::text')} else readable end as new_name from ranked
      )
      select r.id, r.new_name from renamed r join segment s on s.id = r.id where s.name <> r.new_name;`);
    this.renameInTwoSteps('segment');
    this.addSql(`
      create temporary table api_key_renamed on commit drop as
      with named as (
        select id, digest, revoked_at, ${readable('name')} as readable, name, created_at from api_key
      ), ranked as (
        select id, digest, revoked_at, readable,
               row_number() over (partition by lower(readable), revoked_at is null order by name = readable desc, created_at, id) as nth
          from named
      ), renamed as (
        select id, case when revoked_at is null and nth > 1 then ${marked('readable', 'digest')} else readable end as new_name from ranked
      )
      select r.id, r.new_name from renamed r join api_key k on k.id = r.id where k.name <> r.new_name;`);
    this.renameInTwoSteps('api_key');
  }

  /**
   * The unique index on lower(name) is checked row by row as an update goes, so a name one row takes may still be another's
   * that the same update renames after it (an OHM SIGN's name becoming the Greek omega's another row holds): every row
   * renamed first gets a name no other has (a control character, which no name may hold, and its ID), then its new one.
   */
  private renameInTwoSteps(table: 'segment' | 'api_key'): void {
    this.addSql(`update ${table} t set name = chr(1) || t.id::text from ${table}_renamed r where r.id = t.id;`);
    this.addSql(`update ${table} t set name = r.new_name from ${table}_renamed r where r.id = t.id;`);
  }

  override down(): void | Promise<void> {
    // The names stay as people read them (see above).
  }
}
