import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { csvTextDecoder, decodeCsv } from './csv-decoding.js';
import { ImportExceptionCode } from './import.exception.js';

/** The text `bytes` decode to, fed in chunks of `size` bytes (characters and line breaks cut anywhere). */
async function decode(bytes: Buffer, size: number, encoding?: string): Promise<string> {
  const chunks = Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
  let text = '';
  await pipeline(Readable.from(chunks), decodeCsv(encoding), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) text += chunk.toString('utf8');
  });
  return text;
}

const sizes = [1, 2, 3, 5, 64 * 1024];

describe('decodeCsv', () => {
  it('passes UTF-8 through, whatever the chunks cut', async () => {
    const text = 'customer_ref,name\r\nA-1,Zoë Ångström 😀\nA-2,"two\rlines"\n';
    for (const size of sizes) expect(await decode(Buffer.from(text), size)).toBe(text);
  });

  it('refuses bytes that are not UTF-8, naming their line however lines end and chunks cut', async () => {
    const latin1 = (text: string) => Buffer.from(text, 'latin1');
    for (const [bytes, line] of [
      [latin1('ref,name\nA-1,Ann\nA-2,José\nA-3,Müller\n'), 3],
      [latin1('ref,name\r\nA-1,Ann\r\n\r\nA-2,Müller\r\n'), 4],
      [latin1('ref,name\rA-1,Ann\rA-2,José'), 3],
      [Buffer.concat([Buffer.from('ref,name\nA-1,'), Buffer.from([0xe2, 0x82])]), 2], // cut off by the end of the file
    ] as const) {
      for (const size of sizes) {
        await expect(decode(bytes, size)).rejects.toMatchObject({
          code: ImportExceptionCode.UnreadableCsv,
          message: `Line ${line} is not utf-8 text: is the file in another encoding (e.g. windows-1252)?`,
          details: { line, encoding: 'utf-8' },
        });
      }
    }
  });

  it('reads Windows-1252 and Latin-1 when told', async () => {
    const bytes = Buffer.from([...Buffer.from('A-1,Jos'), 0xe9, 0x20, 0x4d, 0xfc, ...Buffer.from('ller,'), 0x80, 0x0a]);
    for (const encoding of ['windows-1252', 'latin1', 'ISO-8859-1']) {
      for (const size of sizes) expect(await decode(bytes, size, encoding)).toBe('A-1,José Müller,€\n');
    }
  });

  it('refuses a UTF-8 file read as a single-byte encoding, naming the first line that looks like UTF-8, however lines end and chunks cut', async () => {
    const utf8 = (text: string) => Buffer.from(text, 'utf8');
    for (const [bytes, line, sample] of [
      [utf8('ref,name\nA-1,Ann\nA-2,José Müller\n'), 3, '"é", which windows-1252 reads as "Ã©"'],
      [utf8('ref,name\r\nA-1,Ann\r\n\r\nA-2,Zoë'), 4, '"ë", which windows-1252 reads as "Ã«"'],
      [utf8('ref,name\rA-1,😀 Ann\r'), 2, '"😀", which windows-1252 reads as "ðŸ˜€"'],
      // Á is C3 81 in UTF-8, and 0x81 no windows-1252 text: it is said to look like UTF-8, the more useful of the two.
      [utf8('ref,name\nA-1,Ágnes\n'), 2, '"Á"'],
      // A zero-width space is named by its code point.
      [utf8('ref,name\nA-1\u200b,Ann\n'), 2, 'U+200B'],
    ] as const) {
      for (const size of sizes) {
        await expect(decode(bytes, size, 'latin1')).rejects.toMatchObject({
          code: ImportExceptionCode.UnreadableCsv,
          message: `Line ${line} looks like UTF-8, not windows-1252 text: its bytes beyond ASCII all form UTF-8 characters (the first is ${sample}); the file seems to be UTF-8: leave out the encoding`,
          details: { line, encoding: 'windows-1252', looksLike: 'utf-8' },
        });
      }
    }
    // Any single-byte encoding named: ISO 8859-15, Windows-1250 (Central European), KOI8-R (Cyrillic).
    for (const encoding of ['iso-8859-15', 'windows-1250', 'koi8-r']) {
      await expect(decode(utf8('ref,name\nA-1,Łukasz Żółw\n'), 3, encoding)).rejects.toMatchObject({ details: { line: 2, encoding, looksLike: 'utf-8' } });
    }
  });

  it('reads a single-byte file whose line has some bytes that pair up as UTF-8 but not all of them, and byte runs UTF-8 does not allow', async () => {
    const cp1252 = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
    for (const [bytes, text] of [
      // "CAFÉ”" is C9 94, a UTF-8 character, but "Müller" is not UTF-8: the line is Windows-1252.
      [cp1252('A-1,CAF', [0xc9, 0x94], ' M', [0xfc], 'ller\n'), 'A-1,CAFÉ” Müller\n'],
      // A lead byte cut off by the line's end, an overlong form (C0 AF), a surrogate (ED A0 80) and a code point past U+10FFFF (F4 A0 80 80).
      [cp1252('A-1,', [0xc3], '\nA-2,', [0xc0, 0xaf], '\nA-3,', [0xed, 0xa0, 0x80], '\nA-4,', [0xf4, 0xa0, 0x80, 0x80], '\n'), 'A-1,Ã\nA-2,À¯\nA-3,í\u00a0€\nA-4,ô\u00a0€€\n'],
    ] as const) {
      for (const size of sizes) expect(await decode(bytes, size, 'windows-1252')).toBe(text);
    }
  });

  it('refuses bytes a single-byte encoding maps to C1 control characters, or to none, naming their line', async () => {
    for (const byte of [0x81, 0x8d, 0x8f, 0x90, 0x9d]) {
      const bytes = Buffer.concat([Buffer.from('ref,name\r\nA-1,Ann\r\nA-2,bad '), Buffer.from([byte]), Buffer.from(' byte\r\nA-3,José\r\n')]);
      for (const size of sizes) {
        await expect(decode(bytes, size, 'windows-1252')).rejects.toMatchObject({
          code: ImportExceptionCode.UnreadableCsv,
          message: 'Line 3 is not windows-1252 text: is the file in another encoding?',
          details: { line: 3, encoding: 'windows-1252' },
        });
      }
    }
    // A Windows-1252 export's € (0x80) read as ISO 8859-15, whose 0x80 is a control character.
    await expect(decode(Buffer.from([...Buffer.from('ref,amount\nA-1,5 '), 0x80]), 2, 'iso-8859-15')).rejects.toMatchObject({
      message: 'Line 2 is not iso-8859-15 text: is the file in another encoding (e.g. windows-1252)?',
      details: { line: 2, encoding: 'iso-8859-15' },
    });
    // A byte Windows-1253 (Greek) has no character for (0xAA), before a line that looks like UTF-8: the first is named.
    const greek = Buffer.concat([Buffer.from('ref,name\nA-1,'), Buffer.from([0xaa]), Buffer.from('\nA-2,'), Buffer.from('José', 'utf8'), Buffer.from('\n')]);
    for (const size of sizes) await expect(decode(greek, size, 'windows-1253')).rejects.toMatchObject({ details: { line: 2, encoding: 'windows-1253' } });
  });
});

describe('csvTextDecoder', () => {
  it('takes WHATWG labels, and refuses unknown ones and UTF-16 (lines are counted by their bytes)', () => {
    expect(csvTextDecoder('latin1').encoding).toBe('windows-1252');
    expect(() => csvTextDecoder('klingon')).toThrow(/"klingon" encoding is not supported/);
    expect(() => csvTextDecoder('utf-16le')).toThrow(/UTF-16, which the import does not read/);
  });

  it('takes the text encodings files are exported in, and refuses as IMPORT_UNKNOWN_ENCODING those that are none (x-user-defined, replacement)', () => {
    for (const [label, name] of [['utf8', 'utf-8'], ['iso-8859-15', 'iso-8859-15'], ['windows-1250', 'windows-1250'], ['shift_jis', 'shift_jis'], ['gb18030', 'gb18030'], ['big5', 'big5'], ['euc-kr', 'euc-kr'], ['x-mac-roman', 'macintosh']]) {
      expect(csvTextDecoder(label).encoding).toBe(name);
    }
    // x-user-defined maps bytes 0x80-0xFF to private-use characters: latin1's "é" would be stored as U+F7E9.
    expect(() => csvTextDecoder('x-user-defined')).toThrow('"x-user-defined" is no text encoding a file is exported in (x-user-defined reads bytes 0x80-0xFF as private-use characters): name the file\'s own, e.g. windows-1252');
    expect(() => csvTextDecoder('replacement')).toThrow('The "replacement" encoding is not supported');
    // A label WHATWG maps to replacement is refused under its own name.
    expect(() => csvTextDecoder('iso-2022-kr')).toThrow('The "iso-2022-kr" encoding is not supported (it decodes to nothing but U+FFFD: save the file as UTF-8)');
    for (const label of ['x-user-defined', 'replacement', 'klingon', 'utf-16le']) {
      expect(() => csvTextDecoder(label)).toThrow(expect.objectContaining({ code: ImportExceptionCode.UnknownEncoding, kind: 'VALIDATION', details: { field: 'encoding', encoding: label } }));
    }
  });
});
