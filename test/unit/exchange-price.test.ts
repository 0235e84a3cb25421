import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideExchange, giftStockLeft, pricedInSomeVersion } from '../../shared/catalogue/exchange-price.ts';
import { PointsCatalogueSchema, type PointsCatalogue } from '../../shared/schemas/catalogue.ts';

const catalogue: PointsCatalogue = {
  version: 3,
  rewards: [
    { kind: 'coupon', id: 'CASH-500', title: '20 RMB off', points: 500, templateId: 'CASH20' },
    { kind: 'gift', id: 'CUP', title: 'A cup', points: 300, sku: 'CUP-001', stock: [{ storeId: 'S001', qty: 2 }] },
  ],
};
const ask = (over: Partial<Parameters<typeof decideExchange>[0]> = {}) =>
  decideExchange({ catalogue, rewardId: 'CASH-500', storeId: 'S001', spendable: 1000, offlineSpent: undefined, offlineLimit: 5000, giftsOut: () => 0, ...over });

describe('exchanging points for a reward', () => {
  it('gives the reward when the member has the points, the hub is reachable or the limit allows, and a gift is in stock here', () => {
    expect(ask()).toMatchObject({ ok: true, reward: { id: 'CASH-500' } });
    expect(ask({ spendable: 500 })).toMatchObject({ ok: true });
    expect(ask({ offlineSpent: 4500 })).toMatchObject({ ok: true });
    expect(ask({ rewardId: 'CUP', giftsOut: () => 1 })).toMatchObject({ ok: true, reward: { kind: 'gift' } });
  });

  it('refuses, in order: an unknown reward, too few points, the offline limit, no stock at this store', () => {
    expect(ask({ rewardId: 'NOPE' })).toMatchObject({ ok: false, refusal: { code: 'reward_not_found' } });
    expect(ask({ spendable: 499, offlineSpent: 4999 })).toMatchObject({ ok: false, refusal: { code: 'insufficient_points', balance: 499, points: 500 } });
    expect(ask({ offlineSpent: 4501 })).toMatchObject({ ok: false, refusal: { code: 'offline_limit_exceeded', limit: 5000, spent: 4501 } });
    expect(ask({ rewardId: 'CUP', giftsOut: () => 2 })).toMatchObject({ ok: false, refusal: { code: 'out_of_stock', sku: 'CUP-001' } });
    expect(ask({ rewardId: 'CUP', storeId: 'S002' })).toMatchObject({ ok: false, refusal: { code: 'out_of_stock' } });
  });

  it('never spends more than the spendable points, nor past the offline limit, nor a unit a store does not have (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20_000 }), fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: undefined }), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 5 }), fc.constantFrom('CASH-500', 'CUP'), (spendable, offlineSpent, offlineLimit, out, rewardId) => {
        const d = ask({ spendable, offlineSpent, offlineLimit, rewardId, giftsOut: () => out });
        if (!d.ok) return;
        expect(d.reward.points).toBeLessThanOrEqual(spendable);
        if (offlineSpent !== undefined) expect(offlineSpent + d.reward.points).toBeLessThanOrEqual(offlineLimit);
        if (d.reward.kind === 'gift') expect(giftStockLeft(d.reward, 'S001', out)).toBeGreaterThan(0);
      }),
    );
  });

  it('counts stock per store, never below zero', () => {
    const cup = catalogue.rewards[1] as Extract<PointsCatalogue['rewards'][number], { kind: 'gift' }>;
    expect([0, 1, 2, 3].map((out) => giftStockLeft(cup, 'S001', out))).toEqual([2, 1, 0, 0]);
    expect(giftStockLeft(cup, 'S009', 0)).toBe(0);
  });

  it('finds a reward priced so in some version of the catalogue, and only so', () => {
    const older: PointsCatalogue = { version: 2, rewards: [{ ...catalogue.rewards[0]!, points: 400 } as PointsCatalogue['rewards'][number]] };
    const coupon = (r: PointsCatalogue['rewards'][number]) => r.kind === 'coupon' && r.templateId === 'CASH20';
    expect(pricedInSomeVersion([older, catalogue], 'CASH-500', 400, coupon)).toBe(true);
    expect(pricedInSomeVersion([older, catalogue], 'CASH-500', 500, coupon)).toBe(true);
    expect(pricedInSomeVersion([older, catalogue], 'CASH-500', 1, coupon)).toBe(false);
    expect(pricedInSomeVersion([older, catalogue], 'CASH-500', 500, (r) => r.kind === 'gift')).toBe(false);
    expect(pricedInSomeVersion([], 'CASH-500', 500, coupon)).toBe(false);
  });

  it('refuses a catalogue with two rewards of one id, a gift with a store twice, points not above zero', () => {
    expect(PointsCatalogueSchema.safeParse({ ...catalogue, rewards: [catalogue.rewards[0], catalogue.rewards[0]] }).success).toBe(false);
    expect(PointsCatalogueSchema.safeParse({ ...catalogue, rewards: [{ ...catalogue.rewards[1], stock: [{ storeId: 'S001', qty: 1 }, { storeId: 'S001', qty: 2 }] }] }).success).toBe(false);
    expect(PointsCatalogueSchema.safeParse({ ...catalogue, rewards: [{ ...catalogue.rewards[0], points: 0 }] }).success).toBe(false);
    expect(PointsCatalogueSchema.safeParse(catalogue).success).toBe(true);
  });
});
