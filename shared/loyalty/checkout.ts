import { evaluateCoupon, type CouponReason, type PricedLine } from '../coupons.ts';
import { allocate } from '../money.ts';
import type { Coupon } from '../schemas/coupon.ts';
import type { OrderLine } from '../schemas/documents.ts';
import type { LoyaltyRules, TierRule } from '../schemas/rules.ts';
import { applyOrder, notStackable } from './coupon-stacking.ts';
import { earnReceipt } from './earning.ts';
import { maxRedeemablePoints, pointsToCents } from './points.ts';

export interface CheckoutInput {
  /** Category and brand as the receipt had them or the product master gave them (the order records them). */
  lines: readonly { sku: string; category?: string | undefined; brand?: string | undefined; qty: number; unitPrice: number }[];
  /** Coupons in the order the cashier scanned them; `undefined` where the code is unknown. */
  coupons: readonly { code: string; coupon: Coupon | undefined; redeemed: boolean }[];
  pointsToRedeem: number;
  /** `birthMonth` (1-12): for the rules' birthday-month multiplier, when the pricing side knows it. */
  member?: { id: string; tier: TierRule; balance: number; birthMonth?: number | undefined };
  storeId: string;
  now: string;
  /** The store-local day of `now`: earning rules are judged on it (absent: the UTC date of `now`). */
  day?: string;
  rules: LoyaltyRules;
}

export interface PricedCheckout {
  lines: OrderLine[];
  totalCents: number;
  couponDiscountCents: number;
  pointsCashCents: number;
  payableCents: number;
  pointsEarned: number;
  /** Present when the rules' ceiling cut pointsEarned: what the receipt would have earned. */
  pointsUncapped?: number;
  /** The birthday-month multiplier raised pointsEarned (decision 017). */
  birthdayMonth?: true;
  pointsRedeemed: number;
  coupons: { code: string; discountCents: number }[];
}

export type CheckoutRefusal =
  | { code: 'member_required'; message: string }
  | { code: 'coupon_invalid'; message: string; couponCode: string; reason: CouponReason }
  | { code: 'insufficient_points'; message: string; balance: number }
  | { code: 'points_over_cap'; message: string; maxPoints: number }
  | { code: 'points_not_whole_cents'; message: string };

/**
 * Prices a receipt: coupons first, in scan order, each on what is left of its eligible lines;
 * then points as cash, capped at the rules' share of what is left; points are earned on what is
 * paid, at the tier the member held before this receipt, by the rules' earning order
 * (earning.ts). With a coupon stacking section, the coupons must combine and apply by kind
 * (coupon-stacking.ts); a gift coupon may add its SKU as a zero-price line at the end. Pure: the
 * caller writes the result.
 */
export function priceCheckout(input: CheckoutInput): { ok: true; value: PricedCheckout } | { ok: false; refusal: CheckoutRefusal } {
  const { rules, member } = input;
  // Optional fields are set, not spread in: object spreads of varying shape cost microseconds a line.
  const priced: PricedLine[] = input.lines.map((l) => {
    const p: PricedLine = { sku: l.sku, qty: l.qty, unitPriceCents: l.unitPrice, remainingCents: l.qty * l.unitPrice };
    if (l.category !== undefined) p.category = l.category;
    if (l.brand !== undefined) p.brand = l.brand;
    return p;
  });
  const totalCents = priced.reduce((s, l) => s + l.remainingCents, 0);

  if ((input.coupons.length > 0 || input.pointsToRedeem > 0) && !member) {
    return { ok: false, refusal: { code: 'member_required', message: 'coupons and points need a memberId' } };
  }

  const coupons: { code: string; discountCents: number }[] = [];
  const refuse = (code: string, reason: CouponReason) => ({
    ok: false as const,
    refusal: { code: 'coupon_invalid' as const, message: `coupon ${code}: ${reason.replace(/_/g, ' ')}`, couponCode: code, reason },
  });
  const stacking = rules.couponStacking;
  let scanned = input.coupons;
  if (stacking && scanned.length > 0) {
    // Unknown and repeated codes are refused first, in scan order, as without stacking rules.
    const seen = new Set<string>();
    for (const c of scanned) {
      if (seen.has(c.code)) return refuse(c.code, 'duplicate');
      seen.add(c.code);
      if (!c.coupon) return refuse(c.code, 'not_found');
    }
    const known = scanned as readonly (typeof scanned[number] & { coupon: Coupon })[];
    const odd = notStackable(stacking, known);
    if (odd !== undefined) return refuse(odd, 'not_stackable');
    scanned = applyOrder(stacking, known);
  }
  const seen = new Set<string>();
  for (const c of scanned) {
    if (seen.has(c.code)) return refuse(c.code, 'duplicate');
    seen.add(c.code);
    if (!c.coupon) return refuse(c.code, 'not_found');
    const ev = evaluateCoupon(c.coupon, { memberId: member!.id, storeId: input.storeId, now: input.now, redeemed: c.redeemed, ...(stacking?.giftAddsLine ? { giftAddsLine: true } : {}) }, priced);
    if (!ev.valid) return refuse(c.code, ev.reason);
    ev.perLine.forEach((d, i) => (priced[i]!.remainingCents -= d));
    if (ev.giftLine !== undefined) priced.push({ sku: ev.giftLine, qty: 1, unitPriceCents: 0, remainingCents: 0, giftOf: c.code });
    coupons.push({ code: c.code, discountCents: ev.discountCents });
  }
  const couponDiscountCents = coupons.reduce((s, c) => s + c.discountCents, 0);
  const afterCoupons = totalCents - couponDiscountCents;

  let pointsCashCents = 0;
  if (input.pointsToRedeem > 0) {
    const points = input.pointsToRedeem;
    if (points > member!.balance) {
      return { ok: false, refusal: { code: 'insufficient_points', message: `balance is ${member!.balance} points`, balance: member!.balance } };
    }
    const maxPoints = maxRedeemablePoints(rules, afterCoupons);
    if (points > maxPoints) {
      return { ok: false, refusal: { code: 'points_over_cap', message: `at most ${maxPoints} points on this receipt`, maxPoints } };
    }
    const cents = pointsToCents(rules, points);
    if (cents === undefined) {
      return { ok: false, refusal: { code: 'points_not_whole_cents', message: `${rules.cash.pointsPerYuan} points make 1 RMB; use a multiple that makes whole cents` } };
    }
    pointsCashCents = cents;
    allocate(cents, priced.map((l) => l.remainingCents)).forEach((d, i) => (priced[i]!.remainingCents -= d));
  }

  const payableCents = afterCoupons - pointsCashCents;
  const lines: OrderLine[] = priced.map((l) => {
    const o: OrderLine = { sku: l.sku, qty: l.qty, unitPriceCents: l.unitPriceCents, totalCents: l.qty * l.unitPriceCents, discountCents: l.qty * l.unitPriceCents - l.remainingCents, payableCents: l.remainingCents };
    if (l.category !== undefined) o.category = l.category;
    if (l.brand !== undefined) o.brand = l.brand;
    if (l.giftOf !== undefined) o.giftOf = l.giftOf;
    return o;
  });
  const earned = member
    ? earnReceipt(rules, lines, { storeId: input.storeId, day: input.day ?? input.now.slice(0, 10), tier: member.tier, birthMonth: member.birthMonth })
    : { points: 0 };
  return {
    ok: true,
    value: {
      lines,
      totalCents,
      couponDiscountCents,
      pointsCashCents,
      payableCents,
      pointsEarned: earned.points,
      ...(earned.uncapped !== undefined ? { pointsUncapped: earned.uncapped } : {}),
      ...(earned.birthdayMonth ? { birthdayMonth: true as const } : {}),
      pointsRedeemed: input.pointsToRedeem,
      coupons,
    },
  };
}
