import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { oneIdMetrics, oneIdSpread } from '../../shared/one-id/metrics.ts';

const figures = fc.array(fc.record({ sources: fc.integer({ min: 1, max: 7 }), completeness: fc.integer({ min: 0, max: 8 }).map((n) => n / 8) }), { maxLength: 200 });

describe('oneIdSpread', () => {
  it('counts members by channels (four or more together) and by fields filled', () => {
    const s = oneIdSpread([
      { sources: 1, completeness: 0 },
      { sources: 2, completeness: 2 / 8 },
      { sources: 5, completeness: 1 },
    ]);
    expect(s.byChannels).toEqual([1, 1, 0, 1]);
    expect(s.byFieldsFilled).toEqual([1, 0, 1, 0, 0, 0, 0, 0, 1]);
  });

  it('holds the same figures as oneIdMetrics: every member once, the identification rate and the mean completeness', () => {
    fc.assert(
      fc.property(figures, (members) => {
        const s = oneIdSpread(members);
        const m = oneIdMetrics(members.length, members, 0);
        const n = members.length;
        expect(s.byChannels.reduce((a, b) => a + b, 0)).toBe(n);
        expect(s.byFieldsFilled.reduce((a, b) => a + b, 0)).toBe(n);
        expect(n === 0 ? 0 : (n - s.byChannels[0]!) / n).toBeCloseTo(m.identificationRate, 12);
        expect(n === 0 ? 0 : s.byFieldsFilled.reduce((a, c, filled) => a + c * filled, 0) / 8 / n).toBeCloseTo(m.averageCompleteness, 12);
      }),
    );
  });
});
