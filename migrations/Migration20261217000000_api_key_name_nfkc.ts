import { Migration } from '@mikro-orm/migrations';

/**
 * API key names are stored and compared in NFKC (`keyName`): a full-width "ａdmin" or a ligature "ﬁnance" read as
 * "admin" and "finance", yet were two names the unique index (lower(name) among the keys in use) told apart. The
 * names stored before are put in that form; of keys in use whose names then read the same in any case, the one
 * already in that form (else the oldest) keeps it and the others get their fingerprint after it, `admin (1a2b3c4d)`,
 * the start of their digest that the audit log names their callers by. Keys are looked up by their digest: a name is
 * a label, and every key goes on working. down() leaves the names as they are now (the old forms are not kept).
 */
export class Migration20261217000000_api_key_name_nfkc extends Migration {
  override name = 'Migration20261217000000_api_key_name_nfkc';

  override up(): void | Promise<void> {
    this.addSql(`
      with normalised as (
        select id, digest, revoked_at, btrim(normalize(name, NFKC)) as nfkc,
               row_number() over (partition by lower(btrim(normalize(name, NFKC))), revoked_at is null
                                  order by name = btrim(normalize(name, NFKC)) desc, created_at, id) as nth
          from api_key
      )
      update api_key k set name = case when n.revoked_at is null and n.nth > 1 then n.nfkc || ' (' || left(n.digest, 8) || ')' else n.nfkc end
        from normalised n
       where n.id = k.id and k.name <> case when n.revoked_at is null and n.nth > 1 then n.nfkc || ' (' || left(n.digest, 8) || ')' else n.nfkc end;`);
  }

  override down(): void | Promise<void> {
    // The names stay in NFKC (see above).
  }
}
