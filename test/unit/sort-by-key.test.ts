import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sortByKey } from '../../shared/one-id/compact.ts';

describe('sortByKey', () => {
  it('orders items as a stable sort by their keys does, and answers the keys in that order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -5, max: 1_000_000 }), { maxLength: 300 }), fc.integer({ min: 1, max: 1024 }), (values, keys) => {
        const keyOf = (item: number) => Math.abs(item * 7919) % keys;
        const items = Int32Array.from(values);
        const answered = sortByKey(items, keyOf, keys);
        // Array.prototype.sort is stable: items of one key keep the order they came in.
        const expected = [...values].sort((a, b) => keyOf(a) - keyOf(b));
        expect([...items]).toEqual(expected);
        expect([...answered]).toEqual(expected.map(keyOf));
      }),
    );
  });

  it('sorts a subarray in place, leaving the rest of its buffer alone', () => {
    const all = Int32Array.from([9, 3, 2, 1, 0, 9]);
    expect([...sortByKey(all.subarray(1, 5), (x) => x % 2, 2)]).toEqual([0, 0, 1, 1]);
    expect([...all]).toEqual([9, 2, 0, 3, 1, 9]);
  });
});
