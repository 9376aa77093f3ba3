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
  // Built once per ORM and entity, not per request (services are created per unit of work).
  const byEntity = mappers.get(em.getMetadata()) ?? new Map<EntityClass<object>, (row: Record<string, unknown>) => object>();
  mappers.set(em.getMetadata(), byEntity);
  let mapper = byEntity.get(entity);
  if (!mapper) {
    mapper = buildMapper(em, entity);
    byEntity.set(entity, mapper);
  }
  return mapper as (row: Record<string, unknown>) => T;
}

const mappers = new WeakMap<object, Map<EntityClass<object>, (row: Record<string, unknown>) => object>>();

function buildMapper<T extends object>(em: EntityManager, entity: EntityClass<T>): (row: Record<string, unknown>) => T {
  const meta = em.getMetadata().get(entity);
  const platform = em.getPlatform();
  const props = meta.props.filter((p) => p.fieldNames?.length === 1 && (p.kind === 'scalar' || p.kind === 'm:1' || p.kind === '1:1'));
  // One converter per property, chosen once: a page maps thousands of values.
  const converterFor = (prop: EntityProperty): ((value: unknown) => unknown) => {
    if (prop.kind === 'm:1' || prop.kind === '1:1') return (value) => ({ id: value });
    if (prop.customType) return (value) => prop.customType!.convertToJSValue(value, platform);
    if (prop.runtimeType === 'Date') return (value) => (value instanceof Date ? value : platform.parseDate(value as string));
    if (prop.type === 'date') return (value) => (value instanceof Date ? value.toISOString().slice(0, 10) : value);
    return (value) => value;
  };
  const columns = props.map((prop) => ({ name: prop.name, column: prop.fieldNames[0], convert: converterFor(prop) }));
  return (row) => {
    const out: Record<string, unknown> = {};
    for (const { name, column, convert } of columns) {
      const value = row[column];
      out[name] = value === null || value === undefined ? null : convert(value);
    }
    return out as T;
  };
}
