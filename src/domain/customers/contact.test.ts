import { canonicalLocale, isEmail, isTimeZone, LOCALE_PATTERN, normaliseEmail, PHONE } from './contact.js';

describe('contact rules', () => {
  it('accepts plain e-mail addresses and refuses malformed ones', () => {
    expect(isEmail('ana@example.com')).toBe(true);
    for (const bad of ['ana', 'ana@', '@example.com', 'ana@example', 'a na@example.com', `${'a'.repeat(250)}@x.io`]) expect(isEmail(bad)).toBe(false);
  });

  it('takes phone numbers as people write them, with an extension, and refuses words', () => {
    for (const good of ['+44 20 7946 0000', '(030) 123-456/7', '+49 30 1234567 ext. 5', '+1 212 555 0100 x123', '0800 123#7', '030 1234 Ext 12', '1-2-3']) expect(PHONE.test(good)).toBe(true);
    for (const bad of ['call me maybe', '12', '+49 30 1234567 ext.', '+49 30 1234567 ext. 1234567', 'ext. 5', '030 1234 ext 5 ext 6', '+++', '- - -', '((( )))', '+1 () ext. 55']) expect(PHONE.test(bad)).toBe(false);
  });

  it('knows IANA time zones', () => {
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
    // Current names the runtime lists under an older spelling, and aliases CRM exports use.
    for (const zone of ['Asia/Kolkata', 'Europe/Kyiv', 'America/Nuuk', 'US/Eastern', 'EST5EDT', 'Asia/Calcutta']) expect(isTimeZone(zone)).toBe(true);
    for (const zone of ['', '+05:30', 'Europe/Berlinn', 'GMT+99']) expect(isTimeZone(zone)).toBe(false);
  });

  it('normalises e-mail addresses for comparison', () => {
    expect(normaliseEmail('  Ana@Example.COM ')).toBe('ana@example.com');
  });

  it('takes BCP 47 language tags in their canonical form, and refuses anything else', () => {
    expect(canonicalLocale('de')).toBe('de');
    expect(canonicalLocale(' de-at ')).toBe('de-AT');
    expect(canonicalLocale('EN-gb')).toBe('en-GB');
    for (const bad of ['', 'de_AT', 'german', 'd', 'de-', '12']) expect(canonicalLocale(bad)).toBeNull();
    // The import checks the same shape in SQL.
    expect(new RegExp(LOCALE_PATTERN).test('de-AT')).toBe(true);
    expect(new RegExp(LOCALE_PATTERN).test('de_AT')).toBe(false);
  });
});
