import { maskPhone } from '../phone.ts';
import { keyType } from './keys.ts';

/**
 * An identity key as an operator without `members:reveal_pii` sees it: the type, and the value
 * masked (a phone as the console masks phones, anything else its first two characters). A
 * quarantined store phone or a suggestion's link then says what kind of key it is without
 * handing out the person's number.
 *
 * @example maskKey('phone:+8613800138000') // 'phone:138****8000'
 * @example maskKey('card:VIP00123') // 'card:VI******'
 * @example maskKey('openid:wxapp:oAbc12345') // 'openid:wxapp:oA*******'
 */
export function maskKey(key: string): string {
  const colon = key.indexOf(':');
  if (colon < 0) return maskValue(key);
  const type = keyType(key);
  const value = key.slice(colon + 1);
  if (type === 'phone') return `phone:${maskPhone(value)}`;
  // An openId's app is no personal data; the openId is.
  if (type === 'openid' && value.includes(':')) {
    const app = value.slice(0, value.indexOf(':'));
    return `openid:${app}:${maskValue(value.slice(app.length + 1))}`;
  }
  if (type === 'manual' || type === 'member') return key;
  return `${key.slice(0, colon)}:${maskValue(value)}`;
}

/** The first two characters (whole characters) and a star for each of the rest, at least two. */
function maskValue(value: string): string {
  const chars = [...value];
  return chars.slice(0, 2).join('') + '*'.repeat(Math.max(2, chars.length - 2));
}
