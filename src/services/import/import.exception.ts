import { DomainException, type FailureKind } from '../../domain/errors/domain-exception.js';

export enum ImportExceptionCode {
  UnknownKind = 'IMPORT_UNKNOWN_KIND',
  BadHeader = 'IMPORT_BAD_HEADER',
  EmptyFile = 'IMPORT_EMPTY_FILE',
  UnreadableCsv = 'IMPORT_UNREADABLE_CSV',
}

export class ImportException extends DomainException<ImportExceptionCode> {
  get kind(): FailureKind {
    return 'VALIDATION';
  }
}
