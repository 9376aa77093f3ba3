import { Transform } from 'node:stream';
import { TextDecoder } from 'node:util';
import { INVISIBLE_OR_CONTROL } from '../../domain/text.js';
import { ImportException, ImportExceptionCode } from './import.exception.js';

const LF = 0x0a;
const CR = 0x0d;

/**
 * A strict decoder for a CSV file in `encoding`, a WHATWG label (utf-8, windows-1252, latin1,
 * iso-8859-15, ...). Throws IMPORT_UNKNOWN_ENCODING (a usage error: the command lines exit 2) for a
 * label it does not know; for UTF-16, whose line breaks are not the bytes \n and \r that lines are
 * counted by; and for a label that names no text encoding of an export (TEXT_ENCODINGS):
 * x-user-defined turns each byte 0x80-0xFF into a private-use character, so "José" in latin1 was
 * stored as "Jos\uF7E9" without a word, and `replacement` (iso-2022-kr, hz-gb-2312) decodes nothing.
 */
export function csvTextDecoder(encoding: string): TextDecoder {
  const refused = (message: string) => new ImportException(ImportExceptionCode.UnknownEncoding, message, { field: 'encoding', encoding });
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(encoding, { fatal: true });
  } catch (error) {
    // Node knows the labels WHATWG maps to `replacement` and refuses them under that name: said under the one given.
    const message = (error as Error).message;
    throw refused(message.includes('"replacement"') && encoding.trim().toLowerCase() !== 'replacement' ? `The "${encoding}" encoding is not supported (it decodes to nothing but U+FFFD: save the file as UTF-8)` : message);
  }
  if (decoder.encoding.startsWith('utf-16')) throw refused(`"${encoding}" is UTF-16, which the import does not read: save the file as UTF-8`);
  if (!TEXT_ENCODINGS.has(decoder.encoding)) {
    throw refused(`"${encoding}" is no text encoding a file is exported in (${decoder.encoding} reads bytes 0x80-0xFF as private-use characters): name the file's own, e.g. windows-1252`);
  }
  return decoder;
}

/**
 * Decodes a CSV file's bytes as text in `encoding` (default UTF-8) and refuses, naming the
 * line, bytes that are no text in it (IMPORT_UNREADABLE_CSV), where a lenient decoder would
 * store U+FFFD in their place for good: an export in Windows-1252 read as UTF-8 turns
 * "José" into "Jos�". Lines are numbered as the report numbers them (\r\n, \r or \n ends one).
 *
 * A single-byte encoding (windows-1252, latin1, iso-8859-15, ...) reads any bytes, so the
 * reverse mistake needs a look of its own (singleByteLines): a UTF-8 file read as one would
 * store "JosÃ©" for "José" without a word. A line whose bytes beyond ASCII all form UTF-8
 * characters, at least one of them, is refused as UTF-8; bytes the encoding maps to no character
 * or to a C1 control character (windows-1252's 0x81, 0x8D, 0x8F, 0x90, 0x9D; 0x80 to 0x9F in
 * the ISO 8859 ones), which no export writes as text, are refused as not text in it.
 */
export function decodeCsv(encoding = 'utf-8'): Transform {
  const decoder = csvTextDecoder(encoding);
  const singleByte = SINGLE_BYTE_ENCODINGS.has(decoder.encoding);
  // A single-byte encoding's lines are judged whole once they end (a line may end in a later chunk): decoded leniently
  // meanwhile, as a line refused then refuses the whole file before anything is written.
  const decode = singleByte ? new TextDecoder(decoder.encoding) : decoder;
  const judge = singleByte ? singleByteLineJudge(decoder.encoding) : null;
  let line = 1; // the line `rest` starts on
  let rest: Buffer = Buffer.alloc(0); // the bytes since the last line break
  let endsWithCr = false; // the bytes so far end with \r: a \n next ends no further line
  const unreadable = (at: number) =>
    new ImportException(
      ImportExceptionCode.UnreadableCsv,
      `Line ${at} is not ${decoder.encoding} text: is the file in another encoding${decoder.encoding === 'windows-1252' ? '' : ' (e.g. windows-1252)'}?`,
      { line: at, encoding: decoder.encoding },
    );
  const problem = (at: number, judged: LineJudgement) =>
    judged === 'no-text'
      ? unreadable(at)
      : new ImportException(
          ImportExceptionCode.UnreadableCsv,
          `Line ${at} looks like UTF-8, not ${decoder.encoding} text: its bytes beyond ASCII all form UTF-8 characters (${judged.sample}); the file seems to be UTF-8: leave out the encoding`,
          { line: at, encoding: decoder.encoding, looksLike: 'utf-8' },
        );
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
        text = decode.decode(chunk, { stream: true });
      } catch {
        return done(unreadable(firstUndecodableLine(decoder.encoding, Buffer.concat([rest, chunk]), line, endsWithCr)));
      }
      let restFrom = -1;
      for (let i = 0; i < chunk.length; i++) {
        const byte = chunk[i];
        if (byte === CR || (byte === LF && !(i === 0 ? endsWithCr : chunk[i - 1] === CR))) {
          // The line ends here (a \n after \r ends none: the line it would end is empty); it began in `rest` unless a break came before in this chunk.
          const judged = judge?.(restFrom < 0 ? Buffer.concat([rest, chunk.subarray(0, i)]) : chunk.subarray(restFrom, i));
          if (judged) return done(problem(line, judged));
          line++;
        }
        if (byte === CR || byte === LF) restFrom = i + 1;
      }
      if (chunk.length) endsWithCr = chunk[chunk.length - 1] === CR;
      rest = restFrom < 0 ? Buffer.concat([rest, chunk]) : chunk.subarray(restFrom);
      done(null, text || undefined);
    },
    flush(done) {
      // The last line, without a line break after it.
      const judged = judge?.(rest);
      if (judged) return done(problem(line, judged));
      try {
        done(null, decode.decode() || undefined);
      } catch {
        // A character cut off by the end of the file.
        done(unreadable(line));
      }
    },
  });
}

/**
 * The encodings (as TextDecoder names them) in which each byte is one character, whatever comes
 * before it (WHATWG's single-byte encodings; latin1, ascii and iso-8859-1 are windows-1252 there).
 */
const SINGLE_BYTE_ENCODINGS: ReadonlySet<string> = new Set([
  'ibm866', 'iso-8859-2', 'iso-8859-3', 'iso-8859-4', 'iso-8859-5', 'iso-8859-6', 'iso-8859-7', 'iso-8859-8', 'iso-8859-8-i', 'iso-8859-10',
  'iso-8859-13', 'iso-8859-14', 'iso-8859-15', 'iso-8859-16', 'koi8-r', 'koi8-u', 'macintosh', 'windows-874', 'windows-1250', 'windows-1251',
  'windows-1252', 'windows-1253', 'windows-1254', 'windows-1255', 'windows-1256', 'windows-1257', 'windows-1258', 'x-mac-cyrillic',
]);

/**
 * The encodings (as TextDecoder names them) files are exported in, which the import reads: UTF-8, the single-byte
 * ones, and the multi-byte ones of Chinese, Japanese and Korean exports. Not UTF-16 (refused apart), nor WHATWG's
 * x-user-defined (a byte-to-private-use mapping for binary data, no text) or `replacement`.
 */
const TEXT_ENCODINGS: ReadonlySet<string> = new Set(['utf-8', ...SINGLE_BYTE_ENCODINGS, 'gbk', 'gb18030', 'big5', 'euc-jp', 'iso-2022-jp', 'shift_jis', 'euc-kr']);

/** What is wrong with a line of a single-byte file: bytes that are no text in its encoding, or it looks like UTF-8 (the first such character, said). */
type LineJudgement = 'no-text' | { sample: string };

/**
 * Judges a line of a file in a single-byte `encoding`, given its bytes: null for a line that is fine. A line whose bytes
 * beyond ASCII all form well-formed UTF-8 characters, at least one, looks like UTF-8 (told by the strict UTF-8 decoder:
 * no overlong forms, no surrogates): a text in Windows-1252 or the like rarely does (an accented letter followed by just
 * the right one to three symbols), a UTF-8 one always. A byte the encoding maps to no character or to a C1 control
 * character is no text in it.
 */
function singleByteLineJudge(encoding: string): (line: Uint8Array) => LineJudgement | null {
  const noText = new Uint8Array(256);
  for (let byte = 0x80; byte <= 0xff; byte++) {
    let char: string | null;
    try {
      char = new TextDecoder(encoding, { fatal: true }).decode(Uint8Array.of(byte));
    } catch {
      char = null;
    }
    noText[byte] = char === null || /^[\u0080-\u009f]$/.test(char) ? 1 : 0;
  }
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const lenient = new TextDecoder(encoding);
  /** The first character beyond ASCII, said: as UTF-8, and as `encoding` reads its bytes. */
  const said = (char: string) => {
    const code = `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    if (INVISIBLE_OR_CONTROL.test(char)) return `the first is ${code}`;
    const read = lenient.decode(Buffer.from(char, 'utf8'));
    return `the first is "${char}"${INVISIBLE_OR_CONTROL.test(read) || read.includes('\ufffd') ? '' : `, which ${encoding} reads as "${read}"`}`;
  };
  return (line) => {
    if (!line.some((byte) => byte >= 0x80)) return null;
    let text: string | null;
    try {
      text = utf8.decode(line);
    } catch {
      text = null;
    }
    if (text !== null) return { sample: said([...text].find((c) => c.codePointAt(0)! >= 0x80)!) };
    return line.some((byte) => noText[byte] === 1) ? 'no-text' : null;
  };
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
