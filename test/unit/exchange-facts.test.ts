import { describe, expect, it } from 'vitest';
import { couponForExchange, exchangeOfCoupon } from '../../shared/catalogue/exchange-coupon.ts';
import { factRefusal, type FactEvidence } from '../../shared/fact-checks.ts';
import { exchangeCouponCode } from '../../shared/ids.ts';
import { MemberIndex } from '../../shared/member-index.ts';
import type { PointsCatalogue } from '../../shared/schemas/catalogue.ts';
import { DEFAULT_TEMPLATES } from '../../shared/schemas/coupon.ts';
import type { AnyDoc, CouponDoc, ExchangeDoc, ExchangeRefundDoc, LedgerDoc } from '../../shared/schemas/documents.ts';
import { DEFAULT_RULES } from '../../shared/schemas/rules.ts';
import { storeDocRefusal } from '../../shared/store-facts.ts';
import { MEMBER, NOW, STORE } from './fixtures.ts';

const DAY = NOW.slice(0, 10);
const CASH20 = DEFAULT_TEMPLATES[0]!;
const catalogue: PointsCatalogue = { version: 1, rewards: [{ kind: 'coupon', id: 'CASH-500', title: '20 off', points: 500, templateId: 'CASH20' }, { kind: 'gift', id: 'CUP', title: 'Cup', points: 300, sku: 'CUP-001', stock: [] }] };

const coupon = couponForExchange(CASH20, { storeId: STORE, requestId: 'req-0001', memberId: MEMBER, issuedAt: new Date(NOW) });
const exchange: ExchangeDoc = {
  _id: 'xchg:S001:req-0001', type: 'exchange', storeId: STORE, requestId: 'req-0001', by: 'T1', memberId: MEMBER,
  reward: { kind: 'coupon', id: 'CASH-500', title: '20 off', templateId: 'CASH20', couponCode: coupon.code }, catalogueVersion: 1, points: 500, at: NOW, day: DAY, requestHash: 'h',
};
const spent: LedgerDoc = { _id: `pts:${MEMBER}:exchange:S001:req-0001`, type: 'pts', memberId: MEMBER, delta: -500, reason: 'exchange', ref: exchange._id, storeId: STORE, at: NOW, day: DAY };
const refund: ExchangeRefundDoc = { _id: 'xrefund:S001:req-0001', type: 'exchange-refund', exchangeId: exchange._id, storeId: STORE, by: 'T1', memberId: MEMBER, points: 500, couponCode: coupon.code, at: NOW, day: DAY };
const back: LedgerDoc = { ...spent, _id: `pts:${MEMBER}:exchange_refund:S001:req-0001`, delta: 500, reason: 'exchange_refund', ref: refund._id };

function evidence(facts: AnyDoc[], over: Partial<FactEvidence> = {}): FactEvidence {
  const byId = new Map(facts.map((f) => [f._id, f]));
  return {
    storeId: STORE, rules: [DEFAULT_RULES], knownHere: () => true, member: () => undefined, fact: (id) => byId.get(id), coupon: () => undefined, canonical: (id) => id, spend: () => [],
    catalogues: [catalogue], templates: (id) => DEFAULT_TEMPLATES.filter((t) => t.id === id), ...over,
  };
}

describe('exchange facts at the gateway (the document alone)', () => {
  it("passes an exchange, its ledger entry, its coupon and its refund as the node writes them", () => {
    for (const d of [exchange, spent, coupon, refund, back]) expect(storeDocRefusal(d, STORE), d._id).toBeUndefined();
  });

  it("refuses a coupon not derived from an exchange, another store's exchange, a wrong sign", () => {
    const { exchangeId: _, ...plain } = coupon;
    expect(storeDocRefusal(plain, STORE)).toMatch(/written by the hub/);
    expect(storeDocRefusal({ ...coupon, code: 'ABCD-EFGH-JKMN', _id: 'coupon:ABCD-EFGH-JKMN' }, STORE)).toMatch(/derived/);
    expect(storeDocRefusal(coupon, 'S002')).toMatch(/store S001/);
    expect(storeDocRefusal({ ...exchange, reward: { ...exchange.reward, couponCode: 'ABCD-EFGH-JKMN' } }, STORE)).toMatch(/derived/);
    expect(storeDocRefusal({ ...exchange, _id: 'xchg:S001:other-0001' }, STORE)).toMatch(/xchg:<store>:<request>/);
    expect(storeDocRefusal(exchange, 'S002')).toMatch(/store S001/);
    expect(storeDocRefusal({ ...spent, delta: 500 }, STORE)).toMatch(/negative/);
    expect(storeDocRefusal({ ...back, delta: -500 }, STORE)).toMatch(/positive/);
    expect(storeDocRefusal({ ...refund, exchangeId: 'xchg:S002:req-0001' }, STORE)).toMatch(/own exchanges/);
  });

  it('derives the code from store and request only', () => {
    expect(coupon.code).toBe(exchangeCouponCode('S001', 'req-0001'));
    expect(exchangeCouponCode('S002', 'req-0001')).not.toBe(coupon.code);
    expect(exchangeOfCoupon(coupon.exchangeId)).toEqual({ storeId: 'S001', requestId: 'req-0001' });
    for (const bad of [undefined, 'xchg:', 'xchg:S001', 'xchg::r', 'order:S001:r']) expect(exchangeOfCoupon(bad)).toBeUndefined();
  });
});

describe('exchange facts at ingest (against what the hub knows)', () => {
  it('accepts an exchange priced by some catalogue version, the coupon it names, the points it moves, its refund', () => {
    const ev = evidence([exchange, refund]);
    for (const d of [exchange, coupon, spent, refund, back]) expect(factRefusal(d, ev), d._id).toBeUndefined();
  });

  it('quarantines an exchange at a price no catalogue had, or with no catalogue at all', () => {
    expect(factRefusal({ ...exchange, points: 1 }, evidence([]))).toMatch(/no version of the points catalogue/);
    expect(factRefusal({ ...exchange, reward: { kind: 'gift', id: 'CASH-500', title: 'x', sku: 'CUP-001' } }, evidence([]))).toMatch(/no version/);
    expect(factRefusal(exchange, evidence([], { catalogues: [] }))).toMatch(/no version/);
    expect(factRefusal(exchange, evidence([], { knownHere: () => false }))).toMatch(/not served/);
  });

  it('quarantines a coupon its exchange does not name, on other terms, or longer valid than the template', () => {
    expect(factRefusal(coupon, evidence([]))).toMatch(/does not have/);
    const gift = { ...exchange, reward: { kind: 'gift' as const, id: 'CUP', title: 'Cup', sku: 'CUP-001' } };
    expect(factRefusal(coupon, evidence([gift]))).toMatch(/did not make/);
    expect(factRefusal({ ...coupon, terms: { kind: 'cash', valueCents: 20000, minSpendCents: 0 } } as CouponDoc, evidence([exchange]))).toMatch(/not on the terms/);
    expect(factRefusal({ ...coupon, validTo: '2030-01-01T00:00:00.000Z' }, evidence([exchange]))).toMatch(/not on the terms/);
    expect(factRefusal({ ...coupon, memberId: 'M0002' }, evidence([exchange]))).toMatch(/made its coupon for/);
    const { exchangeId: _, ...hubs } = coupon;
    expect(factRefusal(hubs as CouponDoc, evidence([exchange]))).toMatch(/issued by the hub/);
  });

  it('quarantines ledger entries and refunds that do not match their exchange', () => {
    expect(factRefusal({ ...spent, delta: -1 }, evidence([exchange]))).toMatch(/takes 500 points/);
    expect(factRefusal(spent, evidence([]))).toMatch(/does not have/);
    expect(factRefusal({ ...refund, points: 5000 }, evidence([exchange]))).toMatch(/took 500 points/);
    expect(factRefusal({ ...refund, couponCode: 'ABCD-EFGH-JKMN' }, evidence([exchange]))).toMatch(/made coupon/);
    expect(factRefusal({ ...back, delta: 5000 }, evidence([exchange, refund]))).toMatch(/gives back 500/);
  });
});

describe('the index after an exchange and its refund', () => {
  it('holds the coupon as usable, then void at every till once the refund is folded in', () => {
    const index = new MemberIndex();
    for (const d of [exchange, spent, coupon]) index.apply(d);
    expect(index.usableCoupons(MEMBER, NOW).map((c) => c.code)).toEqual([coupon.code]);
    index.apply(refund);
    index.apply(back);
    expect(index.usableCoupons(MEMBER, NOW)).toEqual([]);
    expect(index.redemptions.has(coupon.code)).toBe(true);
    expect(index.points(MEMBER, DAY)).toBe(0);
  });
});
