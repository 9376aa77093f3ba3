import { customerOfUnsubscribeToken, unsubscribeToken, unsubscribeUrl, withUnsubscribeFooter } from './unsubscribe-link.js';

const customer = '0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b';
const secret = 'a-secret-of-at-least-thirty-two-characters';
const other = 'another-secret-of-thirty-two-characters!';

test('a token names its customer, and only the secret that signed it (or another accepted one) reads it', () => {
  const token = unsubscribeToken(secret, customer);
  expect(token).toMatch(/^0193a5b27c4d7e8f9a0b1c2d3e4f5a6b\.[A-Za-z0-9_-]{22}$/);
  expect(customerOfUnsubscribeToken([secret], token)).toBe(customer);
  expect(customerOfUnsubscribeToken([other], token)).toBeNull();
  // Rotation: a new signing secret first, the old one still accepted.
  expect(customerOfUnsubscribeToken([other, secret], token)).toBe(customer);
  expect(unsubscribeToken(secret, customer.toUpperCase())).toBe(token);
});

test('a token for another customer, a changed MAC or anything malformed is refused', () => {
  const token = unsubscribeToken(secret, customer);
  const [hex, tag] = token.split('.');
  const otherCustomer = `${hex.slice(0, 31)}${hex[31] === 'b' ? 'c' : 'b'}`;
  expect(customerOfUnsubscribeToken([secret], `${otherCustomer}.${tag}`)).toBeNull();
  const flipped = `${tag.slice(0, 5)}${tag[5] === 'A' ? 'B' : 'A'}${tag.slice(6)}`;
  expect(customerOfUnsubscribeToken([secret], `${hex}.${flipped}`)).toBeNull();
  for (const bad of [undefined, 42, '', hex, `${hex}.`, `${hex}.${tag}x`, `${hex.toUpperCase()}.${tag}`, `${hex}.${tag}`.replace('.', '..'), ['a']]) {
    expect(customerOfUnsubscribeToken([secret], bad)).toBeNull();
  }
  expect(() => unsubscribeToken(secret, 'not-a-customer')).toThrow('not a customer ID');
});

test('only the spelling this system writes is its link: the unused low bits of the last character must be zero', () => {
  const token = unsubscribeToken(secret, customer);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet.indexOf(token.at(-1)!);
  expect(last % 4).toBe(0);
  // The same 128 bits, written with other low bits: decodes to the same MAC, but is not the link sent.
  for (const low of [1, 2, 3]) expect(customerOfUnsubscribeToken([secret], token.slice(0, -1) + alphabet[last + low])).toBeNull();
});

test('the link points at the public URL, and the footer says in the message language why it came and how to stop it', () => {
  const url = unsubscribeUrl({ publicUrl: 'https://retention.example.com', secrets: [secret, other] }, customer);
  expect(url).toBe(`https://retention.example.com/unsubscribe?token=${unsubscribeToken(secret, customer)}`);
  expect(withUnsubscribeFooter('Hello', url, 'en')).toBe(`Hello\n\n--\nYou receive this because you agreed to hear from us. To receive no more of these messages: ${url}`);
  expect(withUnsubscribeFooter('Hallo', url, 'de')).toContain(`eingewilligt haben, von uns zu hören. Wenn Sie keine solchen Nachrichten mehr erhalten möchten: ${url}`);
  expect(withUnsubscribeFooter('Bonjour', url, 'fr')).toContain('You receive this because');
});
