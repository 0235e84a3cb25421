import { describe, expect, it } from 'vitest';
import type { ProfileValue } from '../../shared/profile/fields.ts';
import { StoreProfileDocSchema } from '../../shared/schemas/documents.ts';
import { storeDocRefusal } from '../../shared/store-facts.ts';
import { contentHash, storeProfileContent } from '../../hub/profile/store-profiles.ts';

const profile = (over: [string, ProfileValue][] = []) =>
  new Map<string, ProfileValue>([
    ['stage', 'active'],
    ['rfmSegment', 'loyal'],
    ['rfmR', 4],
    ['rfmF', 3],
    ['rfmM', 2],
    ['tags', new Set(['coffee_lover', 'high_spender'])],
    ['categoryScore', new Map([['tea', 500], ['coffee/beans', 9000], ['cups', 500], ['kettles', 100]])],
    ...over,
  ]);

describe('the profile document a store receives', () => {
  it('holds stage, segment, tags, top categories and recommendations, and reads back through the edge schema', () => {
    const c = storeProfileContent('M0001', profile(), [{ sku: 'GRINDER' }], (code) => (code === 'coffee_lover' ? 'Coffee lover' : undefined));
    expect(c).toEqual({ memberId: 'M0001', stage: 'active', rfmSegment: 'loyal', rfm: { r: 4, f: 3, m: 2 }, tags: [{ code: 'coffee_lover', name: 'Coffee lover' }, { code: 'high_spender' }], topCategories: ['coffee/beans', 'cups', 'tea'], recommendations: ['GRINDER'] });
    const doc = { _id: 'profile:M0001', type: 'profile', ...c, hash: contentHash(c), at: '2026-11-30T01:00:00.000Z', laterField: 1 };
    expect(StoreProfileDocSchema.parse(doc)).toMatchObject({ memberId: 'M0001', stage: 'active' });
  });

  it('hashes only what a guide sees: decayed scores moving the same way change nothing, a new stage does', () => {
    const a = contentHash(storeProfileContent('M0001', profile(), [{ sku: 'GRINDER' }]));
    const decayed = profile([['categoryScore', new Map([['tea', 450], ['coffee/beans', 8100], ['cups', 450], ['kettles', 90]])]]);
    expect(contentHash(storeProfileContent('M0001', decayed, [{ sku: 'GRINDER' }]))).toBe(a);
    expect(contentHash(storeProfileContent('M0001', profile([['stage', 'at_risk']]), [{ sku: 'GRINDER' }]))).not.toBe(a);
    expect(contentHash(storeProfileContent('M0001', profile(), [{ sku: 'FILTER' }]))).not.toBe(a);
  });

  it('is written by the hub only: a store replicating one is refused at the gateway', () => {
    const c = storeProfileContent('M0001', profile(), []);
    expect(storeDocRefusal({ _id: 'profile:M0001', type: 'profile', ...c, hash: contentHash(c), at: '2026-11-30T01:00:00.000Z' }, 'S001')).toMatch(/written by the hub/);
  });
});
