import { describe, expect, it } from 'vitest';
import { priceCheckout } from '../../shared/loyalty/checkout.ts';
import { DEFAULT_RULES, LoyaltyRulesSchema, type LoyaltyRules } from '../../shared/schemas/rules.ts';
import { cash, coupon, gift, MEMBER, NOW, percent, STORE } from './fixtures.ts';

/* Coupon stacking and gift lines (decision 017): absent, coupons combine and apply in scan order, as before. */

const L1 = DEFAULT_RULES.tiers[0]!;
const rulesWith = (couponStacking: unknown): LoyaltyRules => LoyaltyRulesSchema.parse({ ...DEFAULT_RULES, couponStacking });
const CASH = coupon(cash(1000), { code: 'CASH-0001' });
const PCT = coupon(percent(10), { code: 'PCT-0001' });
const CUP = coupon(gift('CUP-001'), { code: 'GIFT-0001' });
const lines = [{ sku: 'TEA-01', qty: 1, unitPrice: 10_000 }];
const price = (rules: LoyaltyRules, coupons: typeof CASH[], basket = lines) =>
  priceCheckout({ lines: basket, coupons: coupons.map((c) => ({ code: c.code, coupon: c, redeemed: false })), pointsToRedeem: 0, member: { id: MEMBER, tier: L1, balance: 0 }, storeId: STORE, now: NOW, rules });

describe('coupon stacking', () => {
  it('without a section: scan order, every kind combines (as before)', () => {
    const p = price(DEFAULT_RULES, [PCT, CASH]);
    expect(p.ok && p.value.coupons).toEqual([{ code: 'PCT-0001', discountCents: 1000 }, { code: 'CASH-0001', discountCents: 1000 }]);
  });

  it('an order by kind: cash before percent whatever the scan order (the percent then takes 10% of what is left)', () => {
    const p = price(rulesWith({ order: ['cash', 'percent'] }), [PCT, CASH]);
    expect(p.ok && p.value.coupons).toEqual([{ code: 'CASH-0001', discountCents: 1000 }, { code: 'PCT-0001', discountCents: 900 }]);
    // Repricing the order as stored gives the same (the hub does so).
    const again = price(rulesWith({ order: ['cash', 'percent'] }), [CASH, PCT]);
    expect(again.ok && again.value.coupons).toEqual(p.ok && p.value.coupons);
  });

  it('exclusive kinds and limits per kind refuse the coupon that breaks them', () => {
    const ex = price(rulesWith({ exclusive: [['cash', 'percent']] }), [CASH, PCT]);
    expect(!ex.ok && ex.refusal).toMatchObject({ code: 'coupon_invalid', couponCode: 'PCT-0001', reason: 'not_stackable' });
    const two = price(rulesWith({ maxPerKind: { cash: 1 } }), [CASH, coupon(cash(500), { code: 'CASH-0002' })]);
    expect(!two.ok && two.refusal).toMatchObject({ couponCode: 'CASH-0002', reason: 'not_stackable' });
    const samePair = price(rulesWith({ exclusive: [['cash', 'cash']] }), [CASH, coupon(cash(500), { code: 'CASH-0002' })]);
    expect(!samePair.ok && samePair.refusal).toMatchObject({ couponCode: 'CASH-0002', reason: 'not_stackable' });
    expect(price(rulesWith({ exclusive: [['cash', 'percent']] }), [CASH, CUP], [...lines, { sku: 'CUP-001', qty: 1, unitPrice: 500 }]).ok).toBe(true);
  });

  it('unknown and repeated codes are refused first, as without stacking rules', () => {
    const p = priceCheckout({ lines, coupons: [{ code: 'CASH-0001', coupon: CASH, redeemed: false }, { code: 'NOPE-0001', coupon: undefined, redeemed: false }], pointsToRedeem: 0, member: { id: MEMBER, tier: L1, balance: 0 }, storeId: STORE, now: NOW, rules: rulesWith({ maxPerKind: { cash: 1 } }) });
    expect(!p.ok && p.refusal).toMatchObject({ couponCode: 'NOPE-0001', reason: 'not_found' });
  });
});

describe('gift coupons', () => {
  it('with giftAddsLine, a gift whose SKU is not on the receipt is put there at zero price, and earns nothing', () => {
    const p = price(rulesWith({ giftAddsLine: true }), [CUP]);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.value.lines).toHaveLength(2);
    expect(p.value.lines[1]).toEqual({ sku: 'CUP-001', giftOf: 'GIFT-0001', qty: 1, unitPriceCents: 0, totalCents: 0, discountCents: 0, payableCents: 0 });
    expect(p.value.coupons).toEqual([{ code: 'GIFT-0001', discountCents: 0 }]);
    expect(p.value.payableCents).toBe(10_000);
    expect(p.value.pointsEarned).toBe(100);
  });

  it('with the SKU on the receipt, one unit of it is free (as before); without giftAddsLine, a missing SKU is refused (as before)', () => {
    const p = price(rulesWith({ giftAddsLine: true }), [CUP], [...lines, { sku: 'CUP-001', qty: 2, unitPrice: 500 }]);
    expect(p.ok && p.value.coupons).toEqual([{ code: 'GIFT-0001', discountCents: 500 }]);
    expect(p.ok && p.value.lines).toHaveLength(2);
    const q = price(DEFAULT_RULES, [CUP]);
    expect(!q.ok && q.refusal).toMatchObject({ reason: 'no_eligible_lines' });
  });
});
