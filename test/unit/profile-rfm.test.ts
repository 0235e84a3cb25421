import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RFM_SEGMENTS } from '../../shared/profile/fields.ts';
import { cutsOf, NO_BOUNDARIES, rfmBoundaries, rfmOf, scoreOf, segmentOf } from '../../shared/profile/rfm.ts';

const ABSENT = -2147483648;

/** The definition the cuts implement: the mid-rank of the value over the base, cut at k/5. */
function midRankScore(values: readonly number[], v: number): number {
  const below = values.filter((x) => x < v).length;
  const equal = values.filter((x) => x === v).length;
  let s = 1;
  for (let k = 1; k <= 4; k++) if (5 * (2 * below + equal) >= 2 * values.length * k) s++;
  return s;
}

describe('RFM quintiles', () => {
  it('scores 1..5 a base of distinct values in fifths', () => {
    const cuts = cutsOf(Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((v) => scoreOf(v, cuts))).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
  });

  it('gives ties one score, the middle of the range they span', () => {
    // 60 % bought once: they span scores 1-3 and get 2; a lone member scores 3.
    const cuts = cutsOf(Int32Array.from([1, 1, 1, 1, 1, 1, 2, 2, 3, 4]));
    expect(scoreOf(1, cuts)).toBe(2);
    expect(scoreOf(4, cuts)).toBe(5);
    expect(scoreOf(7, cutsOf(Int32Array.from([7])))).toBe(3);
    expect(scoreOf(123, NO_BOUNDARIES.f)).toBe(3);
  });

  it('property: a value scored against the kept cuts gets the mid-rank score, seen in the base or not', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 60 }), fc.integer({ min: -60, max: 60 }), (values, probe) => {
        const cuts = cutsOf(Int32Array.from(values));
        for (const v of [...values, probe]) expect(scoreOf(v, cuts)).toBe(midRankScore(values, v));
      }),
    );
  });

  it('counts only the active base (an order in 365 days) and scores recency with fewer days higher', () => {
    // Columns of three widths, each with its own "unknown" (the profile columns are as wide as their values).
    const days = { values: Int16Array.from([1, 10, 100, 200, 300, 400, -32768]), absent: -32768 };
    const orders = { values: Int8Array.from([5, 4, 3, 2, 1, 0, -128]), absent: -128 };
    const spend = { values: Int32Array.from([900, 500, 300, 200, 100, 0, ABSENT]), absent: ABSENT };
    const b = rfmBoundaries(days, orders, spend, '2026-11-30');
    expect(b.active).toBe(5);
    expect(rfmOf({ daysSinceLastPurchase: 1, orders365: 5, spend365: 900 }, b)).toEqual({ r: 5, f: 5, m: 5, segment: 'champions' });
    expect(rfmOf({ daysSinceLastPurchase: 300, orders365: 1, spend365: 100 }, b)).toEqual({ r: 1, f: 1, m: 1, segment: 'lost' });
    expect(rfmOf({ daysSinceLastPurchase: 400, orders365: 0, spend365: 0 }, b)?.segment).toBe('lost');
    expect(rfmOf({}, b)).toBeUndefined();
  });

  it('maps every (R, F, M) to exactly one named segment, and every segment is reachable', () => {
    const seen = new Set<string>();
    for (let r = 1; r <= 5; r++) for (let f = 1; f <= 5; f++) for (let m = 1; m <= 5; m++) seen.add(segmentOf(r, f, m));
    expect([...seen].sort()).toEqual([...RFM_SEGMENTS].sort());
    expect(segmentOf(5, 1, 1)).toBe('new');
    expect(segmentOf(3, 2, 5)).toBe('potential');
    expect(segmentOf(1, 5, 5)).toBe('cant_lose');
    expect(segmentOf(2, 3, 1)).toBe('at_risk');
    expect(segmentOf(2, 1, 1)).toBe('hibernating');
  });

  it('is fast over a million members (typed-array sorts)', () => {
    const n = 1_000_000;
    const days = new Int32Array(n), orders = new Int32Array(n), spend = new Int32Array(n);
    let seed = 7;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
    for (let i = 0; i < n; i++) {
      days[i] = Math.floor(rnd() * 500);
      orders[i] = days[i]! >= 365 ? 0 : 1 + Math.floor(rnd() ** 3 * 30);
      spend[i] = orders[i]! * Math.floor(rnd() * 80_000);
    }
    const t0 = performance.now();
    const b = rfmBoundaries({ values: days, absent: ABSENT }, { values: orders, absent: ABSENT }, { values: spend, absent: ABSENT }, '2026-11-30');
    const tCuts = performance.now() - t0;
    const t1 = performance.now();
    let champions = 0;
    for (let i = 0; i < n; i++) if (rfmOf({ daysSinceLastPurchase: days[i], orders365: orders[i], spend365: spend[i] }, b)?.segment === 'champions') champions++;
    const tScore = performance.now() - t1;
    console.log(`RFM over ${n} members (${b.active} active): boundaries ${tCuts.toFixed(0)} ms, scoring every member ${tScore.toFixed(0)} ms; champions ${champions}`);
    expect(champions).toBeGreaterThan(0);
    expect(tCuts).toBeLessThan(2000);
  });
});
