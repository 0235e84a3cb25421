import { evaluateCoupon, type CouponReason, type PricedLine } from '../coupons.ts';
import { allocate } from '../money.ts';
import type { Coupon } from '../schemas/coupon.ts';
import type { OrderLine } from '../schemas/documents.ts';
import type { LoyaltyRules, TierRule } from '../schemas/rules.ts';
import { earnedPoints, maxRedeemablePoints, pointsToCents } from './points.ts';

export interface CheckoutInput {
  lines: readonly { sku: string; category?: string; qty: number; unitPrice: number }[];
  /** Coupons in the order the cashier scanned them; `undefined` where the code is unknown. */
  coupons: readonly { code: string; coupon: Coupon | undefined; redeemed: boolean }[];
  pointsToRedeem: number;
  member?: { id: string; tier: TierRule; balance: number };
  storeId: string;
  now: string;
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
 * paid, at the tier the member held before this receipt. Pure: the caller writes the result.
 */
export function priceCheckout(input: CheckoutInput): { ok: true; value: PricedCheckout } | { ok: false; refusal: CheckoutRefusal } {
  const { rules, member } = input;
  const priced: PricedLine[] = input.lines.map((l) => ({
    sku: l.sku,
    ...(l.category !== undefined ? { category: l.category } : {}),
    qty: l.qty,
    unitPriceCents: l.unitPrice,
    remainingCents: l.qty * l.unitPrice,
  }));
  const totalCents = priced.reduce((s, l) => s + l.remainingCents, 0);

  if ((input.coupons.length > 0 || input.pointsToRedeem > 0) && !member) {
    return { ok: false, refusal: { code: 'member_required', message: 'coupons and points need a memberId' } };
  }

  const coupons: { code: string; discountCents: number }[] = [];
  const seen = new Set<string>();
  for (const c of input.coupons) {
    const refuse = (reason: CouponReason) => ({
      ok: false as const,
      refusal: { code: 'coupon_invalid' as const, message: `coupon ${c.code}: ${reason.replace(/_/g, ' ')}`, couponCode: c.code, reason },
    });
    if (seen.has(c.code)) return refuse('duplicate');
    seen.add(c.code);
    if (!c.coupon) return refuse('not_found');
    const ev = evaluateCoupon(c.coupon, { memberId: member!.id, storeId: input.storeId, now: input.now, redeemed: c.redeemed }, priced);
    if (!ev.valid) return refuse(ev.reason);
    ev.perLine.forEach((d, i) => (priced[i]!.remainingCents -= d));
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
  const lines: OrderLine[] = priced.map((l) => ({
    sku: l.sku,
    ...(l.category !== undefined ? { category: l.category } : {}),
    qty: l.qty,
    unitPriceCents: l.unitPriceCents,
    totalCents: l.qty * l.unitPriceCents,
    discountCents: l.qty * l.unitPriceCents - l.remainingCents,
    payableCents: l.remainingCents,
  }));
  const earned = member ? earnedPoints(rules, member.tier, payableCents) : 0;
  const ceiling = rules.maxPointsPerReceipt;
  return {
    ok: true,
    value: {
      lines,
      totalCents,
      couponDiscountCents,
      pointsCashCents,
      payableCents,
      pointsEarned: Math.min(earned, ceiling),
      ...(earned > ceiling ? { pointsUncapped: earned } : {}),
      pointsRedeemed: input.pointsToRedeem,
      coupons,
    },
  };
}
