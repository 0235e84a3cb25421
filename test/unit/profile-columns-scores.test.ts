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
