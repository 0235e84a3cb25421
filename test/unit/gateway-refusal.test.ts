import { describe, expect, it } from 'vitest';
import { refusal } from '../../hub/gateway.ts';

describe('what a store may write through the gateway', () => {
  const fact = (type: string, storeId: string) => ({ _id: `${type}:x`, type, storeId });

  it("passes the store's own facts, registrations, identity keys and heartbeat", () => {
    for (const type of ['order', 'refund', 'redeem', 'event', 'pts']) expect(refusal(fact(type, 'S001'), 'S001')).toBeUndefined();
    expect(refusal({ _id: 'member:M1', type: 'member', registeredStoreId: 'S001' }, 'S001')).toBeUndefined();
    expect(refusal({ _id: 'idk:phone:+8613800138000', type: 'idk' }, 'S001')).toBeUndefined();
    expect(refusal({ _id: 'heartbeat:S001', type: 'heartbeat' }, 'S001')).toBeUndefined();
  });

  it("refuses other stores' facts, hub documents, deletions and special documents", () => {
    expect(refusal(fact('order', 'S002'), 'S001')).toMatch(/store S002/);
    expect(refusal({ _id: 'member:M1', type: 'member', registeredStoreId: 'S002' }, 'S001')).toBeDefined();
    expect(refusal({ _id: 'heartbeat:S002', type: 'heartbeat' }, 'S001')).toBeDefined();
    for (const type of ['rules', 'tpl', 'coupon', 'alias', undefined]) expect(refusal({ _id: `${type}:x`, type }, 'S001')).toMatch(/written by the hub/);
    expect(refusal({ ...fact('order', 'S001'), _deleted: true }, 'S001')).toMatch(/never deleted/);
    expect(refusal({ _id: '_design/x', type: 'order', storeId: 'S001' }, 'S001')).toMatch(/hub/);
    expect(refusal(null, 'S001')).toBe('not a document');
  });
});
