import type { EntityClass, EntityProperty } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, type RawBuilder } from 'kysely';

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

/**
 * A timestamp as JSON columns carry it (`2026-03-04T10:00:00.123+00:00`): the engine's own
 * ISO parser reads it exactly and far faster than a general one; anything else (PostgreSQL's
 * text form, a time without offset) goes to the platform's parser.
 */
export function isIsoWithOffset(value: string): boolean {
  if (value[10] !== 'T') return false;
  if (value.endsWith('Z')) return true;
  // ...+hh:mm or ...-hh:mm
  const sign = value[value.length - 6];
  return (sign === '+' || sign === '-') && value[value.length - 3] === ':';
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
    if (prop.runtimeType === 'Date') return (value) => (value instanceof Date ? value : isIsoWithOffset(value as string) ? new Date(value as string) : platform.parseDate(value as string));
    if (prop.type === 'date') return (value) => (value instanceof Date ? value.toISOString().slice(0, 10) : value);
    return (value) => value;
  };
  const columns = props.map((prop) => ({ name: prop.name, column: prop.fieldNames[0], convert: converterFor(prop) }));
  return (row) => {
    const out: Record<string, unknown> = {};
    for (const { name, column, convert } of columns) {
      const value = row[column];
      // A column the query did not read (see selectColumns) stays unset.
      if (value !== undefined) out[name] = value === null ? null : convert(value);
    }
    return out as T;
  };
}

/**
 * The properties a read needs when a caller reads only `fields` (as the ORM's partial
 * loading does): those of `fields` and `always` that are columns of the entity, sorted, so
 * equal needs give equal keys; null (every column) when `fields` is absent. PostgreSQL then
 * formats, and Node parses, no column a client did not ask for.
 */
export function projection<T extends object>(em: EntityManager, entity: EntityClass<T>, fields: readonly string[] | null | undefined, always: readonly string[] = ID): readonly string[] | null {
  if (!fields) return null;
  // Asked once per parent on a page with the same arrays (selections are cached, `always` is a constant): computed once.
  let byEntity = projections.get(fields);
  if (!byEntity) projections.set(fields, (byEntity = new Map()));
  let byAlways = byEntity.get(entity);
  if (!byAlways) byEntity.set(entity, (byAlways = new Map()));
  let properties = byAlways.get(always);
  if (!properties) {
    const wanted = new Set([...always, ...fields]);
    properties = em.getMetadata().get(entity).props.filter((p) => wanted.has(p.name) && p.fieldNames?.length === 1).map((p) => p.name).sort();
    byAlways.set(always, properties);
  }
  return properties;
}

const ID = ['id'];
const projections = new WeakMap<readonly string[], Map<EntityClass<object>, Map<readonly string[], readonly string[]>>>();

/** The select list for a projection on table alias `alias` (`alias.*` for null); built once per projection. */
export function selectColumns<T extends object>(em: EntityManager, entity: EntityClass<T>, alias: string, properties: readonly string[] | null): RawBuilder<unknown> {
  if (!properties) return sql.raw(`${alias}.*`);
  let byTable = selects.get(properties);
  if (!byTable) selects.set(properties, (byTable = new Map()));
  const meta = em.getMetadata().get(entity);
  const key = `${meta.className}|${alias}`;
  let select = byTable.get(key);
  if (!select) {
    select = sql.join(properties.map((name) => sql.ref(`${alias}.${meta.properties[name as keyof typeof meta.properties].fieldNames[0]}`)));
    byTable.set(key, select);
  }
  return select;
}

const selects = new WeakMap<readonly string[], Map<string, RawBuilder<unknown>>>();

/** A projection as part of a cache key ('*' for every column). */
export function projectionKey(properties: readonly string[] | null): string {
  if (!properties) return '*';
  let key = keys.get(properties);
  if (key === undefined) keys.set(properties, (key = properties.join(',')));
  return key;
}

const keys = new WeakMap<readonly string[], string>();
