/** Number formatting for the plain-language reasons of the scores (locale-independent, deterministic). */

/** A number for reasons: at most `digits` decimals, no trailing zeros ("30", "8.5"). */
export function fmt(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return String(n);
  const s = n.toFixed(digits);
  const trimmed = s.includes('.') ? s.replace(/\.?0+$/, '') : s;
  return trimmed === '-0' ? '0' : trimmed;
}

/** A share as a percentage for reasons ("62%", "12.5%"). */
export const pct = (share: number, digits = 0): string => `${fmt(share * 100, digits)}%`;

/**
 * Money in minor units (cents) as major units with two decimals and thousands
 * separators: 123456 → "1,234.56", -5000 → "-50.00"; `currency` is prefixed ("EUR -12.00").
 */
export function money(minor: number, currency = ''): string {
  const rounded = Math.round(minor);
  const sign = rounded < 0 ? '-' : '';
  const abs = Math.abs(rounded);
  const whole = Math.floor(abs / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const cents = (abs % 100).toString().padStart(2, '0');
  return `${currency ? `${currency} ` : ''}${sign}${whole}.${cents}`;
}
