import { DomainException, type FailureKind } from '../../domain/errors/domain-exception.js';

/** Failures that refuse a whole import; problems in single rows are reported, not thrown. */
export enum ImportExceptionCode {
  UnknownKind = 'IMPORT_UNKNOWN_KIND',
  BadHeader = 'IMPORT_BAD_HEADER',
  EmptyFile = 'IMPORT_EMPTY_FILE',
  UnreadableCsv = 'IMPORT_UNREADABLE_CSV',
  /** The file's encoding is no text encoding the import reads: a label unknown, UTF-16, or one that is no export's (x-user-defined). */
  UnknownEncoding = 'IMPORT_UNKNOWN_ENCODING',
  FileNotFound = 'IMPORT_FILE_NOT_FOUND',
  TooManyRows = 'IMPORT_TOO_MANY_ROWS',
  RowFieldsDiffer = 'IMPORT_ROW_FIELDS_DIFFER',
  /** Another import or change held the rows this one needed at the same moment (a deadlock, a serialization failure): nothing written, run it again. */
  ConcurrentChange = 'IMPORT_CONCURRENT_CHANGE',
  /** Every import place of the API process was taken while this import waited its longest, or too many wait already: nothing written, run it again shortly. */
  Busy = 'IMPORT_BUSY',
}

const kinds: Record<ImportExceptionCode, FailureKind> = {
  [ImportExceptionCode.UnknownKind]: 'VALIDATION',
  [ImportExceptionCode.BadHeader]: 'VALIDATION',
  [ImportExceptionCode.EmptyFile]: 'VALIDATION',
  [ImportExceptionCode.UnreadableCsv]: 'VALIDATION',
  [ImportExceptionCode.UnknownEncoding]: 'VALIDATION',
  [ImportExceptionCode.FileNotFound]: 'NOT_FOUND',
  [ImportExceptionCode.TooManyRows]: 'VALIDATION',
  [ImportExceptionCode.RowFieldsDiffer]: 'VALIDATION',
  // A passing condition, as DATABASE_UNAVAILABLE: the same import again succeeds.
  [ImportExceptionCode.ConcurrentChange]: 'UNAVAILABLE',
  [ImportExceptionCode.Busy]: 'UNAVAILABLE',
};

export class ImportException extends DomainException<ImportExceptionCode> {
  get kind(): FailureKind {
    return kinds[this.code];
  }
}
