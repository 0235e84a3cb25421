import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupByKey } from '../../shared/one-id/compact.ts';

describe('groupByKey', () => {
  it('orders items as a stable sort by their keys does, and says where each key starts', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -5, max: 1_000_000 }), { maxLength: 300 }), fc.integer({ min: 1, max: 1024 }), (values, keys) => {
        const keyOf = (item: number) => Math.abs(item * 7919) % keys;
        const { sorted, starts } = groupByKey(Int32Array.from(values), values.map(keyOf), keys);
        // Array.prototype.sort is stable: items of one key keep the order they came in.
        const expected = [...values].sort((a, b) => keyOf(a) - keyOf(b));
        expect([...sorted]).toEqual(expected);
        expect(starts.length).toBe(keys + 1);
        for (let k = 0; k < keys; k++) expect([...sorted.subarray(starts[k]!, starts[k + 1]!)]).toEqual(expected.filter((v) => keyOf(v) === k));
      }),
    );
  });

  it('groups a subarray without touching the rest of its buffer', () => {
    const all = Int32Array.from([9, 3, 2, 1, 0, 9]);
    const part = all.subarray(1, 5);
    const { sorted, starts } = groupByKey(part, [...part].map((x) => x % 2), 2);
    expect([...sorted]).toEqual([2, 0, 3, 1]);
    expect([...starts]).toEqual([0, 2, 4]);
    expect([...all]).toEqual([9, 3, 2, 1, 0, 9]);
  });
});
