import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { docId } from '../../shared/doc-ids.ts';
import { factRefusal, type FactEvidence } from '../../shared/fact-checks.ts';
import { priceCheckout } from '../../shared/loyalty/checkout.ts';
import { priceRefund } from '../../shared/loyalty/refund.ts';
import type { SpendFact } from '../../shared/loyalty/tiers.ts';
import type { Coupon } from '../../shared/schemas/coupon.ts';
import type { AnyDoc, LedgerDoc, MemberDoc, OrderDoc } from '../../shared/schemas/documents.ts';
import { DEFAULT_RULES, type LoyaltyRules } from '../../shared/schemas/rules.ts';
import { storeDocRefusal } from '../../shared/store-facts.ts';
import { basketArb, cash, coupon, fracArb, MEMBER, NOW, orderDoc, refundDoc, STORE, termsArb } from './fixtures.ts';

/*
 * What the hub accepts from a store, judged against what it knows. The property that matters most
 * is that nothing a real till writes is ever quarantined; the examples are the lies it must catch.
 */

const DAY = NOW.slice(0, 10);
const V2: LoyaltyRules = { ...DEFAULT_RULES, version: 2, joinGift: 300, tiers: DEFAULT_RULES.tiers.map((t) => ({ ...t, multiplierPct: t.multiplierPct + 50 })) };
const member = (id: string, storeId = STORE): MemberDoc => ({ _id: docId.member(id), type: 'member', id, phone: '+8613800138000', memberCode: '100000000000000001', homeStoreId: storeId, registeredAt: NOW, registeredStoreId: storeId, provisional: false });

function evidence(over: { facts?: AnyDoc[]; members?: MemberDoc[]; coupons?: Coupon[]; known?: string[]; spend?: SpendFact[]; rules?: LoyaltyRules[] } = {}): FactEvidence {
  const facts = new Map((over.facts ?? []).map((f) => [f._id, f]));
  const members = new Map((over.members ?? [member(MEMBER)]).map((m) => [m.id, m]));
  const coupons = new Map((over.coupons ?? []).map((c) => [c.code, c]));
  const known = new Set(over.known ?? [MEMBER]);
  return {
    storeId: STORE,
    rules: over.rules ?? [DEFAULT_RULES, V2],
    canonical: (id) => id,
    knownHere: (id) => known.has(id),
    member: (id) => members.get(id),
    fact: (id) => facts.get(id),
    coupon: (code) => coupons.get(code),
    spend: () => over.spend ?? [],
  };
}

const ledger = (reason: LedgerDoc['reason'], cause: string, delta: number, ref: string): LedgerDoc => ({ _id: docId.pts(MEMBER, cause), type: 'pts', memberId: MEMBER, delta, reason, ref, storeId: STORE, at: NOW, day: DAY });

describe('a fact a real till writes is accepted', () => {
  it('any priced receipt, with coupons, points and any tier the receipts reach, under the rules version it names', () => {
    fc.assert(
      fc.property(basketArb, fc.array(termsArb, { maxLength: 3 }), fc.constantFrom(DEFAULT_RULES, V2), fc.integer({ min: 0, max: 3 }), fracArb, (lines, terms, rules, tierIndex, share) => {
        const coupons = terms.map((t, i) => coupon(t, { code: `CPN-000${i}` }));
        const tier = rules.tiers[tierIndex]!;
        const spend = [{ day: DAY, cents: tier.minSpendCents }];
        const base = priceCheckout({ lines, coupons: coupons.map((c) => ({ code: c.code, coupon: c, redeemed: false })), pointsToRedeem: 0, member: { id: MEMBER, tier, balance: 0 }, storeId: STORE, now: NOW, rules });
        if (!base.ok) return; // a coupon that does not apply: the till would have refused the checkout
        const cap = Math.floor((share * base.value.payableCents * rules.cash.maxShareBps) / 10000);
        const points = cap - (cap % rules.cash.pointsPerYuan);
        const p = priceCheckout({ lines, coupons: coupons.map((c) => ({ code: c.code, coupon: c, redeemed: false })), pointsToRedeem: points, member: { id: MEMBER, tier, balance: 1e9 }, storeId: STORE, now: NOW, rules });
        if (!p.ok) return;
        const order = orderDoc(p.value, { tier: tier.code, rulesVersion: rules.version });
        expect(storeDocRefusal(order, STORE)).toBeUndefined();
        const ev = evidence({ coupons, spend, facts: [order] });
        expect(factRefusal(order, ev)).toBeUndefined();
        const cid = order._id.slice('order:'.length);
        if (order.pointsEarned > 0) expect(factRefusal(ledger('earn', `earn:${cid}`, order.pointsEarned, order._id), ev)).toBeUndefined();
        if (order.pointsRedeemed > 0) expect(factRefusal(ledger('redeem', `redeem:${cid}`, -order.pointsRedeemed, order._id), ev)).toBeUndefined();
        for (const c of order.coupons) {
          const redeem = { _id: docId.redeem(c.code), type: 'redeem' as const, code: c.code, memberId: MEMBER, orderId: order._id, storeId: STORE, terminalId: 'T1', discountCents: c.discountCents, at: NOW };
          expect(factRefusal(redeem, ev)).toBeUndefined();
        }
        const r = priceRefund(order, [], undefined);
        if (!r.ok) return;
        const refund = refundDoc(order, 'F1', r.value);
        expect(factRefusal(refund, ev)).toBeUndefined();
        const withRefund = evidence({ coupons, spend, facts: [order, refund] });
        if (refund.pointsClawedBack > 0) expect(factRefusal(ledger('clawback', `clawback:${cid}:F1`, -refund.pointsClawedBack, refund._id), withRefund)).toBeUndefined();
        if (refund.pointsReturned > 0) expect(factRefusal(ledger('return', `return:${cid}:F1`, refund.pointsReturned, refund._id), withRefund)).toBeUndefined();
      }),
      { numRuns: 400 },
    );
  });

  it('an order from a node older than rulesVersion is tried against every version', () => {
    const p = priceCheckout({ lines: [{ sku: 'TEA', qty: 1, unitPrice: 10_000 }], coupons: [], pointsToRedeem: 0, member: { id: MEMBER, tier: V2.tiers[0]!, balance: 0 }, storeId: STORE, now: NOW, rules: V2 });
    const order = orderDoc(p.ok ? p.value : (undefined as never), { tier: 'L1' });
    expect(factRefusal(order, evidence())).toBeUndefined();
    expect(factRefusal({ ...order, rulesVersion: 1 }, evidence())).toMatch(/pointsEarned/);
    expect(factRefusal({ ...order, rulesVersion: 9 }, evidence())).toMatch(/rules version 9/);
  });

  it('a registration, its keys, its join gift and its interactions', () => {
    const m = member('MNEW0001');
    const ev = evidence({ members: [m], known: [] });
    expect(factRefusal(m, ev)).toBeUndefined();
    expect(factRefusal({ _id: 'idk:phone:+8613800138000', type: 'idk', key: 'phone:+8613800138000', memberId: m.id }, ev)).toBeUndefined();
    expect(factRefusal({ _id: 'idk:code:100000000000000001', type: 'idk', key: 'code:100000000000000001', memberId: m.id }, ev)).toBeUndefined();
    const join = { ...ledger('join', 'join', 300, docId.member(m.id)), _id: docId.pts(m.id, 'join'), memberId: m.id };
    expect(factRefusal(join, ev)).toBeUndefined();
    expect(factRefusal({ ...join, delta: 5000 }, ev)).toMatch(/join gift of 5000/);
    const event = { _id: docId.event(STORE, MEMBER, 'int:checkin:2026-03-10'), type: 'event' as const, kind: 'checkin', memberId: MEMBER, storeId: STORE, at: NOW, day: DAY };
    const checkin = ledger('interaction', 'int:checkin:2026-03-10', 5, event._id);
    expect(factRefusal(event, evidence())).toBeUndefined();
    expect(factRefusal(checkin, evidence({ facts: [event] }))).toBeUndefined();
    expect(factRefusal({ ...checkin, delta: 500 }, evidence({ facts: [event] }))).toMatch(/gives 'checkin' 500/);
    expect(factRefusal(checkin, evidence())).toMatch(/does not have/);
    expect(factRefusal({ ...event, kind: 'constructor', _id: docId.event(STORE, MEMBER, 'int:constructor:once') }, evidence())).toMatch(/no rules version/);
  });
});

describe('the lies a store box can tell are caught', () => {
  const p = priceCheckout({ lines: [{ sku: 'TEA', qty: 1, unitPrice: 10_000 }], coupons: [], pointsToRedeem: 0, member: { id: MEMBER, tier: DEFAULT_RULES.tiers[0]!, balance: 0 }, storeId: STORE, now: NOW, rules: DEFAULT_RULES });
  const order: OrderDoc = orderDoc(p.ok ? p.value : (undefined as never), { tier: 'L1', rulesVersion: 1 });

  it('points for an order nobody made, or more than the order earned', () => {
    expect(factRefusal(ledger('earn', 'earn:S001:T1:NOPE', 100_000, 'order:S001:T1:NOPE'), evidence())).toMatch(/does not have/);
    expect(factRefusal(ledger('earn', `earn:${order._id.slice(6)}`, 100_000, order._id), evidence({ facts: [order] }))).toMatch(/earns 100 points, not 100000/);
    expect(factRefusal(ledger('earn', 'earn:OTHER', 100, order._id), evidence({ facts: [order] }))).toMatch(/does not belong/);
  });

  it("an order for a member the store does not serve, points the rules do not give, a tier never reached", () => {
    expect(factRefusal(order, evidence({ known: [] }))).toMatch(/not served/);
    expect(factRefusal({ ...order, pointsEarned: 5000 }, evidence())).toMatch(/pointsEarned/);
    const gold = priceCheckout({ lines: [{ sku: 'TEA', qty: 1, unitPrice: 10_000 }], coupons: [], pointsToRedeem: 0, member: { id: MEMBER, tier: DEFAULT_RULES.tiers[3]!, balance: 0 }, storeId: STORE, now: NOW, rules: DEFAULT_RULES });
    const claimed = orderDoc(gold.ok ? gold.value : (undefined as never), { tier: 'L4', rulesVersion: 1 });
    expect(factRefusal(claimed, evidence({ spend: [{ day: DAY, cents: 10_000 }] }))).toMatch(/tier L4 is above/);
    expect(factRefusal(claimed, evidence({ spend: [{ day: DAY, cents: 700_000 }] }))).toBeUndefined();
    expect(factRefusal(claimed, evidence({ spend: [{ day: '2020-01-01', cents: 700_000 }] }))).toMatch(/tier L4/);
  });

  it('a coupon the hub never issued, or issued to someone else', () => {
    const c = coupon(cash(2000), { code: 'CPN-0009' });
    const priced = priceCheckout({ lines: [{ sku: 'TEA', qty: 1, unitPrice: 10_000 }], coupons: [{ code: c.code, coupon: c, redeemed: false }], pointsToRedeem: 0, member: { id: MEMBER, tier: DEFAULT_RULES.tiers[0]!, balance: 0 }, storeId: STORE, now: NOW, rules: DEFAULT_RULES });
    const withCoupon = orderDoc(priced.ok ? priced.value : (undefined as never), { tier: 'L1', rulesVersion: 1 });
    expect(factRefusal(withCoupon, evidence({ coupons: [c] }))).toBeUndefined();
    expect(factRefusal(withCoupon, evidence())).toMatch(/not issued by the hub/);
    expect(factRefusal(withCoupon, evidence({ coupons: [{ ...c, memberId: 'MOTHER01' }] }))).toMatch(/another member/);
    const redeem = { _id: docId.redeem(c.code), type: 'redeem' as const, code: c.code, memberId: MEMBER, orderId: withCoupon._id, storeId: STORE, terminalId: 'T1', discountCents: 9999, at: NOW };
    expect(factRefusal(redeem, evidence({ coupons: [c], facts: [withCoupon] }))).toMatch(/does not redeem/);
  });

  it("a key pointing at another store's member, or a key the member does not have", () => {
    const theirs = member('MTHEIRS1', 'S002');
    expect(factRefusal({ _id: 'idk:card:EVILCARD1', type: 'idk', key: 'card:EVILCARD1', memberId: theirs.id }, evidence({ members: [theirs] }))).toMatch(/not registered at S001/);
    expect(factRefusal({ _id: 'idk:card:EVILCARD1', type: 'idk', key: 'card:EVILCARD1', memberId: MEMBER }, evidence())).toMatch(/not one of/);
    expect(factRefusal(member('MTHEIRS1'), evidence({ members: [theirs] }))).toMatch(/registered at S002/);
  });

  it('a refund of an order the hub does not have, or of more than was bought', () => {
    const r = priceRefund(order, [], undefined);
    const refund = refundDoc(order, 'F1', r.ok ? r.value : (undefined as never));
    expect(factRefusal(refund, evidence())).toMatch(/does not have/);
    expect(factRefusal({ ...refund, refundCents: 1e9, lines: [{ index: 0, qty: 1, refundCents: 1e9 }] }, evidence({ facts: [order] }))).toMatch(/more than was bought/);
    expect(factRefusal({ ...refund, pointsClawedBack: 0, pointsReturned: 500 }, evidence({ facts: [order] }))).toMatch(/more points/);
  });
});
