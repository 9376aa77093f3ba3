import { longestNamePart, redact, redactFullMentions, type Identity } from './personal-mentions.js';

const priya: Identity = { names: ['Priya Larsen', 'Priya L. Hansen'], emails: ['priya.larsen.104@example.com'], phones: ['+44 20 7946 0001'] };

/** Each text as `redact` leaves it for `identity`: [text, redacted]. */
const expectRedacted = (identity: Identity, cases: Array<[text: string, redacted: string]>) => {
  for (const [text, redacted] of cases) expect([text, redact(text, identity)]).toEqual([text, redacted]);
};

describe('redact', () => {
  it('takes out a word of any name they had, in any case, as a whole word, and keeps the rest', () => {
    expectRedacted(priya, [
      ['Priya Larsen asked by phone not to be mailed', '[erased] [erased] asked by phone not to be mailed'],
      ['erasure request 4711 of LARSEN', 'erasure request 4711 of [erased]'],
      ['as Ms Hansen asked', 'as Ms [erased] asked'],
      // Inside another word, or a single letter, it is no name.
      ['the Larsenal account', 'the Larsenal account'],
      ['Art. 17 request L', 'Art. 17 request L'],
      ['the customer upgraded; keep the account', 'the customer upgraded; keep the account'],
    ]);
  });

  it('takes out an e-mail address they had anywhere in the text', () => {
    expectRedacted(priya, [
      ['ticket from PRIYA.LARSEN.104@EXAMPLE.COM today', 'ticket from [erased] today'],
      ['ticket from someone@example.com', 'ticket from someone@example.com'],
    ]);
  });

  it('takes out their phone number however it is written, by its last seven digits', () => {
    expectRedacted(priya, [
      ['called back on 020-7946-0001.', 'called back on [erased].'],
      ['called back on +44 (0)20 7946 0001 twice', 'called back on [erased] twice'],
      ['called back on (020) 7946 0001', 'called back on [erased]'],
      // A ticket's number beside it stays.
      ['ticket 4711 020 7946 0001', 'ticket 4711 [erased]'],
      ['ticket 4711, +44 20 7946 0001', 'ticket 4711, [erased]'],
      ['ticket 4711, 2 calls', 'ticket 4711, 2 calls'],
    ]);
  });

  it('finds a part of a double-barrelled name, other apostrophes, and names written without their accents', () => {
    const anna: Identity = { names: ['Anna Schmidt-Weber', "Seán O'Brien", 'Zoë Müller', '山田 太郎'], emails: [], phones: [] };
    expectRedacted(anna, [
      ['Frau Schmidt rief an', 'Frau [erased] rief an'],
      ['Weber-Schmidt asked', '[erased] asked'],
      ['Mr O’Brien and Sean', 'Mr [erased] and [erased]'],
      ['Muller, zoe', '[erased], [erased]'],
      ['山田 asked', '[erased] asked'],
      ['Annabel asked', 'Annabel asked'],
    ]);
    // Letters that are no accented letter, written plain.
    const lukasz: Identity = { names: ['Łukasz Wałęsa', 'Søren Strauß'], emails: [], phones: [] };
    expectRedacted(lukasz, [['Lukasz Walesa called; Soren Strauss too', '[erased] [erased] called; [erased] [erased] too']]);
  });

  it('changes nothing without names, addresses or numbers, nor for a short phone number', () => {
    expectRedacted({ names: [], emails: [''], phones: ['112'] }, [['anything at all, 112', 'anything at all, 112']]);
  });
});

describe('redactFullMentions', () => {
  const mateo: Identity = { names: ['Mateo Yilmaz-Oberholzer', 'Mateo Yilmaz', 'Priya L. Hansen'], emails: ['mateo.private@gmx.de'], phones: ['+49 170 5551234'] };
  const expectFull = (identity: Identity, cases: Array<[text: string, redacted: string]>) => {
    for (const [text, redacted] of cases) expect([text, redactFullMentions(text, identity)]).toEqual([text, redacted]);
  };

  it('takes out a name they had when all its words are written in order, however spaced, hyphenated or accented', () => {
    expectFull(mateo, [
      ['for Mateo Yilmaz-Oberholzer', 'for [erased]'],
      ['for MATEO  yilmaz oberholzer, VIP', 'for [erased], VIP'],
      ['Mateo-Yilmaz–Oberholzer and Mateo Yılmaz', '[erased] and [erased]'],
      ["Mateo Yilmaz's renewal", "[erased]'s renewal"],
      ['as Priya L. Hansen asked', 'as [erased] asked'],
    ]);
  });

  it('keeps a first name or a surname alone, the words in another order, and names inside other words', () => {
    expectFull(mateo, [
      ['qa60 campaign for Oberholzer', 'qa60 campaign for Oberholzer'],
      ['Mateo and friends', 'Mateo and friends'],
      ['Yilmaz-Oberholzer family', 'Yilmaz-Oberholzer family'],
      ['Yilmaz, Mateo', 'Yilmaz, Mateo'],
      ['Mateo, Yilmaz and others', 'Mateo, Yilmaz and others'],
      ['Mateo Yilmazer', 'Mateo Yilmazer'],
      ['Priya Hansen', 'Priya Hansen'],
    ]);
  });

  it('takes out their e-mail addresses and phone numbers as redact does', () => {
    expectFull(mateo, [
      ['campaign for MATEO.PRIVATE@GMX.DE', 'campaign for [erased]'],
      ['called 0170 555 1234 about it', 'called [erased] about it'],
      ['everyone at gmx.de', 'everyone at gmx.de'],
    ]);
  });

  it('changes nothing without names, addresses or numbers', () => {
    expectFull({ names: ['', 'J'], emails: [], phones: [] }, [['J and everyone', 'J and everyone']]);
  });

  it('knows the longest part of a name, folded, as the database is first searched for it', () => {
    expect(['Mateo Yilmaz-Oberholzer', 'Łukasz Wałęsa', 'J', '山田 太郎'].map(longestNamePart)).toEqual(['oberholzer', 'lukasz', null, '山田']);
  });

  it('folds a final sigma as any sigma, as the database folds a whole text: lower-casing gives σ before an apostrophe and a letter', () => {
    // The database lower-cases "ΠΑΠΑΔΟΠΟΥΛΟΣ'S" to "παπαδοπουλοσ's": the part it looks for must hold σ there too.
    expect(longestNamePart('Νίκος Παπαδόπουλος')).toBe('παπαδοπουλοσ');
    expectFull({ names: ['Νίκος Παπαδόπουλος'], emails: [], phones: [] }, [
      ["ΝΙΚΟΣ ΠΑΠΑΔΟΠΟΥΛΟΣ'S renewal", "[erased]'S renewal"],
      ['για τον Νίκοσ Παπαδόπουλοσ', 'για τον [erased]'],
      ['Νίκος alone', 'Νίκος alone'],
    ]);
  });
});
