/** Builders shared by the unit tests (not a test file itself). */
import fc from 'fast-check';
import type { Coupon, CouponTerms } from '../../shared/schemas/coupon.ts';
import type { CheckoutInput } from '../../shared/loyalty/checkout.ts';
import { DEFAULT_RULES, type TierRule } from '../../shared/schemas/rules.ts';

export const NOW = '2026-03-10T04:00:00.000Z';
export const STORE = 'S001';
export const MEMBER = 'M0001';

export const tierOf = (code: string): TierRule => {
  const t = DEFAULT_RULES.tiers.find((x) => x.code === code);
  if (!t) throw new Error(`no tier ${code}`);
  return t;
};

export function coupon(terms: CouponTerms, over: Partial<Coupon> = {}): Coupon {
  return {
    code: 'CPN-0001',
    memberId: MEMBER,
    templateId: 'T',
    title: 'test coupon',
    terms,
    scope: {},
    validFrom: '2026-03-01T00:00:00.000Z',
    validTo: '2026-03-31T00:00:00.000Z',
    issuedAt: '2026-03-01T00:00:00.000Z',
    ...over,
  };
}

export const cash = (valueCents: number, minSpendCents = 0): CouponTerms => ({ kind: 'cash', valueCents, minSpendCents });
export const percent = (percentOff: number, capCents?: number, minSpendCents = 0): CouponTerms =>
  capCents === undefined ? { kind: 'percent', percentOff, minSpendCents } : { kind: 'percent', percentOff, capCents, minSpendCents };
export const gift = (giftSku: string, minSpendCents = 0): CouponTerms => ({ kind: 'gift', giftSku, minSpendCents });

export type InputLine = CheckoutInput['lines'][number];

export const SKUS = ['TEA-01', 'CUP-001', 'BEAN-5', 'MILK-2'] as const;
export const CATEGORIES = ['drink', 'ware', 'food'] as const;

/** A random basket line; prices include zero and odd cents. */
export const lineArb: fc.Arbitrary<InputLine> = fc
  .record({
    sku: fc.constantFrom(...SKUS),
    category: fc.option(fc.constantFrom(...CATEGORIES), { nil: undefined }),
    qty: fc.integer({ min: 1, max: 6 }),
    unitPrice: fc.oneof(fc.integer({ min: 0, max: 50_000 }), fc.integer({ min: 1, max: 99 }), fc.constant(0)),
  })
  .map(({ category, ...l }) => (category === undefined ? l : { ...l, category }));

export const basketArb = fc.array(lineArb, { minLength: 1, maxLength: 8 });

/** Random coupon terms of every kind. */
export const termsArb: fc.Arbitrary<CouponTerms> = fc.oneof(
  fc.record({ v: fc.integer({ min: 1, max: 30_000 }), m: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 50_000 })) }).map(({ v, m }) => cash(v, m)),
  fc
    .record({ p: fc.integer({ min: 1, max: 100 }), c: fc.option(fc.integer({ min: 1, max: 20_000 }), { nil: undefined }), m: fc.constant(0) })
    .map(({ p, c, m }) => percent(p, c, m)),
  fc.constantFrom(...SKUS).map((s) => gift(s)),
);

export const scopeArb: fc.Arbitrary<{ categories?: string[] }> = fc.record(
  { categories: fc.subarray<string>([...CATEGORIES], { minLength: 1 }) },
  { requiredKeys: [] },
);

import type { PricedCheckout } from '../../shared/loyalty/checkout.ts';
import type { PricedRefund } from '../../shared/loyalty/refund.ts';
import type { OrderDoc, RefundDoc } from '../../shared/schemas/documents.ts';

/** The order document a store would write for a priced checkout. */
export function orderDoc(p: PricedCheckout, over: Partial<OrderDoc> & { receiptNo?: string } = {}): OrderDoc {
  const receiptNo = over.receiptNo ?? 'R0001';
  return {
    _id: `order:${STORE}:T1:${receiptNo}`,
    type: 'order',
    storeId: STORE,
    terminalId: 'T1',
    receiptNo,
    memberId: MEMBER,
    at: NOW,
    day: NOW.slice(0, 10),
    lines: p.lines,
    totalCents: p.totalCents,
    couponDiscountCents: p.couponDiscountCents,
    pointsCashCents: p.pointsCashCents,
    payableCents: p.payableCents,
    pointsEarned: p.pointsEarned,
    pointsRedeemed: p.pointsRedeemed,
    coupons: p.coupons,
    requestHash: 'h',
    ...over,
  };
}

/** The refund document a store would write for a priced refund. */
export function refundDoc(order: OrderDoc, refundNo: string, r: PricedRefund, over: Partial<RefundDoc> = {}): RefundDoc {
  return {
    _id: `refund:${order._id.slice('order:'.length)}:${refundNo}`,
    type: 'refund',
    orderId: order._id,
    refundNo,
    storeId: order.storeId,
    terminalId: order.terminalId,
    ...(order.memberId !== undefined ? { memberId: order.memberId } : {}),
    at: NOW,
    day: NOW.slice(0, 10),
    lines: r.lines,
    refundCents: r.refundCents,
    pointsClawedBack: r.pointsClawedBack,
    pointsReturned: r.pointsReturned,
    requestHash: 'h',
    ...over,
  };
}

/** A fraction in [0, 1], spread evenly (fc.double crowds towards 0) and hitting 0 and 1 often. */
export const fracArb = fc.oneof(fc.integer({ min: 0, max: 1000 }).map((n) => n / 1000), fc.constantFrom(0, 1));
