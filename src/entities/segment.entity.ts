import 'reflect-metadata';
import { OptionalProps } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { randomUUID } from 'node:crypto';

/**
 * A marketer's saved segment: a named customer filter ("loyal payers at risk") that the
 * team previews, reports on and launches campaigns for, instead of retyping its conditions.
 */
@Entity({ tableName: 'segment' })
@Unique({ name: 'segment_name_unique', expression: 'create unique index "segment_name_unique" on "segment" (lower("name"))' })
@Index({ properties: ['name', 'id'], name: 'segment_name_id_index' })
export class Segment {
  [OptionalProps]?: 'createdAt' | 'updatedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /**
   * Unique, whatever its case. Compared and sorted alphabetically as people read it (ICU's root collation:
   * case and accents count only between names otherwise alike, "apple" < "Émile" < "zoo"), so the list's
   * order, its cursors and its (name, id) index agree.
   */
  @Property({ type: 'text', collation: 'und-x-icu' })
  name!: string;

  @Property({ type: 'text', nullable: true })
  description?: string | null;

  /** Who belongs: the same shape as the customers query's filter. */
  @Property({ type: 'jsonb' })
  filter!: Record<string, unknown>;

  /** Who created it (caller ID, for the audit trail). */
  @Property({ type: 'text' })
  createdBy!: string;

  @Property({ type: 'timestamptz', length: 3 })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', length: 3, onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
