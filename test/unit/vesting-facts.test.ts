import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { docId } from '../../shared/doc-ids.ts';
import { factRefusal, type FactEvidence } from '../../shared/fact-checks.ts';
import { priceCheckout } from '../../shared/loyalty/checkout.ts';
import { priceRefund } from '../../shared/loyalty/refund.ts';
import { clawbackVestsOn, vestingDayFor } from '../../shared/loyalty/vesting.ts';
import type { AnyDoc, LedgerDoc, MemberDoc, OrderDoc } from '../../shared/schemas/documents.ts';
import { DEFAULT_RULES, type LoyaltyRules } from '../../shared/schemas/rules.ts';
import { storeDocRefusal } from '../../shared/store-facts.ts';
import { basketArb, MEMBER, NOW, orderDoc, refundDoc, STORE } from './fixtures.ts';

/*
 * Vesting dates are facts a store writes (decision 018): the hub recomputes them from the rules
 * version that priced the receipt and from the order a refund names, and quarantines a store that
 * would make pending points spendable early or take a refund's claw-back from the balance.
 */

const DAY = NOW.slice(0, 10);
const VEST: LoyaltyRules = { ...DEFAULT_RULES, version: 2, vestingDays: 7 };
const member: MemberDoc = { _id: docId.member(MEMBER), type: 'member', id: MEMBER, phone: '+8613800138000', memberCode: '1', homeStoreId: STORE, registeredAt: NOW, registeredStoreId: STORE, provisional: false };

function evidence(facts: AnyDoc[]): FactEvidence {
  const byId = new Map(facts.map((f) => [f._id, f]));
  return { storeId: STORE, rules: [DEFAULT_RULES, VEST], canonical: (id) => id, knownHere: (id) => id === MEMBER, member: (id) => (id === MEMBER ? member : undefined), fact: (id) => byId.get(id), coupon: () => undefined, spend: () => [] };
}

const entry = (reason: LedgerDoc['reason'], cause: string, delta: number, ref: string, over: Partial<LedgerDoc> = {}): LedgerDoc => ({ _id: docId.pts(MEMBER, cause), type: 'pts', memberId: MEMBER, delta, reason, ref, storeId: STORE, at: NOW, day: DAY, ...over });

/** A receipt as the till writes it under `rules`: its order, its earning, a full refund `refundIn` days later and its claw-back. */
function receipt(rules: LoyaltyRules, lines: { sku: string; qty: number; unitPrice: number }[], refundIn: number) {
  const p = priceCheckout({ lines, coupons: [], pointsToRedeem: 0, member: { id: MEMBER, tier: rules.tiers[0]!, balance: 0 }, storeId: STORE, now: NOW, rules });
  if (!p.ok) throw new Error(p.refusal.message);
  const vestsOn = p.value.pointsEarned > 0 ? vestingDayFor(rules, DAY) : undefined;
  const order: OrderDoc = orderDoc(p.value, { tier: 'L1', rulesVersion: rules.version, ...(vestsOn ? { pointsVestOn: vestsOn } : {}) });
  const cid = order._id.slice('order:'.length);
  const earn = entry('earn', `earn:${cid}`, order.pointsEarned, order._id, vestsOn ? { vestsOn } : {});
  const r = priceRefund(order, [], undefined);
  if (!r.ok) throw new Error(r.refusal.message);
  const refundDay = new Date(Date.parse(NOW) + refundIn * 86_400_000).toISOString().slice(0, 10);
  const refund = refundDoc(order, 'F1', r.value, { day: refundDay, at: `${refundDay}T05:00:00.000Z` });
  const clawOn = clawbackVestsOn(order, refundDay);
  const claw = entry('clawback', `clawback:${cid}:F1`, -refund.pointsClawedBack, refund._id, { day: refundDay, at: refund.at, ...(clawOn ? { vestsOn: clawOn } : {}) });
  return { order, earn, refund, claw };
}

describe('vesting facts a real till writes are accepted', () => {
  it('any receipt under rules with or without vesting, refunded before or after its points vest', () => {
    fc.assert(
      fc.property(basketArb, fc.constantFrom(DEFAULT_RULES, VEST), fc.integer({ min: 0, max: 12 }), (lines, rules, refundIn) => {
        const { order, earn, refund, claw } = receipt(rules, lines, refundIn);
        const ev = evidence([order, refund]);
        for (const d of [order, earn, refund, claw]) {
          if (d.type === 'pts' && d.delta === 0) continue;
          expect(storeDocRefusal(d, STORE)).toBeUndefined();
          expect(factRefusal(d, ev)).toBeUndefined();
        }
        expect(order.pointsVestOn !== undefined).toBe(rules === VEST && order.pointsEarned > 0);
        expect(claw.vestsOn !== undefined).toBe(order.pointsVestOn !== undefined && refundIn < 7);
      }),
      { numRuns: 300 },
    );
  });
});

describe('forged vesting dates are caught', () => {
  const lines = [{ sku: 'TEA', qty: 1, unitPrice: 10_000 }];

  it('an order under vesting rules that claims its points at once, or vest early, is quarantined', () => {
    const { order } = receipt(VEST, lines, 0);
    expect(order.pointsVestOn).toBe('2026-03-17');
    const { pointsVestOn, ...atOnce } = order;
    void pointsVestOn;
    expect(factRefusal(atOnce, evidence([]))).toMatch(/pointsVestOn differs from what rules version 2 give/);
    expect(factRefusal({ ...order, pointsVestOn: '2026-03-11' }, evidence([]))).toMatch(/pointsVestOn/);
    // …and rules without vesting give no vesting day either.
    expect(factRefusal({ ...receipt(DEFAULT_RULES, lines, 0).order, pointsVestOn: '2026-03-17' }, evidence([]))).toMatch(/pointsVestOn/);
  });

  it('an earning that drops or moves its order’s vesting day', () => {
    const { order, earn } = receipt(VEST, lines, 0);
    const { vestsOn, ...atOnce } = earn;
    void vestsOn;
    expect(factRefusal(atOnce, evidence([order]))).toMatch(/must vest on 2026-03-17, not at once/);
    expect(factRefusal({ ...earn, vestsOn: '2026-03-12' }, evidence([order]))).toMatch(/must vest on 2026-03-17/);
    expect(factRefusal({ ...receipt(DEFAULT_RULES, lines, 0).earn, vestsOn: '2026-03-17' }, evidence([receipt(DEFAULT_RULES, lines, 0).order]))).toMatch(/spendable at once/);
  });

  it('a claw-back before vesting that takes from the balance, or one after vesting that claims pending points', () => {
    const before = receipt(VEST, lines, 2);
    const { vestsOn, ...fromBalance } = before.claw;
    void vestsOn;
    expect(factRefusal(fromBalance, evidence([before.order, before.refund]))).toMatch(/must vest on 2026-03-17/);
    const after = receipt(VEST, lines, 9);
    expect(after.claw.vestsOn).toBeUndefined();
    expect(factRefusal({ ...after.claw, vestsOn: '2026-03-25' }, evidence([after.order, after.refund]))).toMatch(/spendable at once/);
  });

  it('the gateway refuses vesting dates on entries that never vest, and ones not after the day written', () => {
    const { order, earn } = receipt(VEST, lines, 0);
    expect(storeDocRefusal(entry('redeem', 'redeem:x', -100, order._id, { vestsOn: '2026-03-17' }), STORE)).toMatch(/a redeem entry does not vest/);
    expect(storeDocRefusal(entry('join', 'join', 200, docId.member(MEMBER), { vestsOn: '2026-03-17' }), STORE)).toMatch(/does not vest/);
    expect(storeDocRefusal({ ...earn, vestsOn: DAY }, STORE)).toMatch(/vestsOn must be after/);
    expect(storeDocRefusal({ ...order, pointsVestOn: DAY }, STORE)).toMatch(/pointsVestOn needs/);
    expect(storeDocRefusal({ ...order, pointsEarned: 0, pointsVestOn: '2026-03-17' }, STORE)).toMatch(/pointsVestOn needs/);
  });
});
