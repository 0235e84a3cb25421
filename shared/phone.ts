/**
 * Phone numbers are the primary identity key in every channel, typed by cashiers, imported from
 * marketplaces and spoken over the counter, so they arrive in every shape. Everything stores E.164.
 */

export type PhoneResult = { ok: true; e164: string } | { ok: false; reason: string };

const FULL_WIDTH = /[\uFF08\uFF09\uFF0B\uFF0D\uFF0E\uFF10-\uFF19\u3000]/g;

function toHalfWidth(s: string): string {
  return s.replace(FULL_WIDTH, (ch) => {
    const code = ch.charCodeAt(0);
    if (code === 0x3000) return ' ';
    return String.fromCharCode(code - 0xfee0);
  });
}

const CN_MOBILE = /^1[3-9]\d{9}$/;

/**
 * Normalises a phone number to E.164. Chinese mobiles may be written with or without +86 / 0086 /
 * 86, with spaces, dashes, dots, brackets or full-width digits; other countries need a leading +.
 *
 * @example normalizePhone('００８６ 138-0013-8000') // { ok: true, e164: '+8613800138000' }
 */
export function normalizePhone(input: string): PhoneResult {
  const raw = toHalfWidth(input).trim();
  if (!raw) return { ok: false, reason: 'empty' };
  if (/[^\d+\s\-().]/.test(raw)) return { ok: false, reason: 'invalid characters' };
  // '(+86) 138…' is as common as '+86 138…'.
  const bare = raw.replace(/^\(\s*\+/, '+');
  const plus = bare.startsWith('+');
  if (bare.indexOf('+', 1) !== -1) return { ok: false, reason: 'misplaced +' };
  let digits = bare.replace(/\D/g, '');
  if (!plus && digits.startsWith('00')) return normalizeInternational(digits.slice(2));
  if (plus) return normalizeInternational(digits);
  if (digits.length === 13 && digits.startsWith('86')) digits = digits.slice(2);
  if (CN_MOBILE.test(digits)) return { ok: true, e164: `+86${digits}` };
  return { ok: false, reason: 'not a Chinese mobile number; write other countries with +' };
}

function normalizeInternational(digits: string): PhoneResult {
  if (digits.startsWith('86')) {
    const national = digits.slice(2);
    return CN_MOBILE.test(national)
      ? { ok: true, e164: `+86${national}` }
      : { ok: false, reason: 'not a valid Chinese mobile number' };
  }
  if (digits.startsWith('0')) return { ok: false, reason: 'country code cannot start with 0' };
  if (digits.length < 8 || digits.length > 15) return { ok: false, reason: 'wrong length for E.164' };
  return { ok: true, e164: `+${digits}` };
}

/** Shows enough of a phone to recognise it at the counter and no more: +86 138****8000. */
export function maskPhone(e164: string): string {
  if (e164.startsWith('+86') && e164.length === 14) return `${e164.slice(3, 6)}****${e164.slice(10)}`;
  if (e164.length <= 6) return '****';
  return `${e164.slice(0, 4)}****${e164.slice(-3)}`;
}
