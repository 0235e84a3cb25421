import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { allocate } from '../../shared/money.ts';
import { fracArb } from './fixtures.ts';

describe('allocate', () => {
  it('splits by largest remainder, ties to the earlier weight', () => {
    expect(allocate(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(allocate(101, [1, 1, 1])).toEqual([34, 34, 33]);
    expect(allocate(10, [1, 2])).toEqual([3, 7]);
    expect(allocate(5, [3, 3])).toEqual([3, 2]);
    expect(allocate(1, [1, 1, 1, 1])).toEqual([1, 0, 0, 0]);
  });

  it('gives the largest remainder the extra unit', () => {
    // 10 × [1, 4, 5] / 10 = exact; 7 × [2, 3, 5] / 10 = 1.4, 2.1, 3.5 → 1, 2, 4
    expect(allocate(7, [2, 3, 5])).toEqual([1, 2, 4]);
    expect(allocate(10, [1, 4, 5])).toEqual([1, 4, 5]);
  });

  it('gives zero weights nothing', () => {
    expect(allocate(100, [0, 1, 0, 1])).toEqual([0, 50, 0, 50]);
    expect(allocate(3, [0, 1, 0, 1, 0])).toEqual([0, 2, 0, 1, 0]);
  });

  it('returns all zeros when there is nothing to weigh by', () => {
    expect(allocate(100, [0, 0])).toEqual([0, 0]);
    expect(allocate(100, [])).toEqual([]);
    expect(allocate(0, [1, 2])).toEqual([0, 0]);
  });

  const weights = fc
    .array(fc.oneof(fc.constant(0), fc.nat({ max: 1_000_000 }), fc.nat({ max: 10 })), { minLength: 1, maxLength: 30 })
    .filter((ws) => ws.some((w) => w > 0));

  it('parts are integers that sum exactly to the amount', () => {
    fc.assert(
      fc.property(fc.nat({ max: 100_000_000 }), weights, (amount, ws) => {
        const parts = allocate(amount, ws);
        expect(parts).toHaveLength(ws.length);
        for (const p of parts) expect(Number.isInteger(p)).toBe(true);
        expect(parts.reduce((a, b) => a + b, 0)).toBe(amount);
      }),
      { numRuns: 500 },
    );
  });

  it('each part is within 1 of its exact proportional share (floor or floor + 1)', () => {
    fc.assert(
      fc.property(fc.nat({ max: 100_000_000 }), weights, (amount, ws) => {
        const total = ws.reduce((a, b) => a + b, 0);
        const parts = allocate(amount, ws);
        ws.forEach((w, i) => {
          // Exact in BigInt: floor(amount * w / total) and whether it divides.
          const num = BigInt(amount) * BigInt(w);
          const floor = Number(num / BigInt(total));
          const exact = num % BigInt(total) === 0n;
          const p = parts[i]!;
          expect(p >= floor && p <= floor + 1).toBe(true);
          if (exact) expect(p).toBe(floor);
          expect(Math.abs(p - (amount * w) / total)).toBeLessThan(1);
        });
      }),
      { numRuns: 500 },
    );
  });

  it('zero weights get zero', () => {
    fc.assert(
      fc.property(fc.nat({ max: 1_000_000 }), weights, (amount, ws) => {
        const parts = allocate(amount, ws);
        ws.forEach((w, i) => {
          if (w === 0) expect(parts[i]).toBe(0);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('never gives a part more than its weight when the amount does not exceed the total', () => {
    // What coupons and points rely on: a line never ends up with a negative amount left.
    fc.assert(
      fc.property(weights, fracArb, (ws, f) => {
        const total = ws.reduce((a, b) => a + b, 0);
        const amount = Math.floor(total * f);
        const parts = allocate(amount, ws);
        ws.forEach((w, i) => expect(parts[i]!).toBeLessThanOrEqual(w));
      }),
      { numRuns: 300 },
    );
  });

  it('is monotone in the weight for equal remainders (ties go to the earlier weight)', () => {
    fc.assert(
      fc.property(fc.nat({ max: 10_000 }), fc.integer({ min: 1, max: 20 }), (amount, n) => {
        const parts = allocate(amount, Array.from({ length: n }, () => 1));
        for (let i = 1; i < n; i++) expect(parts[i - 1]!).toBeGreaterThanOrEqual(parts[i]!);
        expect(Math.max(...parts) - Math.min(...parts)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 200 },
    );
  });
});

