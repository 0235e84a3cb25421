import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { evaluateCoupon, type CouponContext, type PricedLine } from '../../shared/coupons.ts';
import { basketArb, cash, coupon, gift, MEMBER, NOW, percent, scopeArb, STORE, termsArb } from './fixtures.ts';

const ctx = (over: Partial<CouponContext> = {}): CouponContext => ({ memberId: MEMBER, storeId: STORE, now: NOW, redeemed: false, ...over });

function line(sku: string, qty: number, unitPriceCents: number, category?: string, remainingCents = qty * unitPriceCents): PricedLine {
  return category === undefined ? { sku, qty, unitPriceCents, remainingCents } : { sku, category, qty, unitPriceCents, remainingCents };
}

const basket = [line('TEA-01', 2, 3000, 'drink'), line('CUP-001', 1, 2500, 'ware'), line('BEAN-5', 1, 8000, 'food')]; // 16500

describe('evaluateCoupon: reasons', () => {
  it('not_owner: another member holds it', () => {
    expect(evaluateCoupon(coupon(cash(1000)), ctx({ memberId: 'M9999' }), basket)).toEqual({ valid: false, reason: 'not_owner' });
  });

  it('redeemed', () => {
    expect(evaluateCoupon(coupon(cash(1000)), ctx({ redeemed: true }), basket)).toEqual({ valid: false, reason: 'redeemed' });
  });

  it('not_yet_valid and expired, with inclusive bounds', () => {
    const c = coupon(cash(1000), { validFrom: '2026-03-10T00:00:00.000Z', validTo: '2026-03-20T00:00:00.000Z' });
    expect(evaluateCoupon(c, ctx({ now: '2026-03-09T23:59:59.999Z' }), basket)).toEqual({ valid: false, reason: 'not_yet_valid' });
    expect(evaluateCoupon(c, ctx({ now: '2026-03-10T00:00:00.000Z' }), basket).valid).toBe(true);
    expect(evaluateCoupon(c, ctx({ now: '2026-03-20T00:00:00.000Z' }), basket).valid).toBe(true);
    expect(evaluateCoupon(c, ctx({ now: '2026-03-20T00:00:00.001Z' }), basket)).toEqual({ valid: false, reason: 'expired' });
  });

  it('store_not_allowed', () => {
    const c = coupon(cash(1000), { scope: { stores: ['S002', 'S003'] } });
    expect(evaluateCoupon(c, ctx(), basket)).toEqual({ valid: false, reason: 'store_not_allowed' });
    expect(evaluateCoupon(c, ctx({ storeId: 'S003' }), basket).valid).toBe(true);
  });

  it('no_eligible_lines: no line in the categories, or nothing left to pay on them', () => {
    expect(evaluateCoupon(coupon(cash(1000), { scope: { categories: ['toys'] } }), ctx(), basket)).toEqual({ valid: false, reason: 'no_eligible_lines' });
    // A line without a category is outside any category scope.
    expect(evaluateCoupon(coupon(cash(1000), { scope: { categories: ['drink'] } }), ctx(), [line('X', 1, 500)])).toEqual({ valid: false, reason: 'no_eligible_lines' });
    expect(evaluateCoupon(coupon(cash(1000)), ctx(), [line('X', 1, 500, undefined, 0)])).toEqual({ valid: false, reason: 'no_eligible_lines' });
    expect(evaluateCoupon(coupon(cash(1000)), ctx(), [line('FREE', 1, 0)])).toEqual({ valid: false, reason: 'no_eligible_lines' });
  });

  it('no_eligible_lines: a gift coupon without its SKU in the basket', () => {
    expect(evaluateCoupon(coupon(gift('MUG-9')), ctx(), basket)).toEqual({ valid: false, reason: 'no_eligible_lines' });
    // The gift SKU outside the category scope does not count either.
    expect(evaluateCoupon(coupon(gift('CUP-001'), { scope: { categories: ['drink'] } }), ctx(), basket)).toEqual({ valid: false, reason: 'no_eligible_lines' });
  });

  it('min_spend_not_met, measured on eligible lines only', () => {
    expect(evaluateCoupon(coupon(cash(2000, 20_000)), ctx(), basket)).toEqual({ valid: false, reason: 'min_spend_not_met' });
    expect(evaluateCoupon(coupon(cash(2000, 16_500)), ctx(), basket).valid).toBe(true);
    // 6000 of drinks is below 10000 even though the receipt is 16500.
    expect(evaluateCoupon(coupon(cash(2000, 10_000), { scope: { categories: ['drink'] } }), ctx(), basket)).toEqual({ valid: false, reason: 'min_spend_not_met' });
    // What is left after earlier coupons counts, not the list price.
    expect(evaluateCoupon(coupon(cash(100, 1000)), ctx(), [line('X', 1, 1500, undefined, 999)])).toEqual({ valid: false, reason: 'min_spend_not_met' });
  });

  it('checks in order: owner before redeemed before dates before store', () => {
    const c = coupon(cash(1000), { validTo: '2020-01-01T00:00:00.000Z', scope: { stores: ['S999'] } });
    expect(evaluateCoupon(c, ctx({ memberId: 'other', redeemed: true }), basket)).toMatchObject({ reason: 'not_owner' });
    expect(evaluateCoupon(c, ctx({ redeemed: true }), basket)).toMatchObject({ reason: 'redeemed' });
    expect(evaluateCoupon(c, ctx(), basket)).toMatchObject({ reason: 'expired' });
  });
});

describe('evaluateCoupon: discounts', () => {
  it('cash: spread over lines in proportion to what is left', () => {
    const r = evaluateCoupon(coupon(cash(1650)), ctx(), basket);
    expect(r).toEqual({ valid: true, discountCents: 1650, perLine: [600, 250, 800] });
  });

  it('cash is capped at the eligible amount', () => {
    expect(evaluateCoupon(coupon(cash(50_000)), ctx(), basket)).toEqual({ valid: true, discountCents: 16_500, perLine: [6000, 2500, 8000] });
    expect(evaluateCoupon(coupon(cash(50_000), { scope: { categories: ['ware'] } }), ctx(), basket)).toEqual({ valid: true, discountCents: 2500, perLine: [0, 2500, 0] });
  });

  it('percent, rounded down, with a cap', () => {
    expect(evaluateCoupon(coupon(percent(10)), ctx(), basket)).toEqual({ valid: true, discountCents: 1650, perLine: [600, 250, 800] });
    expect(evaluateCoupon(coupon(percent(10, 1000)), ctx(), basket)).toMatchObject({ valid: true, discountCents: 1000 });
    expect(evaluateCoupon(coupon(percent(33)), ctx(), [line('X', 1, 99)])).toEqual({ valid: true, discountCents: 32, perLine: [32] });
    expect(evaluateCoupon(coupon(percent(100)), ctx(), basket)).toMatchObject({ valid: true, discountCents: 16_500 });
    // The cap only lowers.
    expect(evaluateCoupon(coupon(percent(10, 1_000_000)), ctx(), basket)).toMatchObject({ valid: true, discountCents: 1650 });
  });

  it('percent applies to the category scope only', () => {
    expect(evaluateCoupon(coupon(percent(50), { scope: { categories: ['drink', 'food'] } }), ctx(), basket)).toEqual({
      valid: true,
      discountCents: 7000,
      perLine: [3000, 0, 4000],
    });
  });

  it('gift takes one unit of the gift SKU off', () => {
    const r = evaluateCoupon(coupon(gift('TEA-01')), ctx(), basket);
    expect(r).toEqual({ valid: true, discountCents: 3000, perLine: [3000, 0, 0] });
    // When less than a unit is left on the line, what is left.
    expect(evaluateCoupon(coupon(gift('TEA-01')), ctx(), [line('TEA-01', 2, 3000, 'drink', 1200)])).toEqual({ valid: true, discountCents: 1200, perLine: [1200] });
    // The first line of that SKU with something left on it.
    expect(evaluateCoupon(coupon(gift('CUP-001')), ctx(), [line('CUP-001', 1, 2500, 'ware', 0), line('CUP-001', 3, 2400, 'ware')])).toEqual({
      valid: true,
      discountCents: 2400,
      perLine: [0, 2400],
    });
  });
});

describe('evaluateCoupon properties', () => {
  const priced = basketArb.map((ls) =>
    ls.map((l) => (l.category === undefined ? line(l.sku, l.qty, l.unitPrice) : line(l.sku, l.qty, l.unitPrice, l.category))),
  );

  it('a valid discount is the sum of its per-line parts, never more than what is left on eligible lines', () => {
    fc.assert(
      fc.property(termsArb, scopeArb, priced, (terms, scope, lines) => {
        const r = evaluateCoupon(coupon(terms, { scope }), ctx(), lines);
        if (!r.valid) return;
        expect(r.perLine).toHaveLength(lines.length);
        expect(r.perLine.reduce((a, b) => a + b, 0)).toBe(r.discountCents);
        expect(r.discountCents).toBeGreaterThanOrEqual(0);
        lines.forEach((l, i) => {
          const d = r.perLine[i]!;
          expect(Number.isInteger(d)).toBe(true);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThanOrEqual(l.remainingCents);
          const inScope = !scope.categories || (l.category !== undefined && scope.categories.includes(l.category));
          if (!inScope) expect(d).toBe(0);
        });
        if (terms.kind === 'cash') expect(r.discountCents).toBeLessThanOrEqual(terms.valueCents);
        if (terms.kind === 'percent' && terms.capCents !== undefined) expect(r.discountCents).toBeLessThanOrEqual(terms.capCents);
        if (terms.kind === 'gift') {
          expect(r.perLine.filter((d) => d > 0)).toHaveLength(1);
          const i = r.perLine.findIndex((d) => d > 0);
          expect(lines[i]!.sku).toBe(terms.giftSku);
          expect(r.discountCents).toBeLessThanOrEqual(lines[i]!.unitPriceCents);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('cash and percent discounts are exact', () => {
    fc.assert(
      fc.property(termsArb.filter((t) => t.kind !== 'gift'), scopeArb, priced, (terms, scope, lines) => {
        const r = evaluateCoupon(coupon(terms, { scope }), ctx(), lines);
        const eligible = lines
          .filter((l) => !scope.categories || (l.category !== undefined && scope.categories.includes(l.category)))
          .reduce((s, l) => s + l.remainingCents, 0);
        if (eligible === 0) {
          expect(r).toEqual({ valid: false, reason: 'no_eligible_lines' });
          return;
        }
        if (eligible < terms.minSpendCents) {
          expect(r).toEqual({ valid: false, reason: 'min_spend_not_met' });
          return;
        }
        const expected =
          terms.kind === 'cash'
            ? Math.min(terms.valueCents, eligible)
            : Math.min(Math.floor((eligible * terms.percentOff) / 100), terms.kind === 'percent' && terms.capCents !== undefined ? terms.capCents : Infinity);
        // A coupon that would take nothing off is not spent.
        if (expected === 0) expect(r).toEqual({ valid: false, reason: 'no_discount' });
        else expect(r).toMatchObject({ valid: true, discountCents: expected });
      }),
      { numRuns: 400 },
    );
  });
});
