import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { docId } from '../../shared/doc-ids.ts';
import { priceCheckout } from '../../shared/loyalty/checkout.ts';
import type { OrderDoc } from '../../shared/schemas/documents.ts';
import { DEFAULT_RULES } from '../../shared/schemas/rules.ts';
import { storeDocRefusal } from '../../shared/store-facts.ts';
import { MEMBER, NOW, STORE } from './fixtures.ts';

const AT = NOW;
const DAY = NOW.slice(0, 10);

function order(over: Partial<OrderDoc> = {}): OrderDoc {
  const p = priceCheckout({ lines: [{ sku: 'TEA', qty: 2, unitPrice: 3000 }, { sku: 'CUP', qty: 1, unitPrice: 2500 }], coupons: [], pointsToRedeem: 0, member: { id: MEMBER, tier: DEFAULT_RULES.tiers[0]!, balance: 0 }, storeId: STORE, now: AT, rules: DEFAULT_RULES });
  if (!p.ok) throw new Error('priced');
  return { _id: docId.order(STORE, 'T1', 'R1'), type: 'order', storeId: STORE, terminalId: 'T1', receiptNo: 'R1', memberId: MEMBER, at: AT, day: DAY, ...p.value, rulesVersion: 1, requestHash: 'h', ...over };
}
const pts = (over: Record<string, unknown> = {}) => ({ _id: `pts:${MEMBER}:earn:S001:T1:R1`, type: 'pts', memberId: MEMBER, delta: 85, reason: 'earn', ref: 'order:S001:T1:R1', storeId: STORE, at: AT, day: DAY, ...over });
const member = (over: Record<string, unknown> = {}) => ({ _id: 'member:M1', type: 'member', id: 'M1XY', phone: '+8613800138000', memberCode: '100000000000000001', homeStoreId: STORE, registeredAt: AT, registeredStoreId: STORE, provisional: true, ...over });

describe('what a store may push, judged on the document alone', () => {
  it("passes the store's own facts as the node writes them, its registrations, keys and heartbeat", () => {
    expect(storeDocRefusal(order(), STORE)).toBeUndefined();
    expect(storeDocRefusal(pts(), STORE)).toBeUndefined();
    expect(storeDocRefusal(pts({ _id: `pts:${MEMBER}:redeem:S001:T1:R1`, reason: 'redeem', delta: -100 }), STORE)).toBeUndefined();
    expect(storeDocRefusal(member({ _id: 'member:M1XY' }), STORE)).toBeUndefined();
    expect(storeDocRefusal({ _id: 'idk:phone:+8613800138000', type: 'idk', key: 'phone:+8613800138000', memberId: 'M1XY' }, STORE)).toBeUndefined();
    expect(storeDocRefusal({ _id: 'idk:openid:wxapp1:oAbcdefgh1', type: 'idk', key: 'openid:wxapp1:oAbcdefgh1', memberId: 'M1XY' }, STORE)).toBeUndefined();
    expect(storeDocRefusal({ _id: `event:S001:${MEMBER}:register`, type: 'event', kind: 'register', memberId: MEMBER, storeId: STORE, at: AT, day: DAY }, STORE)).toBeUndefined();
    expect(storeDocRefusal({ _id: 'redeem:CPN-0001', type: 'redeem', code: 'CPN-0001', memberId: MEMBER, orderId: 'order:S001:T1:R1', storeId: STORE, terminalId: 'T1', discountCents: 100, at: AT }, STORE)).toBeUndefined();
    const hb = { _id: 'heartbeat:S001', type: 'heartbeat', storeId: STORE, version: '0.1.0', clock: AT, sync: { state: 'online', lastPushAt: null, lastPullAt: AT, pendingUp: 0, pendingDown: 0, lastError: null }, members: 3 };
    expect(storeDocRefusal(hb, STORE)).toBeUndefined();
  });

  it("refuses other stores' facts, hub documents, deletions, special documents and attachments", () => {
    expect(storeDocRefusal(order({ storeId: 'S002', _id: docId.order('S002', 'T1', 'R1') }), STORE)).toMatch(/store S002/);
    expect(storeDocRefusal(member({ registeredStoreId: 'S002' }), STORE)).toMatch(/another store/);
    expect(storeDocRefusal({ _id: 'heartbeat:S002', type: 'heartbeat' }, STORE)).toMatch(/another store/);
    for (const type of ['rules', 'tpl', 'coupon', 'alias', undefined, '__proto__', 'constructor']) expect(storeDocRefusal({ _id: `doc:${type}`, type }, STORE)).toMatch(/written by the hub/);
    expect(storeDocRefusal({ ...order(), _deleted: true }, STORE)).toMatch(/never deleted/);
    expect(storeDocRefusal({ ...order(), _id: '_design/x' }, STORE)).toMatch(/hub/);
    expect(storeDocRefusal({ ...order(), _attachments: {} }, STORE)).toMatch(/attachments/);
    for (const junk of [null, 1, 'x', [], {}, { _id: 5 }]) expect(storeDocRefusal(junk, STORE)).toBe('not a document');
  });

  it('refuses malformed facts: points without a number, money beyond a receipt, ids that do not match', () => {
    expect(storeDocRefusal(pts({ delta: 'lots' }), STORE)).toMatch(/not a valid pts: delta/);
    const { delta: _, ...noDelta } = pts();
    expect(storeDocRefusal(noDelta, STORE)).toMatch(/delta/);
    expect(storeDocRefusal(order({ payableCents: 1e300 }), STORE)).toMatch(/payableCents/);
    expect(storeDocRefusal(pts({ delta: 1.5 }), STORE)).toMatch(/delta/);
    expect(storeDocRefusal(pts({ reason: 'adjust' }), STORE)).toMatch(/hub's to give/);
    expect(storeDocRefusal(pts({ delta: -5 }), STORE)).toMatch(/positive/);
    expect(storeDocRefusal(pts({ _id: 'pts:OTHER:earn:x' }), STORE)).toMatch(/ledger id/);
    expect(storeDocRefusal(order({ _id: 'order:S001:T1:OTHER' }), STORE)).toMatch(/order id/);
    expect(storeDocRefusal({ _id: 'idk:card:evil card', type: 'idk', key: 'card:evil card', memberId: 'M1XY' }, STORE)).toMatch(/normalised/);
    expect(storeDocRefusal({ _id: 'idk:bogus:1', type: 'idk', key: 'bogus:1', memberId: 'M1XY' }, STORE)).toMatch(/normalised/);
    expect(storeDocRefusal({ _id: 'redeem:CPN-0001', type: 'redeem', code: 'CPN-0001', memberId: MEMBER, orderId: 'order:S002:T1:R1', storeId: STORE, terminalId: 'T1', discountCents: 100, at: AT }, STORE)).toMatch(/store's orders/);
  });

  it('refuses an order whose numbers do not add up', () => {
    const o = order();
    expect(storeDocRefusal({ ...o, totalCents: o.totalCents + 1 }, STORE)).toMatch(/totalCents/);
    expect(storeDocRefusal({ ...o, lines: [{ ...o.lines[0]!, totalCents: 1 }, o.lines[1]] }, STORE)).toMatch(/qty x unitPriceCents/);
    expect(storeDocRefusal({ ...o, couponDiscountCents: 100, payableCents: o.payableCents - 100 }, STORE)).toBeDefined();
    const { memberId: _, ...anonymous } = o;
    expect(storeDocRefusal(anonymous, STORE)).toMatch(/need a member/);
    expect(storeDocRefusal({ ...anonymous, pointsEarned: 0 }, STORE)).toBeUndefined();
  });

  it('never throws, whatever is pushed', () => {
    fc.assert(fc.property(fc.anything(), (doc) => {
      const r = storeDocRefusal(doc, STORE);
      expect(r === undefined || typeof r === 'string').toBe(true);
    }), { numRuns: 2000 });
    fc.assert(fc.property(fc.dictionary(fc.constantFrom('_id', 'type', 'storeId', 'delta', 'memberId', '__proto__', 'constructor', 'lines'), fc.anything()), (doc) => {
      expect(() => storeDocRefusal({ type: 'pts', ...doc }, STORE)).not.toThrow();
    }), { numRuns: 2000 });
  });
});

describe('text that cannot be printed', () => {
  it('a type or id whose toString is not a function is refused, not thrown', () => {
    expect(storeDocRefusal(JSON.parse('{"_id": "x", "type": {"toString": {}}}'), STORE)).toMatch(/written by the hub/);
    expect(() => storeDocRefusal(JSON.parse('{"_id": {"toString": {}}, "type": "order"}'), STORE)).not.toThrow();
  });
});
