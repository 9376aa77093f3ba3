import { isEmail, isTimeZone, normaliseEmail } from './contact.js';

describe('contact rules', () => {
  it('accepts plain e-mail addresses and refuses malformed ones', () => {
    expect(isEmail('ana@example.com')).toBe(true);
    for (const bad of ['ana', 'ana@', '@example.com', 'ana@example', 'a na@example.com', `${'a'.repeat(250)}@x.io`]) expect(isEmail(bad)).toBe(false);
  });

  it('knows IANA time zones', () => {
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });

  it('normalises e-mail addresses for comparison', () => {
    expect(normaliseEmail('  Ana@Example.COM ')).toBe('ana@example.com');
  });
});
