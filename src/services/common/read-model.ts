import type { EntityClass, EntityProperty } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Maps raw rows of set-based read queries to plain objects shaped like the entity
 * (property names, money as numbers, dates as the entity has them, relations as
 * `{ id }`), without registering them in the unit of work: list pages are read,
 * never changed, and hydrating thousands of managed entities per request was the
 * API's main cost. Mutations keep loading real entities.
 */
export function rowMapper<T extends object>(em: EntityManager, entity: EntityClass<T>): (row: Record<string, unknown>) => T {
  const meta = em.getMetadata().get(entity);
  const platform = em.getPlatform();
  const props = meta.props.filter((p) => p.fieldNames?.length === 1 && (p.kind === 'scalar' || p.kind === 'm:1' || p.kind === '1:1'));
  const convert = (prop: EntityProperty, value: unknown): unknown => {
    if (value === null || value === undefined) return null;
    if (prop.kind === 'm:1' || prop.kind === '1:1') return { id: value };
    if (prop.customType) return prop.customType.convertToJSValue(value, platform);
    if (prop.runtimeType === 'Date') return value instanceof Date ? value : platform.parseDate(value as string);
    if (prop.type === 'date' && value instanceof Date) return value.toISOString().slice(0, 10);
    return value;
  };
  return (row) => {
    const out: Record<string, unknown> = {};
    for (const prop of props) out[prop.name] = convert(prop, row[prop.fieldNames[0]]);
    return out as T;
  };
}
