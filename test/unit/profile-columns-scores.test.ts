import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProfileColumns } from '../../hub/profile/columns.ts';

/*
 * Decision 026: scores rows share one array per field, rewritten in place or at its end and
 * compacted as it fills with what rows left behind; a row is read back as it was last written
 * whatever was written around it (scores past 32 bits included).
 */

const score = fc.oneof({ weight: 9, arbitrary: fc.integer({ min: -1000, max: 100_000 }) }, { weight: 1, arbitrary: fc.constantFrom(2 ** 31, 2 ** 40, -(2 ** 33)) });
const scores = fc.array(fc.tuple(fc.constantFrom('coffee', 'coffee/beans', 'tea', 'cups', 'snacks/nuts', 'gifts', 'a', 'b', 'c', 'd', 'e', 'f'), score), { maxLength: 12 }).map((kv) => new Map(kv));

describe('profile columns: scores rows', () => {
  it('read back as last written, through rewrites, growth and compaction', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), scores), { minLength: 2000, maxLength: 3000 }), (writes) => {
        const c = new ProfileColumns(undefined, 4);
        const last = new Map<number, Map<string, number>>();
        for (const [n, m] of writes) {
          c.write(n, new Map([['categoryScore', m]]));
          last.set(n, m);
        }
        for (const [n, m] of last) expect(c.row(n).get('categoryScore')).toEqual(m);
        // A key's column sums its sub-categories, from the same rows.
        const coffee = c.column('categoryScore', 'coffee')!;
        for (const [n, m] of last) expect(coffee.kind === 'scores' && coffee.values[n]).toBe(((m.get('coffee') ?? 0) + (m.get('coffee/beans') ?? 0)) | 0);
      }),
      { numRuns: 20 },
    );
  });
});

describe('profile columns: ints as wide as their values', () => {
  // Each width's edges: the least value of a type marks "unknown" in a column of that type.
  const edge = fc.constantFrom(-128, -127, 127, 128, -32768, -32767, 32767, 32768, -(2 ** 31) + 1, 2 ** 31 - 1, 0, -1);
  const value = fc.oneof(edge, fc.integer({ min: -200, max: 200 }), fc.integer({ min: -(2 ** 31) + 1, max: 2 ** 31 - 1 }), fc.constant(undefined));
  it('read back as last written, unknowns included, through widening and growth; the column says its unknown', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), value, value), { maxLength: 300 }), (writes) => {
        const c = new ProfileColumns(undefined, 4);
        const last = new Map<number, [number | undefined, number | undefined]>();
        for (const [n, orders, spend] of writes) {
          c.write(n, new Map(Object.entries({ orders, spend }).filter(([, v]) => v !== undefined) as [string, number][]));
          last.set(n, [orders, spend]);
        }
        const orders = c.column('orders')!, spend = c.column('spend')!;
        for (const [n, [o, s]] of last) {
          expect(c.row(n).get('orders')).toBe(o);
          expect(c.row(n).get('spend')).toBe(s);
          if (orders.kind !== 'int' || spend.kind !== 'int') throw new Error('int columns');
          expect(orders.values[n] === orders.absent ? undefined : orders.values[n]).toBe(o);
          expect(spend.values[n] === spend.absent ? undefined : spend.values[n]).toBe(s);
        }
        // As wide as the values ever written need, no wider.
        const bytes = (v: number | undefined) => (v === undefined || (v > -128 && v <= 127) ? 1 : v > -32768 && v <= 32767 ? 2 : 4);
        expect(orders.kind === 'int' && orders.values.BYTES_PER_ELEMENT).toBe(Math.max(1, ...writes.map(([, o]) => bytes(o))));
      }),
      { numRuns: 300 },
    );
  });
});
