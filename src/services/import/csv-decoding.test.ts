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
});

describe('csvTextDecoder', () => {
  it('takes WHATWG labels, and refuses unknown ones and UTF-16 (lines are counted by their bytes)', () => {
    expect(csvTextDecoder('latin1').encoding).toBe('windows-1252');
    expect(() => csvTextDecoder('klingon')).toThrow(/"klingon" encoding is not supported/);
    expect(() => csvTextDecoder('utf-16le')).toThrow(/UTF-16, which the import does not read/);
  });
});
