import { AUDITED_INPUT_MAX_CHARS, auditedInput } from './steering-audit.service.js';
import { storableJson, storableText } from './storable.js';

describe('storable audit texts (QA 66 F5)', () => {
  it('replaces NUL characters and lone surrogate halves, keeps pairs and plain text', () => {
    expect(storableText('a\0b')).toBe('a\uFFFDb');
    expect(storableText('x\ud800y\udc00')).toBe('x\uFFFDy\uFFFD');
    expect(storableText('emoji 😀 ok')).toBe('emoji 😀 ok');
  });

  it('reaches every string and key of a JSON value, leaving other values as they are', () => {
    const at = new Date('2026-01-02T00:00:00Z');
    expect(storableJson({ 'k\0': ['\0', 1, null, { s: '\udfff' }], at, n: 2, ok: true })).toEqual({ 'k\uFFFD': ['\uFFFD', 1, null, { s: '\uFFFD' }], at, n: 2, ok: true });
    expect(JSON.stringify(storableJson({ a: '\ud800' }))).not.toMatch(/\\u(0000|d[89a-f])/i);
  });

  it('keeps a steering message input whole up to its bound, and the start of a longer one', () => {
    expect(auditedInput([{ note: 'nul\0' }])).toEqual([{ note: 'nul\uFFFD' }]);
    const long = auditedInput(['x'.repeat(AUDITED_INPUT_MAX_CHARS * 2)]) as { truncated: boolean; jsonLength: number; start: string };
    expect(long).toMatchObject({ truncated: true, jsonLength: AUDITED_INPUT_MAX_CHARS * 2 + 4 });
    expect(long.start).toHaveLength(AUDITED_INPUT_MAX_CHARS);
  });
});
