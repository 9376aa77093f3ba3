import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Every marketing message carries a link that unsubscribes its reader at once, with no login
 * and no password (RFC 8058 one-click, and the law on marketing e-mail). The link names the
 * customer and proves that this system wrote it: a keyed MAC of the customer's ID, so
 * nobody can unsubscribe someone else by guessing. Links do not expire (an old e-mail must
 * still work); several secrets can be accepted at once, so the signing one can be rotated.
 */
export interface UnsubscribeLinks {
  /** Where customers reach the API, e.g. https://retention.example.com (no trailing slash). */
  publicUrl: string;
  /** The first signs new links; every one is accepted. */
  secrets: readonly string[];
}

export const UNSUBSCRIBE_PATH = '/unsubscribe';
/** Who the audit log names for an opt-out through the link: the customer themself. */
export const UNSUBSCRIBE_ACTOR = 'customer:unsubscribe-link';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TOKEN = /^([0-9a-f]{32})\.([A-Za-z0-9_-]{22})$/;

function mac(secret: string, customerHex: string): Buffer {
  return createHmac('sha256', secret).update(`unsubscribe:${customerHex}`).digest().subarray(0, 16);
}

/** The customer's token: their ID (hex, no dashes) and a 128-bit MAC of it. */
export function unsubscribeToken(secret: string, customerId: string): string {
  const id = customerId.toLowerCase();
  if (!UUID.test(id)) throw new Error(`not a customer ID: ${customerId}`);
  const hex = id.replace(/-/g, '');
  return `${hex}.${mac(secret, hex).toString('base64url')}`;
}

/** The link to put into a marketing message to this customer. */
export function unsubscribeUrl(links: UnsubscribeLinks, customerId: string): string {
  return `${links.publicUrl}${UNSUBSCRIBE_PATH}?token=${unsubscribeToken(links.secrets[0], customerId)}`;
}

/** The customer a token was made for, or null for anything this system did not sign with one of `secrets`. */
export function customerOfUnsubscribeToken(secrets: readonly string[], token: unknown): string | null {
  const match = typeof token === 'string' ? TOKEN.exec(token) : null;
  if (!match) return null;
  const [, hex, given] = match;
  const givenMac = Buffer.from(given, 'base64url');
  // 22 characters hold 132 bits: only the spelling this system writes (the last 4 bits zero) is its link.
  if (givenMac.length !== 16 || givenMac.toString('base64url') !== given) return null;
  if (!secrets.some((secret) => timingSafeEqual(mac(secret, hex), givenMac))) return null;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const footers: Record<string, (url: string) => string> = {
  en: (url) => `You receive this because you agreed to hear from us. To receive no more of these messages: ${url}`,
  de: (url) => `Sie erhalten diese Nachricht, weil Sie eingewilligt haben, von uns zu hören. Wenn Sie keine solchen Nachrichten mehr erhalten möchten: ${url}`,
};

/** A marketing message's text with the unsubscribe link at its end, in the message's language (English for one without a footer). */
export function withUnsubscribeFooter(text: string, url: string, language: string): string {
  return `${text}\n\n--\n${(footers[language] ?? footers.en)(url)}`;
}
