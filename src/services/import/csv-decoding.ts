import { Transform } from 'node:stream';
import { TextDecoder } from 'node:util';
import { ImportException, ImportExceptionCode } from './import.exception.js';

const LF = 0x0a;
const CR = 0x0d;

/**
 * A strict decoder for a CSV file in `encoding`, a WHATWG label (utf-8, windows-1252, latin1,
 * iso-8859-15, ...). Throws a RangeError for a label it does not know, and for UTF-16, whose
 * line breaks are not the bytes \n and \r that lines are counted by.
 */
export function csvTextDecoder(encoding: string): TextDecoder {
  const decoder = new TextDecoder(encoding, { fatal: true });
  if (decoder.encoding.startsWith('utf-16')) throw new RangeError(`"${encoding}" is UTF-16, which the import does not read: save the file as UTF-8`);
  return decoder;
}

/**
 * Decodes a CSV file's bytes as text in `encoding` (default UTF-8) and refuses, naming the
 * line, bytes that are no text in it (IMPORT_UNREADABLE_CSV), where a lenient decoder would
 * store U+FFFD in their place for good: an export in Windows-1252 read as UTF-8 turns
 * "José" into "Jos�". Lines are numbered as the report numbers them (\r\n, \r or \n ends one).
 */
export function decodeCsv(encoding = 'utf-8'): Transform {
  const decoder = csvTextDecoder(encoding);
  let line = 1; // the line `rest` starts on
  let rest: Buffer = Buffer.alloc(0); // the bytes since the last line break
  let endsWithCr = false; // the bytes so far end with \r: a \n next ends no further line
  const unreadable = (at: number) =>
    new ImportException(ImportExceptionCode.UnreadableCsv, `Line ${at} is not ${decoder.encoding} text: is the file in another encoding (e.g. windows-1252)?`, { line: at, encoding: decoder.encoding });
  let first = true;

  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      // A byte-order mark says what the file is, whatever encoding was given.
      if (first && chunk.length) {
        first = false;
        const marked = byteOrderMark(chunk, decoder.encoding);
        if (marked) return done(new ImportException(ImportExceptionCode.UnreadableCsv, marked, { line: 1 }));
      }
      let text: string;
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch {
        return done(unreadable(firstUndecodableLine(decoder.encoding, Buffer.concat([rest, chunk]), line, endsWithCr)));
      }
      let restFrom = -1;
      for (let i = 0; i < chunk.length; i++) {
        const byte = chunk[i];
        if (byte === CR || (byte === LF && !(i === 0 ? endsWithCr : chunk[i - 1] === CR))) line++;
        if (byte === CR || byte === LF) restFrom = i + 1;
      }
      if (chunk.length) endsWithCr = chunk[chunk.length - 1] === CR;
      rest = restFrom < 0 ? Buffer.concat([rest, chunk]) : chunk.subarray(restFrom);
      done(null, text || undefined);
    },
    flush(done) {
      try {
        done(null, decoder.decode() || undefined);
      } catch {
        // A character cut off by the end of the file.
        done(unreadable(line));
      }
    },
  });
}

/** What a file's byte-order mark says against reading it as `encoding`, or null (none, or UTF-8's read as UTF-8). */
function byteOrderMark(start: Buffer, encoding: string): string | null {
  if ((start[0] === 0xff && start[1] === 0xfe) || (start[0] === 0xfe && start[1] === 0xff)) {
    return 'The file is UTF-16 (e.g. Excel\'s "Unicode Text"), which the import does not read: save it as UTF-8 ("CSV UTF-8")';
  }
  if (encoding !== 'utf-8' && start[0] === 0xef && start[1] === 0xbb && start[2] === 0xbf) return `The file starts with UTF-8's byte-order mark: it is UTF-8, not ${encoding}; leave out the encoding`;
  return null;
}

/**
 * The line of `bytes` (which start on line `line`, after a \r when `afterCr`) that does not
 * decode, each complete line on its own; when all do, the error is in the last, unfinished one.
 */
function firstUndecodableLine(encoding: string, bytes: Buffer, line: number, afterCr: boolean): number {
  const decodes = (piece: Buffer) => {
    try {
      new TextDecoder(encoding, { fatal: true }).decode(piece);
      return true;
    } catch {
      return false;
    }
  };
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte !== CR && byte !== LF) continue;
    if (!decodes(bytes.subarray(start, i))) return line;
    if (byte === CR || !(i === 0 ? afterCr : bytes[i - 1] === CR)) line++;
    start = i + 1;
  }
  return line;
}
