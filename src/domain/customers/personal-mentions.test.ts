import { mentions, type Identity } from './personal-mentions.js';

const priya: Identity = { names: ['Priya Larsen', 'Priya L. Hansen'], emails: ['priya.larsen.104@example.com'], phones: ['+44 20 7946 0001'] };

describe('mentions', () => {
  it('finds the customer by a word of any name they had, in any case, as a whole word', () => {
    expect(mentions('Priya Larsen asked by phone not to be mailed', priya)).toBe(true);
    expect(mentions('erasure request of LARSEN', priya)).toBe(true);
    expect(mentions('as Ms Hansen asked', priya)).toBe(true);
    // Inside another word, or a single letter, it is no name.
    expect(mentions('the Larsenal account', priya)).toBe(false);
    expect(mentions('Art. 17 request L', priya)).toBe(false);
    expect(mentions('the customer upgraded; keep the account', priya)).toBe(false);
  });

  it('finds an e-mail address they had anywhere in the text', () => {
    expect(mentions('ticket from PRIYA.LARSEN.104@EXAMPLE.COM', priya)).toBe(true);
    expect(mentions('ticket from someone@example.com', priya)).toBe(false);
  });

  it('finds their phone number however it is written, by its last seven digits', () => {
    expect(mentions('called back on 020-7946-0001', priya)).toBe(true);
    expect(mentions('called back on (0)20 7946 0001.', priya)).toBe(true);
    expect(mentions('ticket 4711, 2 calls', priya)).toBe(false);
  });

  it('reads names in any script and with accents', () => {
    const zoe: Identity = { names: ['Zoë Ölçer', '山田 太郎'], emails: [], phones: [] };
    expect(mentions('Erasure for zoë', zoe)).toBe(true);
    expect(mentions('ÖLÇER asked', zoe)).toBe(true);
    expect(mentions('山田 asked', zoe)).toBe(true);
    expect(mentions('Zoe asked', zoe)).toBe(false);
  });

  it('knows no mention without names, addresses or numbers, nor from a short phone number', () => {
    expect(mentions('anything at all', { names: [], emails: [''], phones: ['112'] })).toBe(false);
  });
});
