/**
 * What kind of failure a domain exception is; the GraphQL layer maps each kind
 * to an error code in one place (src/graphql/errors.ts).
 */
export type FailureKind = 'NOT_FOUND' | 'VALIDATION' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'CONFLICT' | 'UNAVAILABLE';

/** Base of the one exception type each domain defines (CustomerException, PlaybookException, ...). */
export abstract class DomainException<Code extends string = string> extends Error {
  abstract readonly kind: FailureKind;

  constructor(
    readonly code: Code,
    message: string,
    /** Facts a client may show or act on (the field that was wrong, the ID that was missing). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}
