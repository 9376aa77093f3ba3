import { redact, type Identity } from './personal-mentions.js';

const priya: Identity = { names: ['Priya Larsen', 'Priya L. Hansen'], emails: ['priya.larsen.104@example.com'], phones: ['+44 20 7946 0001'] };

describe('redact', () => {
  it('takes out a word of any name they had, in any case, as a whole word, and keeps the rest', () => {
    expect(redact('Priya Larsen asked by phone not to be mailed', priya)).toBe('[erased] [erased] asked by phone not to be mailed');
    expect(redact('erasure request 4711 of LARSEN', priya)).toBe('erasure request 4711 of [erased]');
    expect(redact('as Ms Hansen asked', priya)).toBe('as Ms [erased] asked');
    // Inside another word, or a single letter, it is no name.
    expect(redact('the Larsenal account', priya)).toBe('the Larsenal account');
    expect(redact('Art. 17 request L', priya)).toBe('Art. 17 request L');
    expect(redact('the customer upgraded; keep the account', priya)).toBe('the customer upgraded; keep the account');
  });

  it('takes out an e-mail address they had anywhere in the text', () => {
    expect(redact('ticket from PRIYA.LARSEN.104@EXAMPLE.COM today', priya)).toBe('ticket from [erased] today');
    expect(redact('ticket from someone@example.com', priya)).toBe('ticket from someone@example.com');
  });

  it('takes out their phone number however it is written, by its last seven digits', () => {
    expect(redact('called back on 020-7946-0001.', priya)).toBe('called back on [erased].');
    expect(redact('called back on +44 (0)20 7946 0001 twice', priya)).toBe('called back on [erased] twice');
    expect(redact('called back on (020) 7946 0001', priya)).toBe('called back on [erased]');
    // A ticket's number beside it stays.
    expect(redact('ticket 4711 020 7946 0001', priya)).toBe('ticket 4711 [erased]');
    expect(redact('ticket 4711, +44 20 7946 0001', priya)).toBe('ticket 4711, [erased]');
    expect(redact('ticket 4711, 2 calls', priya)).toBe('ticket 4711, 2 calls');
  });

  it('finds a part of a double-barrelled name, other apostrophes, and names written without their accents', () => {
    const anna: Identity = { names: ["Anna Schmidt-Weber", "Seán O'Brien", 'Zoë Müller', '山田 太郎'], emails: [], phones: [] };
    expect(redact('Frau Schmidt rief an', anna)).toBe('Frau [erased] rief an');
    expect(redact('Weber-Schmidt asked', anna)).toBe('[erased] asked');
    expect(redact('Mr O’Brien and Sean', anna)).toBe('Mr [erased] and [erased]');
    expect(redact('Muller, zoe', anna)).toBe('[erased], [erased]');
    expect(redact('山田 asked', anna)).toBe('[erased] asked');
    expect(redact('Annabel asked', anna)).toBe('Annabel asked');
    // Letters that are no accented letter, written plain.
    const lukasz: Identity = { names: ['Łukasz Wałęsa', 'Søren Strauß'], emails: [], phones: [] };
    expect(redact('Lukasz Walesa called; Soren Strauss too', lukasz)).toBe('[erased] [erased] called; [erased] [erased] too');
  });

  it('changes nothing without names, addresses or numbers, nor for a short phone number', () => {
    expect(redact('anything at all, 112', { names: [], emails: [''], phones: ['112'] })).toBe('anything at all, 112');
  });
});
