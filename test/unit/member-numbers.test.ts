import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemberNumbers } from '../../hub/profile/member-numbers.ts';

describe('member numbers: golden ids ↔ dense numbers without a string per member', () => {
  it('agree with a Map for any adds and removes: numbers unique and reused, ids read back, codes kept for life', () => {
    const id = fc.integer({ min: 0, max: 40 }).map((i) => `G${String(i).padStart(20, '0')}`);
    const op = fc.record({ add: fc.boolean(), id });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const m = new MemberNumbers();
        const model = new Map<string, number>();
        const codes = new Map<string, number>();
        let high = 0;
        for (const o of ops) {
          if (o.add) {
            const n = m.add(o.id);
            if (model.has(o.id)) expect(n).toBe(model.get(o.id));
            else expect([...model.values()]).not.toContain(n);
            model.set(o.id, n);
            high = Math.max(high, n + 1);
            // A free number is used again before a new one.
            expect(n).toBeLessThan(Math.max(high, model.size));
          } else {
            expect(m.remove(o.id)).toBe(model.get(o.id));
            model.delete(o.id);
          }
          // An id has a code once it was added, the same ever after.
          const code = m.codes.indexOf(o.id);
          if (codes.has(o.id) || o.add) expect(codes.get(o.id) ?? code).toBe(code), expect(code).toBeGreaterThanOrEqual(0), codes.set(o.id, code);
          else expect(code).toBe(-1);
        }
        expect(m.size).toBe(model.size);
        expect(m.length).toBeLessThanOrEqual(Math.max(model.size, high));
        for (let n = 0; n < m.length; n++) {
          const g = m.at(n);
          expect(m.has(n)).toBe(g !== undefined);
          if (g !== undefined) expect(model.get(g)).toBe(n), expect(m.codeAt(n)).toBe(codes.get(g));
          else expect(m.codeAt(n)).toBe(-1);
        }
        for (const [g, n] of model) expect(m.numberOf(g)).toBe(n), expect(m.numberOfCodeOf(codes.get(g)!)).toBe(n);
        for (const [g] of codes) if (!model.has(g)) expect(m.numberOf(g)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});
