import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { priceCheckout, type CheckoutInput, type PricedCheckout } from '../../shared/loyalty/checkout.ts';
import { priceRefund, type PricedRefund } from '../../shared/loyalty/refund.ts';
import { ledgerBalance, type LedgerFact } from '../../shared/loyalty/points.ts';
import { DEFAULT_RULES, type LoyaltyRules } from '../../shared/schemas/rules.ts';
import type { OrderDoc, RefundDoc } from '../../shared/schemas/documents.ts';
import { basketArb, cash, coupon, fracArb, MEMBER, NOW, orderDoc, refundDoc, scopeArb, STORE, termsArb, tierOf, type InputLine } from './fixtures.ts';

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

function checkout(over: Partial<CheckoutInput>): PricedCheckout {
  const r = priceCheckout({ lines: [], coupons: [], pointsToRedeem: 0, storeId: STORE, now: NOW, rules: DEFAULT_RULES, ...over });
  if (!r.ok) throw new Error(`refused: ${JSON.stringify(r.refusal)}`);
  return r.value;
}

function refund(order: OrderDoc, previous: RefundDoc[], request: { sku: string; qty: number }[] | undefined): PricedRefund {
  const r = priceRefund(order, previous, request);
  if (!r.ok) throw new Error(`refused: ${JSON.stringify(r.refusal)}`);
  return r.value;
}

const basket: InputLine[] = [
  { sku: 'TEA-01', category: 'drink', qty: 3, unitPrice: 3333 },
  { sku: 'CUP-001', category: 'ware', qty: 1, unitPrice: 2500 },
  { sku: 'TEA-01', category: 'drink', qty: 2, unitPrice: 1000 },
]; // 9999 + 2500 + 2000 = 14499

/** Coupon, points and a Gold member: every field of the order is non-trivial. */
const richOrder = () =>
  orderDoc(
    checkout({
      lines: basket,
      member: { id: MEMBER, tier: tierOf('L3'), balance: 10_000 },
      coupons: [{ code: 'CPN-0001', coupon: coupon(cash(1001)), redeemed: false }],
      pointsToRedeem: 3001,
    }),
  );

describe('priceRefund: examples', () => {
  it('the rich order is what we think it is', () => {
    const o = richOrder();
    expect(o.totalCents).toBe(14_499);
    expect(o.couponDiscountCents).toBe(1001);
    expect(o.pointsCashCents).toBe(3001);
    expect(o.payableCents).toBe(10_497);
    expect(o.pointsEarned).toBe(157); // 104.97 × 1.5
    expect(o.pointsRedeemed).toBe(3001);
  });

  it('a full refund returns every cent paid and all the points, both ways', () => {
    const o = richOrder();
    const r = refund(o, [], undefined);
    expect(r.refundCents).toBe(o.payableCents);
    expect(r.pointsClawedBack).toBe(o.pointsEarned);
    expect(r.pointsReturned).toBe(o.pointsRedeemed);
    expect(r.lines).toEqual(o.lines.map((l, index) => ({ index, qty: l.qty, refundCents: l.payableCents })));
  });

  it('a full refund given as explicit lines is the same as one without lines', () => {
    const o = richOrder();
    expect(refund(o, [], [{ sku: 'TEA-01', qty: 5 }, { sku: 'CUP-001', qty: 1 }])).toEqual(refund(o, [], undefined));
  });

  it('a SKU on two lines is refunded from the first line first', () => {
    const o = richOrder();
    const r = refund(o, [], [{ sku: 'TEA-01', qty: 4 }]);
    expect(r.lines.map((l) => [l.index, l.qty])).toEqual([
      [0, 3],
      [2, 1],
    ]);
  });

  it('a partial refund is in proportion, rounded down; the last one takes the rest', () => {
    const o = richOrder();
    const first = refund(o, [], [{ sku: 'CUP-001', qty: 1 }]);
    expect(first.refundCents).toBe(o.lines[1]!.payableCents);
    expect(first.pointsClawedBack).toBe(Math.floor((o.pointsEarned * o.lines[1]!.payableCents) / o.payableCents));
    expect(first.pointsReturned).toBe(Math.floor((o.pointsRedeemed * o.lines[1]!.payableCents) / o.payableCents));
    const rest = refund(o, [refundDoc(o, 'F1', first)], undefined);
    expect(first.refundCents + rest.refundCents).toBe(o.payableCents);
    expect(first.pointsClawedBack + rest.pointsClawedBack).toBe(o.pointsEarned);
    expect(first.pointsReturned + rest.pointsReturned).toBe(o.pointsRedeemed);
  });

  it('partial amounts are rounded down, never up; the remainder comes with the last unit', () => {
    // One line, 3 units, 200 cents paid, 10 points earned, 5 redeemed (set by hand to get thirds).
    const p = checkout({ lines: [{ sku: 'A', qty: 3, unitPrice: 200 }], member: { id: MEMBER, tier: tierOf('L1'), balance: 0 } });
    const o = orderDoc(p, { lines: [{ ...p.lines[0]!, payableCents: 200, discountCents: 400 }], payableCents: 200, pointsEarned: 10, pointsRedeemed: 5 });
    const a = refund(o, [], [{ sku: 'A', qty: 1 }]);
    expect(a).toMatchObject({ refundCents: 66, pointsClawedBack: 3, pointsReturned: 1 }); // 66.7, 3.3, 1.7
    const b = refund(o, [refundDoc(o, 'F1', a)], [{ sku: 'A', qty: 1 }]);
    expect(b).toMatchObject({ refundCents: 67, pointsClawedBack: 3, pointsReturned: 2 }); // 133 − 66, 6 − 3, 3 − 1
    const c = refund(o, [refundDoc(o, 'F1', a), refundDoc(o, 'F2', b)], undefined);
    expect(c).toMatchObject({ refundCents: 67, pointsClawedBack: 4, pointsReturned: 2 });
  });

  it('points follow what was paid on a line, not its list price', () => {
    // A drinks-only coupon makes the tea cheaper; refunding the cup claws back by the cup's share of what was paid.
    const p = checkout({
      lines: [
        { sku: 'TEA-01', category: 'drink', qty: 1, unitPrice: 10_000 },
        { sku: 'CUP-001', category: 'ware', qty: 1, unitPrice: 10_000 },
      ],
      member: { id: MEMBER, tier: tierOf('L1'), balance: 0 },
      coupons: [{ code: 'CPN-0001', coupon: coupon(cash(5000), { scope: { categories: ['drink'] } }), redeemed: false }],
    });
    const o = orderDoc(p, { pointsRedeemed: 300 });
    expect(o.payableCents).toBe(15_000);
    expect(o.pointsEarned).toBe(150);
    const cup = refund(o, [], [{ sku: 'CUP-001', qty: 1 }]);
    expect(cup).toMatchObject({ refundCents: 10_000, pointsClawedBack: 100, pointsReturned: 200 });
  });

  it('an order with nothing of value still gives back all its points on the full refund', () => {
    const p = checkout({ lines: [{ sku: 'FREE', qty: 2, unitPrice: 0 }], member: { id: MEMBER, tier: tierOf('L1'), balance: 0 } });
    const o = orderDoc(p, { pointsEarned: 7, pointsRedeemed: 9 }); // by hand: no checkout makes this
    const first = refund(o, [], [{ sku: 'FREE', qty: 1 }]);
    expect(first).toMatchObject({ refundCents: 0, pointsClawedBack: 0, pointsReturned: 0 });
    expect(refund(o, [refundDoc(o, 'F1', first)], undefined)).toMatchObject({ refundCents: 0, pointsClawedBack: 7, pointsReturned: 9 });
    expect(refund(o, [], undefined)).toMatchObject({ refundCents: 0, pointsClawedBack: 7, pointsReturned: 9 });
  });

  it('one unit at a time adds up exactly', () => {
    const o = richOrder();
    const done: RefundDoc[] = [];
    for (const want of ['TEA-01', 'TEA-01', 'CUP-001', 'TEA-01', 'TEA-01', 'TEA-01']) {
      done.push(refundDoc(o, `F${done.length}`, refund(o, done, [{ sku: want, qty: 1 }])));
    }
    expect(sum(done.map((d) => d.refundCents))).toBe(o.payableCents);
    expect(sum(done.map((d) => d.pointsClawedBack))).toBe(o.pointsEarned);
    expect(sum(done.map((d) => d.pointsReturned))).toBe(o.pointsRedeemed);
    expect(priceRefund(o, done, undefined)).toMatchObject({ ok: false, refusal: { code: 'nothing_to_refund' } });
  });

  it('refund_exceeds_purchase for more than bought, an unknown SKU, or more than is left', () => {
    const o = richOrder();
    expect(priceRefund(o, [], [{ sku: 'CUP-001', qty: 2 }])).toMatchObject({ ok: false, refusal: { code: 'refund_exceeds_purchase', sku: 'CUP-001' } });
    expect(priceRefund(o, [], [{ sku: 'TEA-01', qty: 6 }])).toMatchObject({ ok: false, refusal: { code: 'refund_exceeds_purchase', sku: 'TEA-01' } });
    expect(priceRefund(o, [], [{ sku: 'MUG-9', qty: 1 }])).toMatchObject({ ok: false, refusal: { code: 'refund_exceeds_purchase', sku: 'MUG-9' } });
    // The same SKU twice in one request counts both.
    expect(priceRefund(o, [], [{ sku: 'TEA-01', qty: 3 }, { sku: 'TEA-01', qty: 3 }])).toMatchObject({ ok: false, refusal: { code: 'refund_exceeds_purchase' } });
    const prev = [refundDoc(o, 'F1', refund(o, [], [{ sku: 'TEA-01', qty: 4 }]))];
    expect(priceRefund(o, prev, [{ sku: 'TEA-01', qty: 2 }])).toMatchObject({ ok: false, refusal: { code: 'refund_exceeds_purchase', sku: 'TEA-01' } });
    expect(priceRefund(o, prev, [{ sku: 'TEA-01', qty: 1 }]).ok).toBe(true);
  });

  it('nothing_to_refund once everything is refunded', () => {
    const o = richOrder();
    const all = [refundDoc(o, 'F1', refund(o, [], undefined))];
    expect(priceRefund(o, all, undefined)).toMatchObject({ ok: false, refusal: { code: 'nothing_to_refund' } });
    expect(priceRefund(o, all, [{ sku: 'CUP-001', qty: 1 }])).toMatchObject({ ok: false, refusal: { code: 'refund_exceeds_purchase' } });
  });

  it('an order paid entirely by coupon: no cents back, points returned by list value', () => {
    const p = checkout({
      lines: [
        { sku: 'A', qty: 1, unitPrice: 1000 },
        { sku: 'B', qty: 1, unitPrice: 3000 },
      ],
      member: { id: MEMBER, tier: tierOf('L1'), balance: 0 },
      coupons: [{ code: 'CPN-0001', coupon: coupon(cash(4000)), redeemed: false }],
    });
    expect(p.payableCents).toBe(0);
    // Points redeemed on a free order cannot happen through priceCheckout (the cap is 0), so set them by hand.
    const o = orderDoc(p, { pointsRedeemed: 400 });
    const a = refund(o, [], [{ sku: 'A', qty: 1 }]);
    expect(a).toMatchObject({ refundCents: 0, pointsClawedBack: 0, pointsReturned: 100 });
    const b = refund(o, [refundDoc(o, 'F1', a)], undefined);
    expect(b).toMatchObject({ refundCents: 0, pointsClawedBack: 0, pointsReturned: 300 });
  });
});

/** A realistic order from priceCheckout; retried until the random request is accepted. */
const orderArb = fc
  .record({
    lines: basketArb,
    coupons: fc.array(fc.record({ terms: termsArb, scope: scopeArb }), { maxLength: 2 }),
    tier: fc.constantFrom('L1', 'L2', 'L3', 'L4'),
    pointsFrac: fracArb,
    ppy: fc.constantFrom(100, 50, 1, 200),
  })
  .map(({ lines, coupons, tier, pointsFrac, ppy }) => {
    const rules: LoyaltyRules = { ...DEFAULT_RULES, earn: { pointsPerYuan: 3 }, cash: { pointsPerYuan: ppy, maxShareBps: 5000 } };
    const base = {
      lines,
      coupons: coupons.map((c, i) => ({ code: `CPN-${i}`, coupon: coupon(c.terms, { code: `CPN-${i}`, scope: c.scope }), redeemed: false })),
      member: { id: MEMBER, tier: tierOf(tier), balance: 1_000_000 },
      storeId: STORE,
      now: NOW,
      rules,
    };
    // Drop coupons that refuse, then redeem a whole-cents share of the cap.
    let r = priceCheckout({ ...base, pointsToRedeem: 0 });
    if (!r.ok) r = priceCheckout({ ...base, coupons: [], pointsToRedeem: 0 });
    if (!r.ok) throw new Error('a plain checkout cannot refuse');
    const cap = Math.floor((r.value.totalCents - r.value.couponDiscountCents) / 2);
    const cents = Math.floor(cap * pointsFrac);
    const points = (cents * ppy) / 100;
    const coupons2 = r.value.coupons.length > 0 ? base.coupons : [];
    if (Number.isInteger(points) && points > 0) {
      const withPoints = priceCheckout({ ...base, coupons: coupons2, pointsToRedeem: points });
      if (withPoints.ok) return orderDoc(withPoints.value);
    }
    return orderDoc(r.value);
  });

/** A plan of partial refunds: for each step, a fraction of what is left of each line. */
const planArb = fc.array(fc.array(fracArb, { minLength: 8, maxLength: 8 }), { maxLength: 6 });

/** Runs the plan against the order, then refunds the rest; returns the refunds written. */
function runPlan(o: OrderDoc, plan: number[][], finalAsLines: boolean): RefundDoc[] {
  const done: RefundDoc[] = [];
  const left = o.lines.map((l) => l.qty);
  for (const step of plan) {
    const bySku = new Map<string, number>();
    o.lines.forEach((l, i) => {
      const n = Math.floor(left[i]! * step[i % step.length]!);
      left[i]! -= n;
      if (n > 0) bySku.set(l.sku, (bySku.get(l.sku) ?? 0) + n);
    });
    const request = [...bySku].map(([sku, qty]) => ({ sku, qty }));
    const r = priceRefund(o, done, request);
    if (request.length === 0) {
      expect(r).toMatchObject({ ok: false, refusal: { code: 'nothing_to_refund' } });
      continue;
    }
    if (!r.ok) throw new Error(`refused: ${JSON.stringify(r.refusal)}`);
    done.push(refundDoc(o, `F${done.length}`, r.value));
  }
  if (left.some((n) => n > 0)) {
    const bySku = new Map<string, number>();
    o.lines.forEach((l, i) => left[i]! > 0 && bySku.set(l.sku, (bySku.get(l.sku) ?? 0) + left[i]!));
    const rest = finalAsLines ? [...bySku].map(([sku, qty]) => ({ sku, qty })) : undefined;
    done.push(refundDoc(o, `F${done.length}`, refund(o, done, rest)));
  }
  return done;
}

describe('priceRefund properties', () => {
  it('any sequence of partial refunds ending in everything refunded sums exactly to payable, earned and redeemed', () => {
    const seen = { series: 0, redeemed: 0, longSeries: 0 };
    fc.assert(
      fc.property(orderArb, planArb, fc.boolean(), (o, plan, finalAsLines) => {
        const done = runPlan(o, plan, finalAsLines);
        if (done.length >= 2) seen.series++;
        if (done.length >= 4) seen.longSeries++;
        if (done.length >= 2 && o.pointsRedeemed > 0 && o.pointsEarned > 0) seen.redeemed++;
        expect(sum(done.map((d) => d.refundCents))).toBe(o.payableCents);
        expect(sum(done.map((d) => d.pointsClawedBack))).toBe(o.pointsEarned);
        expect(sum(done.map((d) => d.pointsReturned))).toBe(o.pointsRedeemed);
        // Every line gets back exactly what was paid on it, and every unit is refunded once.
        o.lines.forEach((l, i) => {
          const ls = done.flatMap((d) => d.lines.filter((x) => x.index === i));
          expect(sum(ls.map((x) => x.refundCents))).toBe(l.payableCents);
          expect(sum(ls.map((x) => x.qty))).toBe(l.qty);
        });
        expect(priceRefund(o, done, undefined)).toMatchObject({ ok: false, refusal: { code: 'nothing_to_refund' } });
      }),
      { numRuns: 300 },
    );
    // The generators must produce real series of partial refunds, with points both ways.
    expect(seen.series).toBeGreaterThan(100);
    expect(seen.longSeries).toBeGreaterThan(20);
    expect(seen.redeemed).toBeGreaterThan(30);
  });

  it('no step is negative and no prefix gives back more than the order holds', () => {
    fc.assert(
      fc.property(orderArb, planArb, (o, plan) => {
        const done = runPlan(o, plan, true);
        let cents = 0;
        let claw = 0;
        let ret = 0;
        for (const d of done) {
          for (const v of [d.refundCents, d.pointsClawedBack, d.pointsReturned]) {
            expect(Number.isInteger(v)).toBe(true);
            expect(v).toBeGreaterThanOrEqual(0);
          }
          expect(d.refundCents).toBe(sum(d.lines.map((l) => l.refundCents)));
          cents += d.refundCents;
          claw += d.pointsClawedBack;
          ret += d.pointsReturned;
          expect(cents).toBeLessThanOrEqual(o.payableCents);
          expect(claw).toBeLessThanOrEqual(o.pointsEarned);
          expect(ret).toBeLessThanOrEqual(o.pointsRedeemed);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the full refund returns exactly what was paid and all points, whatever the order', () => {
    fc.assert(
      fc.property(orderArb, (o) => {
        const r = refund(o, [], undefined);
        expect(r.refundCents).toBe(o.payableCents);
        expect(r.pointsClawedBack).toBe(o.pointsEarned);
        expect(r.pointsReturned).toBe(o.pointsRedeemed);
      }),
      { numRuns: 200 },
    );
  });

  it('asking for one more unit than is left is refused', () => {
    fc.assert(
      fc.property(orderArb, fc.nat(), (o, pick) => {
        const sku = o.lines[pick % o.lines.length]!.sku;
        const bought = sum(o.lines.filter((l) => l.sku === sku).map((l) => l.qty));
        expect(priceRefund(o, [], [{ sku, qty: bought + 1 }])).toMatchObject({ ok: false, refusal: { code: 'refund_exceeds_purchase', sku } });
        expect(priceRefund(o, [], [{ sku, qty: bought }]).ok).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('earn then full refund returns to the starting balance', () => {
    const startLedger = fc.array(fc.integer({ min: -500, max: 5000 }), { maxLength: 10 }).map((ds) =>
      ds.map((delta, i): LedgerFact => ({ id: `pts:${MEMBER}:start-${i}`, delta, atMs: Date.parse(`2026-01-0${1 + (i % 9)}T00:00:00.000Z`), day: `2026-01-0${1 + (i % 9)}` })),
    );
    fc.assert(
      fc.property(startLedger, basketArb, fc.constantFrom('L1', 'L2', 'L3', 'L4'), fracArb, planArb, (ledger, lines, tier, frac, plan) => {
        const today = '2026-03-20';
        const start = ledgerBalance(ledger, today).balance;
        const total = sum(lines.map((l) => l.qty * l.unitPrice));
        const points = Math.min(Math.max(0, start), Math.floor((Math.floor(total / 2)) * frac));
        const p = checkout({ lines, member: { id: MEMBER, tier: tierOf(tier), balance: start }, pointsToRedeem: points });
        const o = orderDoc(p);
        const entries: LedgerFact[] = [...ledger];
        const add = (id: string, delta: number, at: string) => delta !== 0 && entries.push({ id, delta, atMs: Date.parse(at), day: at.slice(0, 10) });
        add(`pts:${MEMBER}:earn`, o.pointsEarned, '2026-03-10T04:00:00.000Z');
        add(`pts:${MEMBER}:redeem`, -o.pointsRedeemed, '2026-03-10T04:00:00.000Z');
        expect(ledgerBalance(entries, today).balance).toBe(start + o.pointsEarned - o.pointsRedeemed);
        runPlan(o, plan, false).forEach((d, k) => {
          const at = `2026-03-1${1 + (k % 9)}T00:00:00.000Z`;
          add(`pts:${MEMBER}:claw-${k}`, -d.pointsClawedBack, at);
          add(`pts:${MEMBER}:return-${k}`, d.pointsReturned, at);
        });
        expect(ledgerBalance(entries, today).balance).toBe(start);
      }),
      { numRuns: 300 },
    );
  });
});
