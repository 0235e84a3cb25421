import { describe, expect, it } from 'vitest';
import { decayed, profileOf } from '../../shared/profile/metrics.ts';
import { dayNumber, factOfDocument, factOfOnlineOrder, type LineFact, type OrderFact, type SourceFacts } from '../../shared/profile/source-facts.ts';

const DAY = '2026-11-30';
const T = dayNumber(DAY);
const line = (sku: string, cents: number, more: Partial<LineFact> = {}): LineFact => ({ sku, category: 'coffee/beans', brand: '', qty: 1, cents, promo: false, ...more });
const order = (id: string, day: number, lines: LineFact[], more: Partial<OrderFact> = {}): OrderFact => {
  const paid = lines.reduce((s, l) => s + l.cents, 0);
  return { id, day, channel: 0, market: '', store: 'S1', listCents: paid, discountCents: 0, paidCents: paid, items: lines.reduce((s, l) => s + l.qty, 0), lines, refundedInFull: false, ...more };
};
const member = { isMember: true };
const of = (facts: SourceFacts[], attrs = member) => profileOf(facts, attrs, DAY);

describe('profile metrics', () => {
  it('windows: the last N days are the evaluation day and the N-1 before it', () => {
    const p = of([{ orders: [order('a', T, [line('A', 100)]), order('b', T - 29, [line('A', 200)]), order('c', T - 30, [line('A', 400)]), order('d', T - 89, [line('A', 800)]), order('e', T - 90, [line('A', 1600)]), order('f', T - 364, [line('A', 3200)]), order('g', T - 365, [line('A', 6400)])] }]);
    expect([p.get('orders30'), p.get('spend30')]).toEqual([2, 300]);
    expect([p.get('orders90'), p.get('spend90')]).toEqual([4, 1500]);
    expect([p.get('orders365'), p.get('spend365')]).toEqual([6, 6300]);
    expect([p.get('orders'), p.get('spend')]).toEqual([7, 12700]);
    expect(p.get('firstPurchaseDay')).toBe('2025-11-30');
    expect(p.get('lastPurchaseDay')).toBe(DAY);
    expect(p.get('daysSinceLastPurchase')).toBe(0);
    // 7 orders over 365 days.
    expect(p.get('purchaseFrequency')).toBe(Math.floor((7 * 36500) / 365));
  });

  it('refunds net into their order; a receipt refunded in full is no order', () => {
    const o1 = order('o1', T - 10, [line('A', 1000), line('B', 500)]);
    const o2 = order('o2', T - 5, [line('C', 300)]);
    const p = of([{ orders: [o1, o2], refunds: [
      { id: 'r1', orderId: 'o1', day: T - 2, orderDay: T - 10, cents: 500, lines: [{ index: 1, qty: 1, cents: 500 }] },
      { id: 'r2', orderId: 'o2', day: T - 1, orderDay: T - 5, cents: 300, lines: [{ index: 0, qty: 1, cents: 300 }] },
    ] }]);
    expect(p.get('orders')).toBe(1);
    expect(p.get('spend')).toBe(1000);
    expect(p.get('spend30')).toBe(1000);
    expect(p.get('itemsPerOrder')).toBe(100);
    // o1 kept one SKU once its second line went back.
    expect(p.get('attachRate')).toBe(0);
    expect(p.get('refunds')).toBe(2);
    expect(p.get('refundRate')).toBe(Math.floor((800 * 10_000) / 1800));
    expect(p.get('lastPurchaseDay')).toBe('2026-11-20');
  });

  it('a refund arriving before its order, or under another source id of the person, nets the same', () => {
    const o = order('o1', T - 3, [line('A', 1000)]);
    const r = { id: 'r1', orderId: 'o1', day: T, orderDay: T - 3, cents: 400, lines: [{ index: 0, qty: 0 + 1, cents: 400 }] };
    const together = of([{ orders: [o], refunds: [r] }]);
    const apart = of([{ refunds: [r] }, { orders: [o] }]);
    expect(apart).toEqual(together);
    // Its one item went back, its money only in part: still an order, of 600.
    expect(together.get('spend')).toBe(600);
    expect(together.get('orders')).toBe(1);
    // A refund of an order the member does not have takes its money back all the same.
    expect(of([{ refunds: [r] }]).get('spend')).toBe(-400);
  });

  it('time decay: half the weight after the half-life, integers only', () => {
    expect(decayed(1000, 0)).toBe(1000);
    expect(decayed(1000, 180)).toBe(500);
    expect(decayed(1000, 360)).toBe(250);
    expect(decayed(1000, -5)).toBe(1000);
    expect(decayed(1000, 100_000)).toBe(0);
    const p = of([{ orders: [order('a', T, [line('A', 100, { category: 'coffee/beans' })]), order('b', T - 180, [line('B', 100, { category: 'tea', qty: 2 })])] }]);
    // ×1,000 per RMB: 1 RMB today is 1,000; 1 RMB half a year ago 500.
    expect(p.get('categoryScore')).toEqual(new Map([['coffee/beans', 1000], ['tea', 500]]));
    expect(p.get('skuScore')).toEqual(new Map([['A', 1000], ['B', 1000]]));
  });

  it('AOV, discount rate, price orientation, channel mix and stores', () => {
    const p = of([{ orders: [
      order('a', T - 1, [line('A', 800, { promo: true }), line('B', 200)], { listCents: 1200, discountCents: 200, store: 'S1' }),
      order('b', T - 2, [line('A', 1000)], { store: 'S2' }),
      order('c', T - 3, [line('A', 1000)], { store: 'S2' }),
      order('d', T - 4, [line('A', 1000)], { store: '', channel: 2, market: 'tmall' }),
    ] }]);
    expect(p.get('avgOrderValue')).toBe(1000);
    expect(p.get('avgDiscountRate')).toBe(Math.floor((200 * 10_000) / 4200));
    expect(p.get('promoShare')).toBe(2000);
    expect(p.get('fullPriceShare')).toBe(8000);
    expect(p.get('attachRate')).toBe(2500);
    expect(p.get('channels')).toEqual(new Set(['store', 'marketplace']));
    expect(p.get('channelShare')).toEqual(new Map([['store', 7500], ['marketplace', 2500], ['tmall', 2500]]));
    expect(p.get('storesVisited')).toEqual(new Set(['S1', 'S2']));
    expect(p.get('mostVisitedStore')).toBe('S2');
    // Ties: the store visited last.
    expect(of([{ orders: [order('x', T - 9, [line('A', 1)], { store: 'S9' }), order('y', T - 1, [line('A', 1)], { store: 'S1' })] }]).get('mostVisitedStore')).toBe('S1');
  });

  it('coupons, points (earned, spent, expired, balance), interactions, follow and consents', () => {
    const p = of([{
      coupons: [{ code: 'C1', issued: T - 5, redeemed: T - 1 }, { code: 'C2', issued: T - 5 }, { code: 'C3', issued: T - 5 }],
      points: [
        { id: 'p1', delta: 500, reason: 'earn', atMs: Date.parse('2026-01-01'), day: '2026-01-01', expiresOn: '2026-06-30' },
        { id: 'p2', delta: -200, reason: 'redeem', atMs: Date.parse('2026-02-01'), day: '2026-02-01' },
        { id: 'p3', delta: 100, reason: 'earn', atMs: Date.parse('2026-11-01'), day: '2026-11-01' },
      ],
      events: [{ id: 'e1', kind: 'register', day: T - 400, store: 'S1' }, { id: 'e2', kind: 'checkin', day: T - 89, store: 'S1' }, { id: 'e3', kind: 'checkin', day: T - 90, store: 'S1' }, { id: 'e4', kind: 'follow', day: T - 3, store: 'S1' }],
      consents: [{ id: 'c1', channel: 'sms', granted: true, atMs: 1 }, { id: 'c2', channel: 'sms', granted: false, atMs: 2 }, { id: 'c3', channel: 'wechat', granted: true, atMs: 1 }],
    }]);
    expect([p.get('couponsIssued'), p.get('couponsRedeemed'), p.get('couponRedemptionRate')]).toEqual([3, 1, 3333]);
    expect([p.get('pointsEarned'), p.get('pointsSpent'), p.get('pointsExpired'), p.get('pointsBalance')]).toEqual([600, 200, 300, 100]);
    expect(p.get('interactions90')).toBe(1);
    expect(p.get('followsOfficialAccount')).toBe(1);
    expect(p.get('registeredDay')).toBe('2025-10-26');
    expect(p.get('daysSinceRegistered')).toBe(400);
    expect(p.get('consents')).toEqual(new Set(['wechat']));
    expect(p.has('lastPurchaseDay')).toBe(false);
  });

  it('attributes: age on the evaluation day, birth month, gender U when unknown', () => {
    expect(profileOf([], { isMember: false, birthday: '1990-11-30' }, DAY).get('age')).toBe(36);
    expect(profileOf([], { isMember: false, birthday: '1990-12-01' }, DAY).get('age')).toBe(35);
    const p = profileOf([], { isMember: false, birthday: '1990-12-01', homeStore: 'S1', city: 'Shanghai' }, DAY);
    expect([p.get('birthMonth'), p.get('gender'), p.get('isMember'), p.get('homeStore'), p.get('city')]).toEqual([12, 'U', 0, 'S1', 'Shanghai']);
  });

  it('reads hub-facts documents and imported orders', () => {
    const f = factOfDocument({ _id: 'm:M1:order:S1:T1:7', type: 'order', memberId: 'M1', storeId: 'S1', day: DAY, lines: [{ sku: 'A', qty: 2, totalCents: 1000, discountCents: 100, payableCents: 900 }], payableCents: 800, coupons: [] }, 'Asia/Shanghai');
    expect(f).toMatchObject({ source: 'pos:M1', kind: 'order', fact: { id: 'order:S1:T1:7', listCents: 1000, discountCents: 200, paidCents: 800, items: 2, lines: [{ promo: true }] } });
    const t = factOfOnlineOrder({ id: 'tmall-orders:9', recordId: 'tmall:nick', status: 'completed', at: '2026-11-29T17:00:00Z', totalCents: 2000, discountCents: 0, paidCents: 1000, lines: [{ sku: 'A', qty: 1, unitPriceCents: 2000 }] }, 'Asia/Shanghai');
    expect(t).toMatchObject({ source: 'tmall:nick', fact: { channel: 2, market: 'tmall', day: T, lines: [{ cents: 1000 }] } });
    expect(factOfOnlineOrder({ id: 'tmall:9', recordId: 'tmall:nick', status: 'cancelled', at: '2026-11-29T17:00:00Z' }, 'Asia/Shanghai')).toBeUndefined();
  });
});
