import { allocate } from './money.ts';
import { docId } from './doc-ids.ts';
import type { Coupon, CouponTemplate } from './schemas/coupon.ts';
import type { CouponDoc } from './schemas/documents.ts';

/** A receipt line while discounts are applied: what is still left to pay on it. */
export interface PricedLine {
  sku: string;
  category?: string;
  qty: number;
  unitPriceCents: number;
  remainingCents: number;
  brand?: string;
  /** The gift coupon that put this line on the receipt at zero price (decision 017). */
  giftOf?: string;
}

export const COUPON_REASONS = [
  'not_found',
  'not_owner',
  'redeemed',
  'not_yet_valid',
  'expired',
  'store_not_allowed',
  'no_eligible_lines',
  'min_spend_not_met',
  'no_discount',
  'duplicate',
  /** Reserved or redeemed at the hub for another receipt (checked while the hub can be reached). */
  'redeemed_elsewhere',
  /** The rules' stacking says it does not combine with the receipt's other coupons (decision 017). */
  'not_stackable',
] as const;
export type CouponReason = (typeof COUPON_REASONS)[number];

export type CouponEvaluation =
  | { valid: true; discountCents: number; perLine: number[]; giftLine?: string }
  | { valid: false; reason: CouponReason };

export interface CouponContext {
  memberId: string;
  storeId: string;
  now: string;
  redeemed: boolean;
  /** The rules' couponStacking.giftAddsLine: a gift whose SKU is not on the receipt is put there at zero price. */
  giftAddsLine?: boolean;
}

/**
 * Whether a coupon applies to these lines, and the discount it gives on each. Cash and percent
 * coupons spread their discount over the eligible lines in proportion to what is left on them;
 * a gift coupon takes one unit of its gift SKU off (or, where the rules say so and the SKU is not
 * on the receipt, asks for it to be put there at zero price: `giftLine`).
 */
export function evaluateCoupon(coupon: Coupon, ctx: CouponContext, lines: readonly PricedLine[]): CouponEvaluation {
  if (coupon.memberId !== ctx.memberId) return { valid: false, reason: 'not_owner' };
  if (ctx.redeemed) return { valid: false, reason: 'redeemed' };
  if (ctx.now < coupon.validFrom) return { valid: false, reason: 'not_yet_valid' };
  if (ctx.now > coupon.validTo) return { valid: false, reason: 'expired' };
  if (coupon.scope.stores && !coupon.scope.stores.includes(ctx.storeId)) return { valid: false, reason: 'store_not_allowed' };

  const categories = coupon.scope.categories;
  const eligible = lines.map((l) => !categories || (l.category !== undefined && categories.includes(l.category)));
  const eligibleCents = lines.reduce((s, l, i) => s + (eligible[i] ? l.remainingCents : 0), 0);
  if (eligibleCents === 0) return { valid: false, reason: 'no_eligible_lines' };
  if (eligibleCents < coupon.terms.minSpendCents) return { valid: false, reason: 'min_spend_not_met' };

  const terms = coupon.terms;
  if (terms.kind === 'gift') {
    const i = lines.findIndex((l, k) => eligible[k] && l.sku === terms.giftSku && l.remainingCents > 0);
    if (i < 0 && ctx.giftAddsLine) return { valid: true, discountCents: 0, perLine: lines.map(() => 0), giftLine: terms.giftSku };
    if (i < 0) return { valid: false, reason: 'no_eligible_lines' };
    const perLine = lines.map(() => 0);
    perLine[i] = Math.min(lines[i]!.unitPriceCents, lines[i]!.remainingCents);
    return { valid: true, discountCents: perLine[i]!, perLine };
  }
  let discount =
    terms.kind === 'cash'
      ? Math.min(terms.valueCents, eligibleCents)
      : Math.floor((eligibleCents * terms.percentOff) / 100);
  if (terms.kind === 'percent' && terms.capCents !== undefined) discount = Math.min(discount, terms.capCents);
  // A single-use coupon is not spent on a basket it takes nothing off.
  if (discount === 0) return { valid: false, reason: 'no_discount' };
  const perLine = allocate(discount, lines.map((l, i) => (eligible[i] ? l.remainingCents : 0)));
  return { valid: true, discountCents: discount, perLine };
}

/**
 * A coupon issued from a template: the terms and scope are copied so that a store can verify it
 * offline, and a later change of the template does not change coupons already issued.
 *
 * @example buildCoupon(tpl, { memberId: 'M1', code: 'AB12-CD34-EF56', issuedAt: new Date() })
 */
export function buildCoupon(template: CouponTemplate, opts: { memberId: string; code: string; issuedAt: Date; validDays?: number }): CouponDoc {
  const validTo = new Date(opts.issuedAt.getTime() + (opts.validDays ?? template.validDays) * 86_400_000);
  return {
    _id: docId.coupon(opts.code),
    type: 'coupon',
    code: opts.code,
    memberId: opts.memberId,
    templateId: template.id,
    title: template.title,
    terms: template.terms,
    scope: template.scope,
    validFrom: opts.issuedAt.toISOString(),
    validTo: validTo.toISOString(),
    issuedAt: opts.issuedAt.toISOString(),
  };
}
