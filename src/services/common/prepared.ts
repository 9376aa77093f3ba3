import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { RawBuilder } from 'kysely';

/** At most this many statement shapes are prepared per process: each pooled connection keeps every one it prepared. */
export const MAX_PREPARED_SHAPES = 200;

const names = new Map<string, string>();

/**
 * Runs a hot read as a named (prepared) statement on the ORM's connection pool, so that
 * PostgreSQL parses and plans each shape of it once per connection instead of on every
 * request (planning was a sixth of a customers page's database time). The name is a hash
 * of the SQL text, so the same shape with other values reuses the statement. Shapes past
 * MAX_PREPARED_SHAPES, and reads inside a transaction, run unnamed as before. Page sizes
 * belong in the text as literals (checked integers): with a LIMIT parameter PostgreSQL
 * never trusts its generic plan and plans every execution anyway.
 */
export async function readPrepared<R>(em: EntityManager, query: RawBuilder<R>): Promise<R[]> {
  const kysely = em.getKysely();
  if (em.isInTransaction()) return (await query.execute(kysely)).rows;
  const { sql, parameters } = query.compile(kysely);
  let name = names.get(sql);
  if (!name && names.size < MAX_PREPARED_SHAPES) {
    name = `read_${createHash('sha1').update(sql).digest('base64url')}`;
    names.set(sql, name);
  }
  const pool = await em.getConnection().getNativeClient();
  const { rows } = await pool.query({ name, text: sql, values: [...parameters] });
  return rows as R[];
}
