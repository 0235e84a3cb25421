import { describe, expect, it } from 'vitest';
import { couponForExchange } from '../../shared/catalogue/exchange-coupon.ts';
import { elsewhereRefundFacts, elsewhereRefundRefusal, exchangeOfPublicId } from '../../shared/catalogue/exchange-refund.ts';
import { factRefusal, type FactEvidence } from '../../shared/fact-checks.ts';
import { MemberIndex } from '../../shared/member-index.ts';
import type { PointsCatalogue } from '../../shared/schemas/catalogue.ts';
import { DEFAULT_TEMPLATES } from '../../shared/schemas/coupon.ts';
import type { AnyDoc, ExchangeDoc } from '../../shared/schemas/documents.ts';
import { DEFAULT_RULES } from '../../shared/schemas/rules.ts';
import { storeDocRefusal } from '../../shared/store-facts.ts';
import { MEMBER, NOW, STORE } from './fixtures.ts';

/* A points exchange given back at another store than its own, decided by the hub (decision 031). */

const DAY = NOW.slice(0, 10);
const catalogue: PointsCatalogue = { version: 1, rewards: [{ kind: 'coupon', id: 'CASH-500', title: '20 off', points: 500, templateId: 'CASH20' }, { kind: 'gift', id: 'CUP', title: 'Cup', points: 300, sku: 'CUP-001', stock: [] }] };
const coupon = couponForExchange(DEFAULT_TEMPLATES[0]!, { storeId: STORE, requestId: 'req-0001', memberId: MEMBER, issuedAt: new Date(NOW) });
const exchange: ExchangeDoc = {
  _id: 'xchg:S001:req-0001', type: 'exchange', storeId: STORE, requestId: 'req-0001', by: 'T1', memberId: MEMBER,
  reward: { kind: 'coupon', id: 'CASH-500', title: '20 off', templateId: 'CASH20', couponCode: coupon.code }, catalogueVersion: 1, points: 500, at: NOW, day: DAY, requestHash: 'h',
};
const gift: ExchangeDoc = { ...exchange, _id: 'xchg:S001:req-0002', requestId: 'req-0002', reward: { kind: 'gift', id: 'CUP', title: 'Cup', sku: 'CUP-001' }, points: 300 };
const at = { storeId: 'S002', by: 'T9', memberId: MEMBER, now: '2026-05-02T03:00:00.000Z', today: '2026-05-02', rules: DEFAULT_RULES };
const ask = { exchange, storeId: 'S002', served: true, refundedAt: undefined, couponUsed: false };

function evidence(facts: AnyDoc[], storeId: string): FactEvidence {
  const byId = new Map(facts.map((f) => [f._id, f]));
  return {
    storeId, rules: [DEFAULT_RULES], knownHere: () => true, member: () => undefined, fact: (id) => byId.get(id), coupon: () => undefined, canonical: (id) => id, spend: () => [],
    catalogues: [catalogue], templates: (id) => DEFAULT_TEMPLATES.filter((t) => t.id === id),
  };
}

describe('the hub decides a refund asked by another store', () => {
  it('reads an exchange public id, or nothing', () => {
    expect(exchangeOfPublicId('S001:req-0001')).toEqual({ storeId: 'S001', requestId: 'req-0001' });
    for (const bad of ['', ':req-0001', 'S001', 'S001:', 'not a store:req-0001']) expect(exchangeOfPublicId(bad), bad).toBeUndefined();
  });

  it('refunds once, for a store serving the member, while the coupon is unused; the own store refunds itself', () => {
    expect(elsewhereRefundRefusal(ask)).toBeUndefined();
    expect(elsewhereRefundRefusal({ ...ask, storeId: 'S001' })?.code).toBe('exchange_not_found');
    expect(elsewhereRefundRefusal({ ...ask, served: false })?.code).toBe('member_not_found');
    expect(elsewhereRefundRefusal({ ...ask, refundedAt: 'S001' })).toMatchObject({ code: 'exchange_refunded', refundedAt: 'S001' });
    expect(elsewhereRefundRefusal({ ...ask, couponUsed: true })).toMatchObject({ code: 'exchange_coupon_used', couponCode: coupon.code });
    // Refunded already says so before a used coupon does (the refund itself used the coupon up).
    expect(elsewhereRefundRefusal({ ...ask, refundedAt: 'S003', couponUsed: true })?.code).toBe('exchange_refunded');
    expect(elsewhereRefundRefusal({ ...ask, exchange: gift, couponUsed: true })).toBeUndefined();
  });

  it('writes the refund under the ids the exchange gives, naming the refunding store: the points come back once whichever side refunds', () => {
    const [refund, entry] = elsewhereRefundFacts(exchange, at);
    expect(refund).toMatchObject({ _id: 'xrefund:S001:req-0001', exchangeId: exchange._id, storeId: 'S002', points: 500, couponCode: coupon.code, memberId: MEMBER });
    expect(entry).toMatchObject({ _id: `pts:${MEMBER}:exchange_refund:S001:req-0001`, delta: 500, reason: 'exchange_refund', ref: refund._id, storeId: 'S002', reward: { id: 'CASH-500', title: '20 off' } });
    expect(elsewhereRefundFacts(exchange, at)).toEqual([refund, entry]);
    const [giftRefund] = elsewhereRefundFacts(gift, at);
    expect(giftRefund).toMatchObject({ sku: 'CUP-001', storeId: 'S002' });
    expect(giftRefund.couponCode).toBeUndefined();

    // A refund at the exchange's store (say offline) lands on the same ids: one of the two stands, the points come back once.
    const own = { ...refund, storeId: STORE, by: 'T1', at: NOW, day: DAY };
    const ownEntry = { ...entry, storeId: STORE, at: NOW, day: DAY };
    const spent = { _id: `pts:${MEMBER}:exchange:S001:req-0001`, type: 'pts' as const, memberId: MEMBER, delta: -500, reason: 'exchange' as const, ref: exchange._id, storeId: STORE, at: NOW, day: DAY };
    const index = new MemberIndex();
    for (const d of [exchange, coupon, spent, refund, entry, own, ownEntry] as AnyDoc[]) index.apply(d);
    const alone = new MemberIndex();
    for (const d of [exchange, coupon, spent] as AnyDoc[]) alone.apply(d);
    expect(index.preview(MEMBER, [], DAY).points).toBe(alone.preview(MEMBER, [], DAY).points + 500);
    // The coupon is void.
    expect(index.redemptions.has(coupon.code)).toBe(true);
  });

  it('a store cannot write such a refund or its points itself: refused at the gateway, quarantined at ingest', () => {
    const [refund, entry] = elsewhereRefundFacts(exchange, at);
    expect(storeDocRefusal(refund, 'S002')).toMatch(/own exchanges/);
    expect(storeDocRefusal(entry, 'S002')).toMatch(/hub's to give/);
    expect(storeDocRefusal({ ...entry, _id: `pts:${MEMBER}:exchange:S001:req-0001`, reason: 'exchange', delta: -500, ref: exchange._id }, 'S002')).toMatch(/hub's to give/);
    // Were one to pass the gateway, the ingest judges it against the exchange: not the store's to decide.
    expect(factRefusal({ ...refund }, evidence([exchange], 'S002'))).toMatch(/hub's to decide/);
    expect(factRefusal(entry, evidence([exchange, { ...refund, storeId: STORE }], 'S002'))).toMatch(/does not belong/);
    // The exchange's own store's refund and points pass as before.
    const own = { ...refund, storeId: STORE };
    expect(storeDocRefusal(own, STORE)).toBeUndefined();
    expect(storeDocRefusal({ ...entry, storeId: STORE }, STORE)).toBeUndefined();
    expect(factRefusal(own, evidence([exchange], STORE))).toBeUndefined();
    expect(factRefusal({ ...entry, storeId: STORE }, evidence([exchange, own], STORE))).toBeUndefined();
  });
});
