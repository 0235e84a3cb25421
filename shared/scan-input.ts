import type { IdentityInput } from './identity-keys.ts';
import { normalizePhone } from './phone.ts';

const CODE = /^\d{8,24}$/;
const CARD = /^(?=.*[A-Za-z])[A-Za-z0-9-]{4,32}$/;
/** Query parameters a member QR code (a mini-program or membership link) carries the member code in. */
const CODE_PARAMS = ['memberCode', 'membercode', 'code', 'm'];

/**
 * What a guide typed, pasted or scanned into the one search box, as an identify request: a phone
 * in any format, a member code (the digits of the member's barcode), a link or `scheme:` value
 * from a member QR code holding the code (`?code=…`, or as the last part of the path), or a
 * card number (letters and digits). Undefined when it is none of them.
 *
 * @example identityOfScan('139-0000-0001') // { phone: '139-0000-0001' }
 * @example identityOfScan('https://m.example.cn/card?code=100000000000000001') // { memberCode: '100000000000000001' }
 */
export function identityOfScan(input: string): IdentityInput | undefined {
  const v = input.normalize('NFKC').trim();
  if (!v || v.length > 512) return undefined;
  if (normalizePhone(v).ok) return { phone: v };
  const compact = v.replace(/[\s-]/g, '');
  if (CODE.test(compact)) return { memberCode: compact };
  const fromLink = codeInLink(v);
  if (fromLink) return { memberCode: fromLink };
  if (CARD.test(v)) return { cardNo: v };
  return undefined;
}

function codeInLink(v: string): string | undefined {
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return undefined;
  }
  for (const name of CODE_PARAMS) {
    const value = url.searchParams.get(name)?.trim();
    if (value && CODE.test(value)) return value;
  }
  const last = (url.pathname || url.href).split(/[/:]/).filter(Boolean).pop();
  return last && CODE.test(last) ? last : undefined;
}
