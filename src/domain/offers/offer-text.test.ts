import { messagesLanguage } from './offer-text.js';

describe('messagesLanguage', () => {
  it('is the code a customer locale keeps for the language, which messages choose an offer name by', () => {
    for (const code of ['de', 'fr', 'gsw', 'fil']) expect(messagesLanguage(code)).toBe(code);
    // Other codes of the same language: a customer's locale never starts with them.
    expect(messagesLanguage('deu')).toBe('de');
    expect(messagesLanguage('ger')).toBe('de');
    expect(messagesLanguage('fra')).toBe('fr');
    expect(messagesLanguage('iw')).toBe('he');
    expect(messagesLanguage('tl')).toBe('fil');
    expect(messagesLanguage('sh')).toBe('sr');
  });

  it('is null for what is no language tag', () => {
    for (const bad of ['', 'd', 'deutsch', '12']) expect(messagesLanguage(bad)).toBeNull();
  });
});
