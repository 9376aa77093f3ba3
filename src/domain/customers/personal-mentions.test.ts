import { redact, type Identity } from './personal-mentions.js';

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
