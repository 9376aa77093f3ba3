/** The 14-digit time a migration's file or class is named by (`Migration20261228100000_name`), or null. */
export function migrationStamp(name: string): string | null {
  return /^Migration(\d{14})_/.exec(name)?.[1] ?? null;
}

/**
 * The stamp a new migration takes so that it sorts after every one already written (`existing`: their file names): the
 * generator's own (the clock's) when it does, else one past the newest. Migrations run in migrations/index.ts's order,
 * kept in name order; one named by a clock behind the newest would sort, and be listed, before migrations it comes after.
 */
export function stampAfter(generated: string, existing: readonly string[]): string {
  const newest = existing.map(migrationStamp).filter((s): s is string => s !== null).sort().at(-1);
  return newest === undefined || generated > newest ? generated : String(BigInt(newest) + 1n);
}
