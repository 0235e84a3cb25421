import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dict, lookupTable, own } from '../../shared/own.ts';
import { orderStatus } from '../../shared/one-id/order.ts';

const PROTO_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__'];

describe('outside text as a key', () => {
  it('own() reads only what the object holds itself', () => {
    const rules: Record<string, number> = { checkin: 5 };
    for (const k of PROTO_KEYS) expect(own(rules, k)).toBeUndefined();
    expect(own(rules, 'checkin')).toBe(5);
    expect(own(undefined, 'checkin')).toBeUndefined();
    // JSON.parse makes `__proto__` an own property: then it is the object's own value.
    expect(own(JSON.parse('{"__proto__": 7}') as Record<string, number>, '__proto__')).toBe(7);
  });

  it('dict() takes any text as an ordinary key, and never changes a prototype', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.oneof(fc.constantFrom(...PROTO_KEYS), fc.string()), fc.integer())), (entries) => {
        const d = dict(entries);
        expect(Object.getPrototypeOf(d)).toBeNull();
        const last = new Map(entries);
        expect(Object.keys(d).sort()).toEqual([...last.keys()].sort());
        for (const [k, v] of last) expect(d[k]).toBe(v);
      }),
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a lookup table answers only its entries', () => {
    const t = lookupTable({ a: 1 });
    for (const k of PROTO_KEYS) expect(t.get(k)).toBeUndefined();
    for (const k of PROTO_KEYS) expect(orderStatus(k)).toBe('unknown');
  });
});
