import 'reflect-metadata';
import { Field, ObjectType } from 'type-graphql';

/** Relay page information. */
@ObjectType({ simpleResolvers: true, description: "Where a page stands in its list (Relay's cursor connections): page on with first/after from endCursor, back with last/before from startCursor" })
export class PageInfo {
  @Field({ description: 'More rows follow this page: go on with after: endCursor. Going backward (last/before), true whenever before was given (the row it points at follows, at least)' })
  hasNextPage!: boolean;

  @Field({
    description:
      'Rows come before this page: go back with last and before: startCursor. Going forward (first/after), true whenever after was given (the row it points at comes before, at least); going backward, whether more rows come before this page',
  })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true, description: "The first row's cursor: pass it as before (with last) for the page before this one; null on an empty page" })
  startCursor!: string | null;

  @Field(() => String, { nullable: true, description: "The last row's cursor: pass it as after (with first) for the next page; null on an empty page" })
  endCursor!: string | null;
}
