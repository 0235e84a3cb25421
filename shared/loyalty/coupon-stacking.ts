import type { Coupon } from '../schemas/coupon.ts';
import type { CouponKind, CouponStacking } from '../schemas/rules.ts';

/*
 * Which coupons combine on one receipt and in which order they apply (decision 017). Without a
 * stacking section every coupon combines and they apply in the order the cashier scanned them,
 * as before; with one, the receipt's coupons are checked against its limits and exclusive pairs,
 * then sorted by kind (stable: scan order within a kind).
 */

interface Scanned {
  code: string;
  coupon: Coupon;
}

/**
 * The first coupon (in scan order) that may not be on this receipt with those before it, or undefined.
 *
 * @example notStackable({ exclusive: [['cash', 'percent']], giftAddsLine: false }, [cashCoupon, percentCoupon]) // percentCoupon's code
 */
export function notStackable(stacking: CouponStacking, coupons: readonly Scanned[]): string | undefined {
  const count = new Map<CouponKind, number>();
  for (const c of coupons) {
    const kind = c.coupon.terms.kind;
    const n = (count.get(kind) ?? 0) + 1;
    const max = stacking.maxPerKind?.[kind];
    if (max !== undefined && n > max) return c.code;
    for (const [a, b] of stacking.exclusive ?? []) {
      const other = kind === a ? b : kind === b ? a : undefined;
      if (other !== undefined && (other !== kind ? (count.get(other) ?? 0) > 0 : n > 1)) return c.code;
    }
    count.set(kind, n);
  }
  return undefined;
}

/**
 * The coupons in the order they apply: by the rules' kind order, scan order within a kind and
 * for kinds the order does not name (after those it names).
 */
export function applyOrder<T extends Scanned>(stacking: CouponStacking, coupons: readonly T[]): T[] {
  const order = stacking.order ?? [];
  const rank = (c: T) => {
    const i = order.indexOf(c.coupon.terms.kind);
    return i < 0 ? order.length : i;
  };
  return coupons.map((c, i) => ({ c, i })).sort((x, y) => rank(x.c) - rank(y.c) || x.i - y.i).map((x) => x.c);
}
