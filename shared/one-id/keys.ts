import { identityKey, type IdentityKeyResult } from '../identity-keys.ts';
import type { RecordIdentities } from './record.ts';

/*
 * The identity keys One-ID links records on. A key is `<type>:<normalised value>`; two records
 * carrying the same key are the same person unless the key is quarantined.
 */

/** Key types One-ID links on; `member` is a store member id, `manual` an operator's accepted link. */
export const LINK_KEY_TYPES = ['member', 'unionid', 'phone', 'card', 'openid', 'tmall', 'jd', 'manual'] as const;
export type LinkKeyType = (typeof LINK_KEY_TYPES)[number];

/** The type of a key string: the part before the first colon. */
export function keyType(key: string): LinkKeyType {
  const t = key.slice(0, key.indexOf(':'));
  return (LINK_KEY_TYPES as readonly string[]).includes(t) ? (t as LinkKeyType) : 'manual';
}

/**
 * The normalised keys of a record's identities, without duplicates, in a fixed order.
 * Values that do not normalise (an unusable phone) give no key: they cannot link anything.
 *
 * @example recordKeys({ phone: '+8613912345670', openIds: [{ appId: 'wxa', openId: 'oAbc12345' }] })
 * // ['phone:+8613912345670', 'openid:wxa:oAbc12345']
 */
export function recordKeys(ids: RecordIdentities): string[] {
  const out: IdentityKeyResult[] = [];
  if (ids.phone) out.push(identityKey('phone', ids.phone));
  if (ids.cardNo) out.push(identityKey('card', ids.cardNo));
  if (ids.unionId) out.push(identityKey('unionid', ids.unionId));
  for (const o of ids.openIds ?? []) out.push(identityKey('openid', o.openId, o.appId));
  if (ids.buyerNick) out.push(identityKey('tmall', ids.buyerNick));
  if (ids.jdPin) out.push(identityKey('jd', ids.jdPin));
  return [...new Set(out.flatMap((k) => (k.ok ? [k.key] : [])))];
}

/** The identities a set of keys stand for: the inverse of `recordKeys` for normalised values. */
export function identitiesOfKeys(keys: Iterable<string>): RecordIdentities {
  const ids: RecordIdentities = {};
  for (const key of keys) {
    const value = key.slice(key.indexOf(':') + 1);
    switch (keyType(key)) {
      case 'phone': ids.phone ??= value; break;
      case 'card': ids.cardNo ??= value; break;
      case 'unionid': ids.unionId ??= value; break;
      case 'openid': {
        const colon = value.indexOf(':');
        (ids.openIds ??= []).push({ appId: value.slice(0, colon), openId: value.slice(colon + 1) });
        break;
      }
      case 'tmall': ids.buyerNick ??= value; break;
      case 'jd': ids.jdPin ??= value; break;
      default: break;
    }
  }
  return ids;
}

// Placeholders that forms and exports put where a value is missing.
const PLACEHOLDERS = new Set(['null', 'undefined', 'none', 'nil', 'n/a', 'na', 'test', 'unknown', '-', '匿名', '无', '空']);

/**
 * Whether a key is an obviously fake value that must never link two people. Conservative on
 * purpose: it only catches what no real account looks like; the per-type record limits catch
 * the rest (a store's own phone, a shared family card).
 *
 * - phone: every digit the same (11111111111), or a Chinese mobile whose last eight digits are
 *   one digit repeated (13800000000, 13888888888) or a straight run (13912345678, 13987654321);
 * - card: one character repeated (0000, AAAAAA) or a straight run of digits (12345678);
 * - Tmall nick, JD PIN: placeholders (`null`, `test`, `匿名`…) and masked nicks (`t**1`:
 *   order exports hide the middle, so thousands of buyers share one masked form);
 * - unionId, openId: one character repeated.
 *
 * @example isJunkKey('phone:+8613800000000') // true
 * @example isJunkKey('phone:+8613800138000') // false
 */
export function isJunkKey(key: string): boolean {
  const value = key.slice(key.indexOf(':') + 1);
  switch (keyType(key)) {
    case 'phone': {
      const digits = value.replace(/^\+/, '');
      if (repeated(digits)) return true;
      if (digits.startsWith('86') && digits.length === 13) {
        const tail = digits.slice(5);
        return repeated(tail) || straightRun(tail);
      }
      return false;
    }
    case 'card':
      return repeated(value) || (/^\d+$/.test(value) && value.length >= 6 && straightRun(value));
    case 'tmall':
    case 'jd':
      return PLACEHOLDERS.has(value) || value.includes('*');
    case 'unionid':
      return repeated(value);
    case 'openid':
      return repeated(value.slice(value.indexOf(':') + 1));
    default:
      return false;
  }
}

function repeated(s: string): boolean {
  if (s.length < 2) return false;
  const first = s.charCodeAt(0);
  for (let i = 1; i < s.length; i++) if (s.charCodeAt(i) !== first) return false;
  return true;
}

/** Each digit one more (or one less) than the one before, wrapping 9→0: 12345678, 67890123. A non-digit breaks the run. */
function straightRun(s: string): boolean {
  if (s.length < 2) return false;
  let asc = true;
  let desc = true;
  let prev = s.charCodeAt(0) - 48;
  if (prev < 0 || prev > 9) return false;
  for (let i = 1; i < s.length && (asc || desc); i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if ((prev + 1) % 10 !== d) asc = false;
    if ((d + 1) % 10 !== prev) desc = false;
    prev = d;
  }
  return asc || desc;
}
