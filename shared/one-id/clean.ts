import { lookupTable } from '../own.ts';
import { StoreId } from '../schemas/common.ts';
import { normalizePhone } from '../phone.ts';
import { type Cleaned, empty, emptied, impossible, kept, prepare } from './clean-result.ts';

/*
 * Field cleaners for imported rows. Each takes the raw text of one field and says one of three
 * things: here is the value (and whether cleaning changed it, which the import counts), the field
 * is empty (placeholders like '-' or '未知' count as empty), or the value is impossible and why.
 * Whether an impossible value rejects the row or only drops the field is the mapping's decision:
 * identity keys reject, profile fields drop.
 *
 * Every cleaner is idempotent: cleaning a cleaned value returns it unchanged.
 */

const MASKED = /\*{2,}/;

/**
 * A phone as E.164. Masked numbers (138****8000, as marketplaces export them) and landlines
 * (0-prefixed area code) are not identity keys and count as empty; anything else that is not a
 * mobile number is impossible.
 *
 * @example cleanPhone('0086 138-0013-8000') // { ok: true, value: '+8613800138000', changed: true }
 */
export function cleanPhone(input: string | undefined): Cleaned {
  const t = prepare(input);
  if (t === undefined) return emptied(input);
  if (MASKED.test(t)) return empty(true);
  // Spreadsheets turn a phone into a number and back: 13800138000.0
  const raw = t.replace(/\.0+$/, '');
  const digits = raw.replace(/[\s\-().]/g, '');
  if (/^0[1-9]\d{8,10}$/.test(digits)) return empty(true);
  const p = normalizePhone(raw);
  if (!p.ok) return impossible(`phone: ${p.reason}`);
  // A plain national number is already clean: only its representation changes.
  return kept(p.e164, p.e164 !== input && `+86${input}` !== p.e164);
}

const CJK = '\\u3400-\\u9fff\\uf900-\\ufaff';
const SPACE_BETWEEN_CJK = new RegExp(`(?<=[${CJK}·])\\s+(?=[${CJK}·])`, 'g');

/**
 * A person's name: folded to half width, trimmed, runs of spaces collapsed, and no spaces inside a
 * Chinese name (张 三 → 张三). Placeholders are empty; a name longer than 64 characters is impossible.
 *
 * @example cleanName('  ＬＩ　Ｍｉｎｇ ') // { ok: true, value: 'LI Ming', changed: true }
 */
export function cleanName(input: string | undefined): Cleaned {
  const t = prepare(input);
  if (t === undefined) return emptied(input);
  const name = t.replace(/\s+/g, ' ').replace(SPACE_BETWEEN_CJK, '');
  if (name.length > 64) return impossible('name: longer than 64 characters');
  return kept(name, name !== input);
}

const GENDERS = lookupTable<'M' | 'F'>({
  m: 'M', male: 'M', man: 'M', boy: 'M', 男: 'M', 男性: 'M', 先生: 'M', '1': 'M',
  f: 'F', female: 'F', woman: 'F', girl: 'F', 女: 'F', 女性: 'F', 女士: 'F', 小姐: 'F', '2': 'F',
});

/**
 * M or F. 1/2 follow the WeChat and national-standard codes (0 or 9 is unknown). A code nobody
 * can read is empty, not impossible: gender never decides whether a row is kept.
 *
 * @example cleanGender('女士') // { ok: true, value: 'F', changed: true }
 */
export function cleanGender(input: string | undefined): Cleaned<'M' | 'F'> {
  const t = prepare(input);
  if (t === undefined) return emptied(input);
  const g = GENDERS.get(t.toLowerCase());
  return g ? kept(g, g !== input) : empty(true);
}

/** Marketplace nicknames and PINs are matched case- and width-insensitively; masked ones (张**) are no key. */
function cleanAccountName(field: string, input: string | undefined): Cleaned {
  const t = prepare(input);
  if (t === undefined) return emptied(input);
  if (MASKED.test(t)) return empty(true);
  const v = t.toLowerCase();
  if (v.length > 64) return impossible(`${field}: longer than 64 characters`);
  return kept(v, v !== input);
}

/** @example cleanBuyerNick(' Ｔｏｍ_Li ') // { ok: true, value: 'tom_li', changed: true } */
export const cleanBuyerNick = (input: string | undefined): Cleaned => cleanAccountName('buyerNick', input);

/** @example cleanJdPin('JD_Lucy') // { ok: true, value: 'jd_lucy', changed: true } */
export const cleanJdPin = (input: string | undefined): Cleaned => cleanAccountName('jdPin', input);

/**
 * A member card number as identity keys store it: upper case, without spaces or dashes.
 *
 * @example cleanCardNo('vip-0012 3456') // { ok: true, value: 'VIP00123456', changed: true }
 */
export function cleanCardNo(input: string | undefined): Cleaned {
  const t = prepare(input);
  if (t === undefined) return emptied(input);
  const v = t.toUpperCase().replace(/[\s-]/g, '');
  if (!/^[A-Z0-9]{4,32}$/.test(v)) return impossible('cardNo: 4-32 letters or digits');
  return kept(v, v !== input);
}

/** WeChat ids are case-sensitive: only trimmed and folded. */
function cleanWechatId(field: string, input: string | undefined): Cleaned {
  const t = prepare(input);
  if (t === undefined) return emptied(input);
  if (!/^[\w-]{8,64}$/.test(t)) return impossible(`${field}: 8-64 letters, digits, _ or -`);
  return kept(t, t !== input);
}

/** @example cleanUnionId(' oXyZ12345678 ') // { ok: true, value: 'oXyZ12345678', changed: true } */
export const cleanUnionId = (input: string | undefined): Cleaned => cleanWechatId('unionId', input);
export const cleanOpenId = (input: string | undefined): Cleaned => cleanWechatId('openId', input);

/** A store id as the hub knows it; anything else is dropped rather than guessed at. */
export function cleanStoreId(input: string | undefined): Cleaned {
  const t = prepare(input);
  if (t === undefined) return emptied(input);
  return StoreId.safeParse(t).success ? kept(t, t !== input) : impossible('homeStoreId: a letter or digit, then letters, digits, _ or -, at most 32');
}

/** @example cleanEmail(' Li@Example.COM ') // { ok: true, value: 'li@example.com', changed: true } */
export function cleanEmail(input: string | undefined): Cleaned {
  const t = prepare(input);
  if (t === undefined) return emptied(input);
  const v = t.toLowerCase();
  if (v.length > 128 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v)) return impossible('email: not an address');
  return kept(v, v !== input);
}

export { cleanDate, cleanDateTime } from './clean-date.ts';
export { cleanRegion } from './clean-region.ts';
export { cleanMoney } from './clean-money.ts';
export { type Cleaned, fold } from './clean-result.ts';
