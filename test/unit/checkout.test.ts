import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { priceCheckout, type CheckoutInput } from '../../shared/loyalty/checkout.ts';
import { earnedPoints, maxRedeemablePoints, pointsToCents } from '../../shared/loyalty/points.ts';
import { DEFAULT_RULES, type LoyaltyRules } from '../../shared/schemas/rules.ts';
import type { Coupon } from '../../shared/schemas/coupon.ts';
import { basketArb, cash, coupon, gift, MEMBER, NOW, percent, scopeArb, STORE, termsArb, tierOf, type InputLine } from './fixtures.ts';

const basket: InputLine[] = [
  { sku: 'TEA-01', category: 'drink', qty: 2, unitPrice: 3000 },
  { sku: 'CUP-001', category: 'ware', qty: 1, unitPrice: 2500 },
  { sku: 'BEAN-5', category: 'food', qty: 1, unitPrice: 8000 },
]; // 16500

const member = (tier = 'L1', balance = 0) => ({ id: MEMBER, tier: tierOf(tier), balance });
const scanned = (c: Coupon, redeemed = false) => ({ code: c.code, coupon: c, redeemed });

function input(over: Partial<CheckoutInput> = {}): CheckoutInput {
  return { lines: basket, coupons: [], pointsToRedeem: 0, storeId: STORE, now: NOW, rules: DEFAULT_RULES, ...over };
}

function priced(over: Partial<CheckoutInput> = {}) {
  const r = priceCheckout(input(over));
  if (!r.ok) throw new Error(`refused: ${JSON.stringify(r.refusal)}`);
  return r.value;
}

function refusal(over: Partial<CheckoutInput> = {}) {
  const r = priceCheckout(input(over));
  if (r.ok) throw new Error('expected a refusal');
  return r.refusal;
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

describe('priceCheckout: totals', () => {
  it('an anonymous receipt pays the list price and earns nothing', () => {
    const p = priced();
    expect(p.totalCents).toBe(16_500);
    expect(p.payableCents).toBe(16_500);
    expect(p.couponDiscountCents).toBe(0);
    expect(p.pointsCashCents).toBe(0);
    expect(p.pointsEarned).toBe(0);
    expect(p.pointsRedeemed).toBe(0);
    expect(p.coupons).toEqual([]);
    expect(p.lines).toEqual([
      { sku: 'TEA-01', category: 'drink', qty: 2, unitPriceCents: 3000, totalCents: 6000, discountCents: 0, payableCents: 6000 },
      { sku: 'CUP-001', category: 'ware', qty: 1, unitPriceCents: 2500, totalCents: 2500, discountCents: 0, payableCents: 2500 },
      { sku: 'BEAN-5', category: 'food', qty: 1, unitPriceCents: 8000, totalCents: 8000, discountCents: 0, payableCents: 8000 },
    ]);
  });

  it('a line without a category stays without one', () => {
    const p = priced({ lines: [{ sku: 'X', qty: 1, unitPrice: 1 }] });
    expect(p.lines[0]).not.toHaveProperty('category');
  });

  it('a member earns 1 point per RMB paid at their tier', () => {
    expect(priced({ member: member('L1') }).pointsEarned).toBe(165);
    expect(priced({ member: member('L3') }).pointsEarned).toBe(247); // 165 × 1.5 = 247.5
    expect(priced({ member: member('L4') }).pointsEarned).toBe(330);
    expect(priced({ member: member('L3'), lines: [{ sku: 'X', qty: 1, unitPrice: 12_345 }] }).pointsEarned).toBe(185);
  });

  it('coupon, then points: payable = total − coupon discount − points cash; points earned on payable', () => {
    const c = coupon(cash(2000, 10_000));
    const p = priced({ member: member('L3', 10_000), coupons: [scanned(c)], pointsToRedeem: 5000 });
    expect(p.totalCents).toBe(16_500);
    expect(p.couponDiscountCents).toBe(2000);
    expect(p.coupons).toEqual([{ code: c.code, discountCents: 2000 }]);
    expect(p.pointsCashCents).toBe(5000);
    expect(p.pointsRedeemed).toBe(5000);
    expect(p.payableCents).toBe(9500);
    expect(p.pointsEarned).toBe(142); // 95 RMB × 1.5 = 142.5
    expect(sum(p.lines.map((l) => l.discountCents))).toBe(7000);
    expect(sum(p.lines.map((l) => l.payableCents))).toBe(9500);
    for (const l of p.lines) expect(l.totalCents - l.discountCents).toBe(l.payableCents);
  });

  it('the coupon discount lands on the lines in proportion', () => {
    const p = priced({ member: member(), coupons: [scanned(coupon(cash(1650)))] });
    expect(p.lines.map((l) => l.discountCents)).toEqual([600, 250, 800]);
  });

  it('coupons apply in scan order, each on what is left', () => {
    const a = coupon(cash(2000), { code: 'CPN-A' });
    const b = coupon(percent(10), { code: 'CPN-B' });
    const ab = priced({ member: member(), coupons: [scanned(a), scanned(b)] });
    expect(ab.coupons).toEqual([
      { code: 'CPN-A', discountCents: 2000 },
      { code: 'CPN-B', discountCents: 1450 },
    ]);
    const ba = priced({ member: member(), coupons: [scanned(b), scanned(a)] });
    expect(ba.coupons).toEqual([
      { code: 'CPN-B', discountCents: 1650 },
      { code: 'CPN-A', discountCents: 2000 },
    ]);
  });

  it('a later coupon sees the basket after the earlier one (min spend and gift)', () => {
    const big = coupon(cash(10_000), { code: 'CPN-BIG' });
    const needs = coupon(cash(100, 10_000), { code: 'CPN-MIN' });
    expect(refusal({ member: member(), coupons: [scanned(big), scanned(needs)] })).toMatchObject({ code: 'coupon_invalid', couponCode: 'CPN-MIN', reason: 'min_spend_not_met' });
    const g = priced({ member: member(), coupons: [scanned(coupon(gift('CUP-001')))] });
    expect(g.couponDiscountCents).toBe(2500);
    expect(g.lines[1]).toMatchObject({ discountCents: 2500, payableCents: 0 });
  });

  it('the points cap is a share of what is left after coupons', () => {
    const c = coupon(cash(2000));
    // 14500 left, 50% = 7250 cents = 7250 points.
    expect(priced({ member: member('L1', 100_000), coupons: [scanned(c)], pointsToRedeem: 7250 }).payableCents).toBe(7250);
    expect(refusal({ member: member('L1', 100_000), coupons: [scanned(c)], pointsToRedeem: 7251 })).toMatchObject({ code: 'points_over_cap', maxPoints: 7250 });
  });

  it('points at 150 per RMB pay two cents per three points', () => {
    const rules: LoyaltyRules = { ...DEFAULT_RULES, cash: { pointsPerYuan: 150, maxShareBps: 5000 } };
    const p = priced({ rules, member: member('L1', 1000), pointsToRedeem: 300 });
    expect(p.pointsCashCents).toBe(200);
    expect(p.payableCents).toBe(16_300);
    expect(p.pointsRedeemed).toBe(300);
  });
});

describe('priceCheckout: refusals', () => {
  it('member_required for coupons or points without a member', () => {
    expect(refusal({ coupons: [scanned(coupon(cash(100)))] })).toMatchObject({ code: 'member_required' });
    expect(refusal({ pointsToRedeem: 100 })).toMatchObject({ code: 'member_required' });
  });

  it('coupon_invalid: not_found for an unknown code', () => {
    expect(refusal({ member: member(), coupons: [{ code: 'NOPE-1', coupon: undefined, redeemed: false }] })).toMatchObject({
      code: 'coupon_invalid',
      couponCode: 'NOPE-1',
      reason: 'not_found',
    });
  });

  it('coupon_invalid: duplicate when the same code is scanned twice', () => {
    const c = coupon(cash(100));
    expect(refusal({ member: member(), coupons: [scanned(c), scanned(c)] })).toMatchObject({ code: 'coupon_invalid', couponCode: c.code, reason: 'duplicate' });
    // Even an unknown code scanned twice is reported as not_found first.
    const unknown = { code: 'NOPE-1', coupon: undefined, redeemed: false };
    expect(refusal({ member: member(), coupons: [unknown, unknown] })).toMatchObject({ reason: 'not_found' });
  });

  it('coupon_invalid carries the coupon evaluation reason', () => {
    expect(refusal({ member: member(), coupons: [scanned(coupon(cash(100)), true)] })).toMatchObject({ code: 'coupon_invalid', reason: 'redeemed' });
    expect(refusal({ member: member(), coupons: [scanned(coupon(cash(100), { memberId: 'M0002' }))] })).toMatchObject({ code: 'coupon_invalid', reason: 'not_owner' });
    expect(refusal({ member: member(), coupons: [scanned(coupon(cash(100)))], now: '2026-04-01T00:00:00.000Z' })).toMatchObject({ code: 'coupon_invalid', reason: 'expired' });
    expect(refusal({ member: member(), coupons: [scanned(coupon(cash(100), { scope: { stores: ['S002'] } }))] })).toMatchObject({ code: 'coupon_invalid', reason: 'store_not_allowed' });
  });

  it('insufficient_points', () => {
    expect(refusal({ member: member('L1', 100), pointsToRedeem: 101 })).toEqual({ code: 'insufficient_points', message: expect.any(String), balance: 100 });
    expect(priced({ member: member('L1', 100), pointsToRedeem: 100 }).pointsCashCents).toBe(100);
    expect(refusal({ member: member('L1', -50), pointsToRedeem: 1 })).toMatchObject({ code: 'insufficient_points', balance: -50 });
  });

  it('points_over_cap', () => {
    expect(refusal({ member: member('L1', 100_000), pointsToRedeem: 8251 })).toMatchObject({ code: 'points_over_cap', maxPoints: 8250 });
    expect(priced({ member: member('L1', 100_000), pointsToRedeem: 8250 }).payableCents).toBe(8250);
    const rules: LoyaltyRules = { ...DEFAULT_RULES, cash: { pointsPerYuan: 100, maxShareBps: 0 } };
    expect(refusal({ rules, member: member('L1', 100_000), pointsToRedeem: 1 })).toMatchObject({ code: 'points_over_cap', maxPoints: 0 });
  });

  it('points_not_whole_cents when pointsPerYuan is 150', () => {
    const rules: LoyaltyRules = { ...DEFAULT_RULES, cash: { pointsPerYuan: 150, maxShareBps: 5000 } };
    expect(refusal({ rules, member: member('L1', 1000), pointsToRedeem: 100 })).toMatchObject({ code: 'points_not_whole_cents' });
    expect(refusal({ rules, member: member('L1', 1000), pointsToRedeem: 1 })).toMatchObject({ code: 'points_not_whole_cents' });
    expect(priced({ rules, member: member('L1', 1000), pointsToRedeem: 3 }).pointsCashCents).toBe(2);
  });

  it('checks points in order: balance, then cap, then whole cents', () => {
    const rules: LoyaltyRules = { ...DEFAULT_RULES, cash: { pointsPerYuan: 150, maxShareBps: 5000 } };
    expect(refusal({ rules, member: member('L1', 10), pointsToRedeem: 1_000_001 })).toMatchObject({ code: 'insufficient_points' });
    expect(refusal({ rules, member: member('L1', 10_000_000), pointsToRedeem: 1_000_001 })).toMatchObject({ code: 'points_over_cap' });
  });
});

describe('priceCheckout properties', () => {
  const ppyArb = fc.constantFrom(100, 150, 1, 50, 1000);
  const scenario = fc.record({
    lines: basketArb,
    coupons: fc.array(fc.record({ terms: termsArb, scope: scopeArb }), { maxLength: 3 }),
    tier: fc.constantFrom('L1', 'L2', 'L3', 'L4'),
    balance: fc.nat({ max: 200_000 }),
    points: fc.oneof(fc.constant(0), fc.nat({ max: 100_000 }), fc.nat({ max: 300 })),
    ppy: ppyArb,
    bps: fc.constantFrom(5000, 10000, 0, 3333),
    anonymous: fc.boolean(),
  });

  type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;
  const build = (s: Scenario) => {
    const rules: LoyaltyRules = { ...DEFAULT_RULES, cash: { pointsPerYuan: s.ppy, maxShareBps: s.bps } };
    const coupons = s.coupons.map((c, i) => scanned(coupon(c.terms, { code: `CPN-${i}`, scope: c.scope })));
    const anonymous = s.anonymous && coupons.length === 0 && s.points === 0;
    return input({
      rules,
      lines: s.lines,
      coupons,
      pointsToRedeem: s.points,
      ...(anonymous ? {} : { member: member(s.tier, s.balance) }),
    });
  };

  it('for random baskets: payable ≥ 0, line payables sum to payable, line discounts sum to total − payable', () => {
    let accepted = 0;
    let withPoints = 0;
    let withCoupons = 0;
    fc.assert(
      fc.property(scenario, (s) => {
        const inp = build(s);
        const r = priceCheckout(inp);
        if (!r.ok) return;
        accepted++;
        const p = r.value;
        if (p.pointsRedeemed > 0) withPoints++;
        if (p.coupons.length > 0) withCoupons++;
        expect(p.totalCents).toBe(sum(inp.lines.map((l) => l.qty * l.unitPrice)));
        expect(p.payableCents).toBeGreaterThanOrEqual(0);
        expect(sum(p.lines.map((l) => l.payableCents))).toBe(p.payableCents);
        expect(sum(p.lines.map((l) => l.discountCents))).toBe(p.totalCents - p.payableCents);
        expect(p.payableCents).toBe(p.totalCents - p.couponDiscountCents - p.pointsCashCents);
        expect(p.couponDiscountCents).toBe(sum(p.coupons.map((c) => c.discountCents)));
        expect(p.coupons.map((c) => c.code)).toEqual(inp.coupons.map((c) => c.code));
        p.lines.forEach((l, i) => {
          const src = inp.lines[i]!;
          expect(l.sku).toBe(src.sku);
          expect(l.qty).toBe(src.qty);
          expect(l.totalCents).toBe(src.qty * src.unitPrice);
          expect(l.discountCents).toBeGreaterThanOrEqual(0);
          expect(l.payableCents).toBeGreaterThanOrEqual(0);
          expect(l.discountCents + l.payableCents).toBe(l.totalCents);
          for (const v of [l.discountCents, l.payableCents]) expect(Number.isInteger(v)).toBe(true);
        });
        // Points: exactly what was asked, worth whole cents, within the cap and the balance.
        expect(p.pointsRedeemed).toBe(inp.pointsToRedeem);
        if (p.pointsRedeemed > 0) {
          expect(p.pointsRedeemed).toBeLessThanOrEqual(inp.member!.balance);
          expect(p.pointsCashCents).toBe(pointsToCents(inp.rules, p.pointsRedeemed));
          expect(p.pointsRedeemed).toBeLessThanOrEqual(maxRedeemablePoints(inp.rules, p.totalCents - p.couponDiscountCents));
          expect(p.pointsCashCents * 10000).toBeLessThanOrEqual((p.totalCents - p.couponDiscountCents) * inp.rules.cash.maxShareBps);
        } else expect(p.pointsCashCents).toBe(0);
        expect(p.pointsEarned).toBe(inp.member ? earnedPoints(inp.rules, inp.member.tier, p.payableCents) : 0);
      }),
      { numRuns: 500 },
    );
    // The generators must reach the interesting cases, not only refusals.
    expect(accepted).toBeGreaterThan(100);
    expect(withPoints).toBeGreaterThan(20);
    expect(withCoupons).toBeGreaterThan(20);
  });

  it('refuses points exactly when they break a rule, in the documented order', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const inp = build({ ...s, coupons: [] });
        const r = priceCheckout(inp);
        if (inp.pointsToRedeem === 0) {
          expect(r.ok).toBe(true);
          return;
        }
        const m = inp.member!;
        const total = sum(inp.lines.map((l) => l.qty * l.unitPrice));
        const expected =
          inp.pointsToRedeem > m.balance
            ? 'insufficient_points'
            : inp.pointsToRedeem > maxRedeemablePoints(inp.rules, total)
              ? 'points_over_cap'
              : (inp.pointsToRedeem * 100) % inp.rules.cash.pointsPerYuan !== 0
                ? 'points_not_whole_cents'
                : undefined;
        if (expected === undefined) expect(r.ok).toBe(true);
        else expect(r).toMatchObject({ ok: false, refusal: { code: expected } });
      }),
      { numRuns: 300 },
    );
  });

  it('does not change its input', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const inp = build(s);
        const copy = structuredClone(inp);
        priceCheckout(inp);
        expect(inp).toEqual(copy);
      }),
      { numRuns: 100 },
    );
  });
});
