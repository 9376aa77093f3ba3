import { offerNameIn } from './offer-text.js';

describe('offerNameIn', () => {
  const offer = { name: 'Loyalty discount', translatedNames: { de: 'Treuerabatt' } };

  it("quotes the offer by its translation into the message's language", () => {
    expect(offerNameIn(offer, 'de')).toBe('Treuerabatt');
  });

  it('falls back to its own name for a language it has no translation into, or without translations', () => {
    expect(offerNameIn(offer, 'en')).toBe('Loyalty discount');
    expect(offerNameIn(offer, 'fr')).toBe('Loyalty discount');
    expect(offerNameIn({ name: 'Loyalty discount', translatedNames: null }, 'de')).toBe('Loyalty discount');
  });
});
