import { inputSaysOtherwise } from './steering-input.js';

describe('a signal that takes no input', () => {
  it('is a yes without input, with true or with a note', () => {
    for (const args of [[], [undefined], [null], [true], [{ note: 'called, all fine' }], [{ confirmed: true, note: 'ok' }], ['yes']]) expect(inputSaysOtherwise('welcomeConfirmed', 'confirmed', args)).toBeNull();
  });

  it('is no yes with an input that says otherwise, and says why', () => {
    for (const args of [[false], ['no'], [' False '], [0], [{ confirmed: false }], [{ confirmed: 'false', note: 'router broken' }], [{ note: 'x' }, false]]) {
      expect(inputSaysOtherwise('welcomeConfirmed', 'confirmed', args)).toMatch(/^welcomeConfirmed takes no input, and this one says otherwise \(.+\): not taken as a yes$/);
    }
    expect(inputSaysOtherwise('issueResolved', 'resolved', [{ resolved: null }])).toBe('issueResolved takes no input, and this one says otherwise ({"resolved":null}): not taken as a yes');
    expect(inputSaysOtherwise('issueResolved', 'resolved', [{ resolved: false, note: 'x'.repeat(200) }])).toContain(`(${JSON.stringify({ resolved: false, note: "x".repeat(200) }).slice(0, 79)}…)`);
  });
});
