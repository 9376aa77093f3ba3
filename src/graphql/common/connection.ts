import 'reflect-metadata';
import { Max, Min } from 'class-validator';
import { ArgsType, Field, Int, ObjectType, type ClassType } from 'type-graphql';
import { MAX_PAGE_SIZE } from '../../services/common/pagination.js';
import { PageInfo } from './page-info.type.js';

/** A Relay connection type `<Name>Connection` with `<Name>Edge`s of the given node type. */
export function connectionOf<T extends object>(nodeType: ClassType<T>, name: string) {
  @ObjectType(`${name}Edge`, { simpleResolvers: true })
  class Edge {
    @Field()
    cursor!: string;

    @Field(() => nodeType)
    node!: T;
  }

  @ObjectType(`${name}Connection`, { simpleResolvers: true })
  class Connection {
    @Field(() => [Edge])
    edges!: Edge[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    // A resolver (not simple): the count is a promise started only when this field is read.
    @Field(() => Int, { simple: false, description: 'Number of items in the whole list (all pages)' })
    totalCount!: number | Promise<number>;
  }
  return Connection;
}

/**
 * Query cost of a list field: what one item costs, times how many the argument `size` asks for
 * (else `fallback`), at least one and at most `max`, the most the field gives: a size outside them
 * is refused when the field runs, with the field named (VALIDATION on `first`), whatever its
 * value. Counted as asked, a size below 1 would turn the whole query's cost negative (its
 * siblings still run), and a size far over the maximum would be refused as too costly instead,
 * another code for the same mistake.
 */
export const listComplexity =
  (size: string, fallback: number, max: number) =>
  ({ args, childComplexity }: { args: Record<string, unknown>; childComplexity: number }) =>
    1 + childComplexity * Math.min(max, Math.max(1, typeof args[size] === 'number' ? (args[size] as number) : fallback));

const byFirst = listComplexity('first', 20, MAX_PAGE_SIZE);
const byLast = listComplexity('last', 20, MAX_PAGE_SIZE);

/** Query cost of a connection field: what one node costs, times the page size asked for (`first`, or `last` going backward). */
export const pageComplexity = (options: { args: Record<string, unknown>; childComplexity: number }) => (options.args.last != null ? byLast(options) : byFirst(options));

const FIRST = (size: number) =>
  `Page size going forward, 1 to ${MAX_PAGE_SIZE} (default ${size}): the first rows after the cursor after (or from the top). Not with last: going backward leave it out or send null (one query document declaring first, after, last and before pages both ways, as Relay and Apollo send it); null without last is refused (VALIDATION/INVALID_ARGUMENT): leave it out for the default`;
const AFTER = 'endCursor of the previous page: the page goes on after it. Not with last or before';
const LAST = `Page size going backward, 1 to ${MAX_PAGE_SIZE}: the last rows before the cursor before (or of the whole list), in the list's own order. first left out or null with it (first and last both given are refused, VALIDATION/INVALID_ARGUMENT)`;
const BEFORE = 'startCursor of the next page: with last, the page before it. Only with last';

/** The cursor and the backward page's size, the same for every keyset connection; `first`, whose default differs, is each one's own. */
@ArgsType()
class CursorArgs {
  @Field(() => String, { nullable: true, description: AFTER })
  after?: string | null;

  @Field(() => Int, { nullable: true, description: LAST })
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  last?: number | null;

  @Field(() => String, { nullable: true, description: BEFORE })
  before?: string | null;
}

@ArgsType()
export class PageArgs extends CursorArgs {
  // Nullable with its default: a null stands for "not this direction" beside last (the argument checks refuse it without).
  @Field(() => Int, { nullable: true, defaultValue: 20, description: FIRST(20) })
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  first?: number | null;
}

@ArgsType()
export class NestedPageArgs extends CursorArgs {
  // As PageArgs', with a nested list's smaller default.
  @Field(() => Int, { nullable: true, defaultValue: 10, description: FIRST(10) })
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  first?: number | null;
}

/** A list that pages forward only (by position, not by a keyset: see its description): its `first` stays non-null, as nothing else gives the size. */
@ArgsType()
export class ForwardPageArgs {
  @Field(() => Int, { defaultValue: 20, description: `Page size, 1 to ${MAX_PAGE_SIZE}` })
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  first!: number;

  @Field(() => String, { nullable: true, description: 'endCursor of the previous page' })
  after?: string | null;
}
