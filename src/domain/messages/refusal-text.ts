import { escapeRegExp } from '../text.js';

/**
 * A gateway's refusal as the outbox keeps it (`lastError`, shown to every role and kept after
 * the message): mail servers name the address they refused ("550 5.1.1 <ada@example.com>:
 * User unknown"), so the recipient's address, phone and name are put as `<recipient>`.
 */
export function refusalText(error: string, to: { name: string; email: string; phone: string | null }, maxLength = 1000): string {
  let text = error;
  for (const personal of [to.email, to.phone, to.name]) {
    if (personal && personal.trim().length >= 3) text = text.split(new RegExp(escapeRegExp(personal.trim()), 'gi')).join('<recipient>');
  }
  return text.slice(0, maxLength);
}
