import type { Migration } from '@mikro-orm/migrations';

/** Rebuilds an enum column's type with these values, `set` rewriting values in between (PostgreSQL cannot use a value added in the same transaction, nor drop one). */
export function rebuildEnum(m: Migration, table: string, type: string, values: string[], byDefault: string, set: string): void {
  m.addSql(`alter table "${table}" alter column "status" drop default;`);
  m.addSql(`alter table "${table}" alter column "status" type text;`);
  m.addSql(`drop type "${type}";`);
  m.addSql(`create type "${type}" as enum (${values.map((v) => `'${v}'`).join(', ')});`);
  m.addSql(set);
  m.addSql(`alter table "${table}" alter column "status" type "${type}" using "status"::"${type}";`);
  m.addSql(`alter table "${table}" alter column "status" set default '${byDefault}';`);
}
