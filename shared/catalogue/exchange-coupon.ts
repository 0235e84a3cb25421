import { buildCoupon } from '../coupons.ts';
import { docId } from '../doc-ids.ts';
import { exchangeCouponCode } from '../ids.ts';
import type { CouponTemplate } from '../schemas/coupon.ts';
import type { CouponDoc } from '../schemas/documents.ts';

/**
 * The coupon a points exchange makes: the template's terms (the shared way to build a coupon
 * from a template, shared/coupons.ts), its code derived from store and request, and the
 * exchange it came from, by which the hub judges it (decision 020).
 *
 * @example couponForExchange(tpl, { storeId: 'S001', requestId: 'req-0001', memberId: 'M1', issuedAt: new Date() }).exchangeId // 'xchg:S001:req-0001'
 */
export function couponForExchange(template: CouponTemplate, opts: { storeId: string; requestId: string; memberId: string; issuedAt: Date }): CouponDoc {
  const code = exchangeCouponCode(opts.storeId, opts.requestId);
  return { ...buildCoupon(template, { memberId: opts.memberId, code, issuedAt: opts.issuedAt }), exchangeId: docId.exchange(opts.storeId, opts.requestId) };
}

/** The exchange an exchange's coupon names, as `{storeId, requestId}`, or undefined when it names none. */
export function exchangeOfCoupon(exchangeId: string | undefined): { storeId: string; requestId: string } | undefined {
  if (exchangeId === undefined || !exchangeId.startsWith('xchg:')) return undefined;
  const rest = exchangeId.slice('xchg:'.length);
  const colon = rest.indexOf(':');
  if (colon < 1 || colon === rest.length - 1) return undefined;
  return { storeId: rest.slice(0, colon), requestId: rest.slice(colon + 1) };
}
