import { characterCount, echoed, echoedList, echoedValue, hiddenCharacter, hiddenCharacterProblem, MAX_ECHO, MAX_ECHOED_VALUES, MAX_REASON, readableName, reasonProblem } from './text.js';

it('takes a reason of one to MAX_REASON characters, trimmed', () => {
  expect(reasonProblem('  customer asked by letter  ', 'needs a reason')).toBeNull();
  expect(reasonProblem(`${'x'.repeat(MAX_REASON)}   `, 'needs a reason')).toBeNull();
});

it('says what is wrong with an empty or a too long reason', () => {
  expect(reasonProblem(' \n ', 'An erasure needs a reason')).toBe('An erasure needs a reason');
  expect(reasonProblem('x'.repeat(MAX_REASON + 1), 'needs a reason')).toBe(`A reason is at most ${MAX_REASON} characters (this one has ${MAX_REASON + 1})`);
});

it('counts an emoji or a letter beyond the Basic Multilingual Plane as one character, as its writer does', () => {
  expect(characterCount('Grüße 👋𝔄')).toBe(8);
  expect('Grüße 👋𝔄'.length).toBe(10);
  expect(reasonProblem('👋'.repeat(MAX_REASON), 'needs a reason')).toBeNull();
  expect(reasonProblem('👋'.repeat(MAX_REASON + 1), 'needs a reason')).toBe(`A reason is at most ${MAX_REASON} characters (this one has ${MAX_REASON + 1})`);
});

it('quotes a short value whole and a long one by its start and length, never half an emoji', () => {
  expect(echoed('2026-12-10')).toBe('2026-12-10');
  expect(echoed('x'.repeat(MAX_ECHO))).toBe('x'.repeat(MAX_ECHO));
  expect(echoed(`2026-12-1${'0'.repeat(1_500_000)}`)).toBe(`2026-12-1${'0'.repeat(MAX_ECHO - 9)}… (1500009 characters)`);
  expect(echoed(`${'x'.repeat(MAX_ECHO - 1)}👋👋`)).toBe(`${'x'.repeat(MAX_ECHO - 1)}… (${MAX_ECHO + 1} characters)`);
  expect(echoedValue(['2026-12-10'])).toBe('["2026-12-10"]');
  expect(echoedValue(undefined)).toBe('undefined');
  expect(echoedValue({ until: 'y'.repeat(100) }).length).toBeLessThan(100);
});

it('names a list of values each once, each cut as echoed cuts it, and at most MAX_ECHOED_VALUES of them and how many more', () => {
  expect(echoedList(['High', 'hihg', 'High'])).toBe('"High", "hihg"');
  expect(echoedList(['x'.repeat(1_000_000)])).toBe(`"${'x'.repeat(MAX_ECHO)}… (1000000 characters)"`);
  const many = Array.from({ length: 200_000 }, (_, i) => `typo-${i}`);
  expect(echoedList(many)).toBe(`${many.slice(0, MAX_ECHOED_VALUES).map((v) => `"${v}"`).join(', ')} and ${200_000 - MAX_ECHOED_VALUES} more`);
  expect(echoedList([...many, ...many]).endsWith(` and ${200_000 - MAX_ECHOED_VALUES} more`)).toBe(true);
});

it('finds the first control or invisible character of a name, by its code point', () => {
  expect(hiddenCharacter('abc\u0001\u001b[31mred\u0007')).toBe('U+0001');
  expect(hiddenCharacter('\u202Eevil')).toBe('U+202E');
  expect(hiddenCharacter('\u200B')).toBe('U+200B');
  expect(hiddenCharacter('l1\nl2')).toBe('U+000A');
  expect(hiddenCharacter('a\u2028b')).toBe('U+2028');
  expect(hiddenCharacter('👨‍👩‍👧')).toBe('U+200D');
  for (const name of ["Zoë O'Brien-Łukasz", '山田 太郎', 'محمد', 'Ἀλέξανδρος', 'Nguyễn Thị Minh Khai', 'श्रीनिवास', '😀 fans']) expect(hiddenCharacter(name)).toBeNull();
  expect(hiddenCharacterProblem('Spring\u200B', "A segment's name")).toBe("A segment's name holds no control or invisible characters (line breaks, tabs, zero-width or direction marks; this one has U+200B)");
  expect(hiddenCharacterProblem('Spring', "A segment's name")).toBeNull();
});

it("takes a joiner between two characters that show in a person's name (Persian, emoji), and no other", () => {
  const joiners = { joiners: true };
  for (const name of ['حسین\u200Cزاده', 'മലയാ\u200Dളം', 'Ana 👩\u200D💻']) {
    expect(hiddenCharacter(name)).not.toBeNull();
    expect(hiddenCharacter(name, joiners)).toBeNull();
  }
  for (const [name, code] of [['\u200C', 'U+200C'], ['ab\u200C', 'U+200C'], ['a \u200Db', 'U+200D'], ['a\u200C\u200Cb', 'U+200C'], ['a\u200Bb', 'U+200B'], ['\u202Eevil', 'U+202E']]) {
    expect(hiddenCharacter(name, joiners)).toBe(code);
  }
});

it('reads a name as people read it: NFKC, a run of spaces as one, trimmed; letters and case kept', () => {
  expect(readableName(' Ｇru\u0308ne \u00a0Kunden\u3000')).toBe('Gr\u00fcne Kunden');
  expect(readableName('ﬁnance²')).toBe('finance2');
  expect(readableName('Grüne Kunden')).toBe('Grüne Kunden');
  expect(readableName('ΑΒΓ  Ελλάδα')).toBe('ΑΒΓ Ελλάδα');
});
