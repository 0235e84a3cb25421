import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../shared/limits.ts';
import { priceCheckout } from '../../shared/loyalty/checkout.ts';
import { priceRefund } from '../../shared/loyalty/refund.ts';
import { allocate, mulDiv } from '../../shared/money.ts';
import { CheckoutBodySchema, RegisterBodySchema } from '../../shared/schemas/api.ts';
import { OrderDocSchema, RefundDocSchema, type OrderDoc } from '../../shared/schemas/documents.ts';
import { DEFAULT_RULES, LoyaltyRulesSchema, type LoyaltyRules } from '../../shared/schemas/rules.ts';
import { MEMBER, NOW, STORE } from './fixtures.ts';

/*
 * One set of limits: whatever the API accepts prices into documents the stored schemas accept,
 * and refunds of them too (a 500-line receipt of 10,000 units at 1e8 fen once answered 201, then
 * 500 on its refund, and the hub dropped it).
 */

const line = fc.record({
  sku: fc.constantFrom('A', 'B', 'C'),
  qty: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constant(LIMITS.qty)),
  unitPrice: fc.oneof(fc.integer({ min: 0, max: 50_000 }), fc.constant(LIMITS.unitPriceCents)),
});
const generousRules: LoyaltyRules = LoyaltyRulesSchema.parse({
  ...DEFAULT_RULES,
  earn: { pointsPerYuan: 1000 },
  tiers: DEFAULT_RULES.tiers.map((t) => ({ ...t, multiplierPct: 1000 })),
  maxPointsPerReceipt: LIMITS.points,
});

describe('limits agree between the door and the stored documents', () => {
  it('a body the API accepts prices into an order and a full refund the stored schemas accept', () => {
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 30 }), fc.constantFrom(DEFAULT_RULES, generousRules), (lines, rules) => {
        const body = CheckoutBodySchema.safeParse({ receiptNo: 'R1', memberId: MEMBER, lines });
        if (!body.success) {
          expect(lines.reduce((s, l) => s + l.qty * l.unitPrice, 0)).toBeGreaterThan(LIMITS.receiptCents);
          return;
        }
        const priced = priceCheckout({ lines: body.data.lines, coupons: [], pointsToRedeem: 0, member: { id: MEMBER, tier: rules.tiers.at(-1)!, balance: 0 }, storeId: STORE, now: NOW, rules });
        if (!priced.ok) throw new Error(JSON.stringify(priced.refusal));
        const order: OrderDoc = { _id: 'order:S001:T1:R1', type: 'order', storeId: STORE, terminalId: 'T1', receiptNo: 'R1', memberId: MEMBER, at: NOW, day: NOW.slice(0, 10), ...priced.value, rulesVersion: 1, requestHash: 'h' };
        expect(OrderDocSchema.safeParse(order).success).toBe(true);
        expect(Number.isSafeInteger(order.pointsEarned)).toBe(true);
        const refund = priceRefund(order, [], undefined);
        if (!refund.ok) throw new Error(JSON.stringify(refund.refusal));
        expect(refund.value.refundCents).toBe(order.payableCents);
        expect(refund.value.pointsClawedBack).toBe(order.pointsEarned);
        const doc = { _id: 'refund:S001:T1:R1:F1', type: 'refund', orderId: order._id, refundNo: 'F1', storeId: STORE, terminalId: 'T1', memberId: MEMBER, at: NOW, day: order.day, lines: refund.value.lines, refundCents: refund.value.refundCents, pointsClawedBack: refund.value.pointsClawedBack, pointsReturned: refund.value.pointsReturned, requestHash: 'h' };
        expect(RefundDocSchema.safeParse(doc).success).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses at the door a receipt worth more than one receipt may hold', () => {
    const lines = Array.from({ length: 500 }, (_, i) => ({ sku: `S${i}`, qty: 10_000, unitPrice: 100_000_000 }));
    const r = CheckoutBodySchema.safeParse({ receiptNo: 'BIG', lines });
    expect(r.success).toBe(false);
    expect(CheckoutBodySchema.safeParse({ receiptNo: 'OK', lines: [{ sku: 'X', qty: 100, unitPrice: 100_000_000 }] }).success).toBe(true);
  });

  it('caps the points one receipt earns at the rules ceiling and says what it would have been', () => {
    const rules = { ...DEFAULT_RULES, maxPointsPerReceipt: 1000 };
    const p = priceCheckout({ lines: [{ sku: 'RING', qty: 1, unitPrice: 5_000_000 }], coupons: [], pointsToRedeem: 0, member: { id: MEMBER, tier: rules.tiers[0]!, balance: 0 }, storeId: STORE, now: NOW, rules });
    expect(p.ok && p.value).toMatchObject({ pointsEarned: 1000, pointsUncapped: 50_000 });
    const q = priceCheckout({ lines: [{ sku: 'TEA', qty: 1, unitPrice: 5_000 }], coupons: [], pointsToRedeem: 0, member: { id: MEMBER, tier: rules.tiers[0]!, balance: 0 }, storeId: STORE, now: NOW, rules });
    expect(q.ok && q.value.pointsEarned).toBe(50);
    expect(q.ok && 'pointsUncapped' in q.value).toBe(false);
  });
});

describe('exact arithmetic on large amounts', () => {
  it('mulDiv is floor(a*b/c) exactly, also past 2^53', () => {
    const n = fc.integer({ min: 0, max: LIMITS.receiptCents });
    fc.assert(
      fc.property(n, fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 1, max: LIMITS.receiptCents }), (a, b, c) => {
        expect(mulDiv(a, b, c)).toBe(Number((BigInt(a) * BigInt(b)) / BigInt(c)));
      }),
    );
  });

  it('allocate splits a large amount into parts that add up exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: LIMITS.receiptCents }), fc.array(fc.integer({ min: 0, max: LIMITS.receiptCents }), { minLength: 1, maxLength: 20 }), (amount, weights) => {
        const parts = allocate(amount, weights);
        if (weights.every((w) => w === 0)) return;
        expect(parts.reduce((a, b) => a + b, 0)).toBe(amount);
        for (const p of parts) expect(p).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});

describe('text from a till', () => {
  it('refuses hidden characters in names, and birthdays before 1900', () => {
    for (const name of ['Li\u0000Ming', 'abc\u202Egnp.exe', 'x\uD800y', '\u200Fname', 'tab\there']) {
      expect(RegisterBodySchema.safeParse({ phone: '13800138000', name }).success, JSON.stringify(name)).toBe(false);
    }
    expect(RegisterBodySchema.safeParse({ phone: '13800138000', name: '张三 Zhang 👩‍👩‍👧' }).success).toBe(true);
    expect(RegisterBodySchema.safeParse({ phone: '13800138000', birthday: '1800-01-01' }).success).toBe(false);
    expect(RegisterBodySchema.safeParse({ phone: '13800138000', birthday: '1990-02-30' }).success).toBe(false);
    expect(RegisterBodySchema.safeParse({ phone: '13800138000', birthday: '1990-02-28' }).success).toBe(true);
  });
});
