import { inputSaysOtherwise } from './steering-input.js';

describe('a signal that takes no input', () => {
  it('is a yes without input, or with one that plainly says yes: true, "yes", { confirmed: true } (a note beside it too), a note alone', () => {
    for (const args of [[], [undefined], [null], [true], [' Yes '], ['ok'], [{ note: 'called, all fine' }], [{ confirmed: true, note: 'ok', by: 'ana' }]]) {
      expect(inputSaysOtherwise('welcomeConfirmed', 'confirmed', args)).toBeNull();
    }
  });

  it('is no yes with any other input, and says why', () => {
    const no = [[false], ['no'], ['No.'], ['nope'], ['the router does not work'], [0], [[false]], [{ confirmed: false }], [{ confirmed: 'true' }], [{ ok: false }], [{ status: 'broken' }], [{ note: 'x' }, false], [{ note: 42 }]];
    for (const args of no) expect(inputSaysOtherwise('welcomeConfirmed', 'confirmed', args)).toBe('welcomeConfirmed takes no input, or one that says yes (true, "yes", { "confirmed": true } or a { "note": "…" } alone); this one does not: not taken as a yes');
    // The input is not quoted: what it says of the customer stays in the audit entry's input, which an erasure scrubs.
    expect(inputSaysOtherwise('issueResolved', 'resolved', [{ resolved: false, note: 'Ada King called' }])).not.toContain('Ada');
  });
});
