import { normalizePhone } from './phone.ts';

/** The identity types a store can identify a member by; `idk:<type>:<value>` documents map them. */
export const IDENTITY_TYPES = ['phone', 'card', 'unionid', 'openid', 'code'] as const;
export type IdentityType = (typeof IDENTITY_TYPES)[number];

/**
 * Marketplace accounts: One-ID links records on them, but no store identifies a member by one,
 * so they stay out of `IDENTITY_TYPES` (the types of `idk:` documents).
 */
export const MARKETPLACE_TYPES = ['tmall', 'jd'] as const;
export type KeyType = IdentityType | (typeof MARKETPLACE_TYPES)[number];

export type IdentityInput =
  | { phone: string }
  | { cardNo: string }
  | { unionId: string }
  | { openId: string; appId: string }
  | { memberCode: string };

export type IdentityKeyResult = { ok: true; key: string } | { ok: false; field: string; reason: string };

/**
 * The normalised key of one identity: the same person typed differently gives the same key.
 *
 * @example identityKey('phone', '138 0013 8000') // { ok: true, key: 'phone:+8613800138000' }
 * @example identityKey('openid', 'oAbc', 'wx123') // { ok: true, key: 'openid:wx123:oAbc' }
 */
export function identityKey(type: KeyType, value: string, appId?: string): IdentityKeyResult {
  const v = value.trim();
  switch (type) {
    case 'phone': {
      const p = normalizePhone(v);
      return p.ok ? { ok: true, key: `phone:${p.e164}` } : { ok: false, field: 'phone', reason: p.reason };
    }
    case 'card': {
      const card = v.toUpperCase().replace(/-/g, '');
      return /^[A-Za-z0-9-]+$/.test(v) && /^[A-Z0-9]{4,32}$/.test(card)
        ? { ok: true, key: `card:${card}` }
        : { ok: false, field: 'cardNo', reason: '4-32 letters or digits, dashes allowed between' };
    }
    case 'unionid':
      return /^[\w-]{8,64}$/.test(v)
        ? { ok: true, key: `unionid:${v}` }
        : { ok: false, field: 'unionId', reason: '8-64 letters, digits, _ or -' };
    case 'openid': {
      const app = (appId ?? '').trim();
      if (!/^[\w-]{2,64}$/.test(app)) return { ok: false, field: 'appId', reason: 'appId is required with openId' };
      return /^[\w-]{8,64}$/.test(v)
        ? { ok: true, key: `openid:${app}:${v}` }
        : { ok: false, field: 'openId', reason: '8-64 letters, digits, _ or -' };
    }
    case 'code':
      return /^\d{8,24}$/.test(v)
        ? { ok: true, key: `code:${v}` }
        : { ok: false, field: 'memberCode', reason: '8-24 digits' };
    case 'tmall': {
      // Tmall exports the same nick in full- and half-width forms and in any case.
      const nick = v.normalize('NFKC').toLowerCase().trim();
      return nick && nick.length <= 64 ? { ok: true, key: `tmall:${nick}` } : { ok: false, field: 'buyerNick', reason: '1-64 characters' };
    }
    case 'jd': {
      const pin = v.toLowerCase();
      return pin && pin.length <= 64 ? { ok: true, key: `jd:${pin}` } : { ok: false, field: 'jdPin', reason: '1-64 characters' };
    }
  }
}

/** The key of the one identity given in an identify request. */
export function keyOfIdentity(input: IdentityInput): IdentityKeyResult {
  if ('phone' in input) return identityKey('phone', input.phone);
  if ('cardNo' in input) return identityKey('card', input.cardNo);
  if ('unionId' in input) return identityKey('unionid', input.unionId);
  if ('openId' in input) return identityKey('openid', input.openId, input.appId);
  return identityKey('code', input.memberCode);
}

/**
 * Every identity key a member document holds (the ones its `idk:` documents map).
 *
 * @example memberKeys({ phone: '+8613800138000', memberCode: '100000000000000001' })
 * // ['phone:+8613800138000', 'code:100000000000000001']
 */
export function memberKeys(m: { phone: string; cardNo?: string | undefined; unionId?: string | undefined; openIds?: { appId: string; openId: string }[] | undefined; memberCode: string }): string[] {
  const keys = [identityKey('phone', m.phone)];
  if (m.cardNo) keys.push(identityKey('card', m.cardNo));
  if (m.unionId) keys.push(identityKey('unionid', m.unionId));
  for (const o of m.openIds ?? []) keys.push(identityKey('openid', o.openId, o.appId));
  keys.push(identityKey('code', m.memberCode));
  return keys.flatMap((k) => (k.ok ? [k.key] : []));
}
