import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import { isUuid } from '../../domain/ids.js';
import { Segment } from '../../entities/index.js';
import { changedFields, type AuditService } from '../audit/audit.service.js';
import { keysetPage } from '../common/keyset-page.js';
import { withUniqueName } from '../common/unique-name.js';
import type { Page, PageArgs } from '../common/pagination.js';
import { assertCustomerFilter, assertStoredFilter, storedFilter, type CustomerFilter } from '../customers/customer-query.js';
import { SegmentException, SegmentExceptionCode } from './segment.exception.js';
import { characterCount, hiddenCharacterProblem, readableName } from '../../domain/text.js';

export interface SegmentInput {
  name: string;
  description?: string | null;
  filter: CustomerFilter;
}

export const MAX_SEGMENT_NAME = 100;
export const MAX_SEGMENT_DESCRIPTION = 1000;

/**
 * Marketers' saved segments: a named filter the team reuses for previews, reports and
 * campaigns. A campaign copies the filter when it is made, so changing or deleting a
 * segment never moves who a campaign reaches.
 */
export class SegmentService {
  private readonly byId: DataLoader<string, Segment | null>;

  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
  ) {
    this.byId = new DataLoader(async (ids) => {
      const found = await em.find(Segment, { id: { $in: ids.filter(isUuid) } });
      return ids.map((id) => found.find((s) => s.id === id) ?? null);
    });
  }

  /** A segment by its ID, or null (batched: the segments of a page of campaigns cost one statement). */
  find(id: string): Promise<Segment | null> {
    return this.byId.load(id);
  }

  /** Segments in alphabetical order of their names, case and accents counting only between names otherwise alike (the column's collation, which its index and the cursors share), then by ID. */
  list(args: PageArgs): Promise<Page<Segment>> {
    return keysetPage(this.em, Segment, { tag: 'segments', where: {}, key: { property: 'name', direction: 'asc' }, tiebreaker: { property: 'id', direction: 'asc' } }, args);
  }

  /** A new segment; its name is unique as people read it, whatever its case (CONFLICT otherwise). Audited. */
  async create(input: SegmentInput, actor: string): Promise<Segment> {
    const fields = checkedSegment(input);
    return this.uniqueName(fields.name, () =>
      this.em.transactional(async (em) => {
        const segment = em.create(Segment, { ...fields, createdBy: actor });
        this.audit.record(em, { actor, action: 'segment.create', entityType: 'segment', entityId: segment.id, after: auditFields(segment) });
        return segment;
      }),
    );
  }

  /** Changes name, description or filter (a field left null stays; an empty description clears it). Audited. */
  async update(id: string, patch: { [K in keyof SegmentInput]?: SegmentInput[K] | null }, actor: string): Promise<Segment> {
    return this.em.transactional(async (em) => {
      const segment = await lockedSegment(em, id, LockMode.PESSIMISTIC_WRITE);
      const before = auditFields(segment);
      // A filter not given stays as stored, unchecked: a rename is no change to who belongs, and one stored before a check
      // it now fails is refused where it selects customers (assertStoredFilter), not where the caller left it alone.
      const fields = checkedSegment(
        {
          name: patch.name ?? segment.name,
          description: patch.description ?? segment.description,
          filter: patch.filter ?? (segment.filter as CustomerFilter),
        },
        patch.filter != null,
      );
      return this.uniqueName(fields.name, async () => {
        em.assign(segment, fields);
        const diff = changedFields(before, auditFields(segment));
        if (Object.keys(diff.after).length) this.audit.record(em, { actor, action: 'segment.update', entityType: 'segment', entityId: id, ...diff });
        await em.flush();
        return segment;
      });
    });
  }

  /** Deletes a segment and answers its ID; campaigns made from it keep their copy of its filter. Audited. */
  async delete(id: string, actor: string): Promise<string> {
    return this.em.transactional(async (em) => {
      const segment = await lockedSegment(em, id, LockMode.PESSIMISTIC_WRITE);
      this.audit.record(em, { actor, action: 'segment.delete', entityType: 'segment', entityId: id, before: auditFields(segment) });
      em.remove(segment);
      return id;
    });
  }

  /** `write`, refused with NameTaken when the unique index on lower(name) says another segment has the name. */
  private uniqueName<T>(name: string, write: () => Promise<T>): Promise<T> {
    return withUniqueName(this.em, { table: 'segment', name }, write, (stored) =>
      new SegmentException(SegmentExceptionCode.NameTaken, `A segment named "${stored}" exists (names are compared in any case)`, { field: 'name', name: stored }));
  }
}

/**
 * The segment, read in the caller's transaction and locked against change: a campaign made
 * from it copies the filter as it stands (a delete at the same time waits, or came first
 * and the campaign is refused with SEGMENT_NOT_FOUND).
 */
export async function lockedSegment(em: EntityManager, id: string, mode: LockMode.PESSIMISTIC_READ | LockMode.PESSIMISTIC_WRITE = LockMode.PESSIMISTIC_READ, field = 'id'): Promise<Segment> {
  const segment = isUuid(id) ? await em.findOne(Segment, { id }, { lockMode: mode }) : null;
  // (`field`: the argument that named it, for a form: `id`, or a campaign's `segmentId`.)
  if (!segment) throw new SegmentException(SegmentExceptionCode.NotFound, `No segment ${id}`, { id, field });
  return segment;
}

/** `filterGiven`: the filter is the caller's (checked), not the one stored (kept as it is). */
function checkedSegment(input: SegmentInput, filterGiven = true): { name: string; description: string | null; filter: Record<string, unknown> } {
  const invalid = (field: string, message: string) => new SegmentException(SegmentExceptionCode.InvalidInput, message, { field });
  // Stored and compared as people read it (readableName): a marketer picks a segment by its name in the list and the campaign
  // form, so "Grüne Kunden" with a decomposed ü, with a full-width "Ｇ" or with two spaces is the name "Grüne Kunden".
  const name = readableName(input.name);
  if (!name || characterCount(name) > MAX_SEGMENT_NAME) throw invalid('name', `A segment's name is 1 to ${MAX_SEGMENT_NAME} characters`);
  // Shown in lists, the audit log and campaigns' summaries: an ESC sequence or a direction override would change what
  // people read there, and a name of a zero-width space alone is a segment nobody can tell apart.
  const hidden = hiddenCharacterProblem(name, "A segment's name");
  if (hidden) throw invalid('name', hidden);
  const description = input.description?.trim() || null;
  if (description && characterCount(description) > MAX_SEGMENT_DESCRIPTION) throw invalid('description', `A description is at most ${MAX_SEGMENT_DESCRIPTION} characters`);
  if (filterGiven) assertCustomerFilter(input.filter);
  return { name, description, filter: { ...storedFilter(input.filter) } };
}

/** The segment's stored filter, to select customers by: refused, naming `segment.filter.…`, when the filter check refuses it now. */
export function segmentFilter(segment: { id: string; filter: unknown }): CustomerFilter {
  const filter = segment.filter as CustomerFilter;
  assertStoredFilter(filter, { kind: 'segment', id: segment.id });
  return filter;
}

/** What the audit log records of a segment. */
const auditFields = (s: Segment) => ({ name: s.name, description: s.description ?? null, filter: storedFilter(s.filter as CustomerFilter) });
