import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Runs `write`, which a unique index on lower(name) decides (also between two people saving the same name at once), and
 * when that index refuses it throws `taken(stored)`: the refusal quotes the name as it is stored, the one people find in
 * the list ("GRÜNE KUNDEN" is taken by "Grüne Kunden"). The stored name is read on a fork, outside the refused write's
 * transaction; gone by then, the name sent is quoted. `inUse`: the index's condition (a partial index), if any.
 */
export async function withUniqueName<T>(
  em: EntityManager,
  where: { table: 'segment' | 'api_key' | 'campaign'; name: string; inUse?: string },
  write: () => Promise<T>,
  taken: (stored: string) => Error,
): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (!(error instanceof UniqueConstraintViolationException)) throw error;
    const [row] = await em.fork().execute<{ name: string }[]>(`select name from ${where.table} where lower(name) = lower(?)${where.inUse ? ` and ${where.inUse}` : ''} limit 1`, [where.name]);
    throw taken(row?.name ?? where.name);
  }
}
