import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FiguresTally } from '../../shared/one-id/metrics.ts';

const members = fc.array(fc.record({ sources: fc.integer({ min: 1, max: 7 }), filled: fc.integer({ min: 0, max: 8 }) }), { maxLength: 200 });

const tallied = (ms: { sources: number; filled: number }[]) => {
  const t = new FiguresTally();
  for (const m of ms) t.add(m.sources, m.filled);
  return t;
};

describe('FiguresTally', () => {
  it('counts members by channels (four or more together) and by fields filled', () => {
    const s = tallied([
      { sources: 1, filled: 0 },
      { sources: 2, filled: 2 },
      { sources: 5, filled: 8 },
    ]).spread();
    expect(s.byChannels).toEqual([1, 1, 0, 1]);
    expect(s.byFieldsFilled).toEqual([1, 0, 1, 0, 0, 0, 0, 0, 1]);
  });

  it('counts identification, duplicates removed and quarantined keys', () => {
    const m = tallied([{ sources: 2, filled: 1 }, { sources: 1, filled: 0 }]).metrics(5, 3);
    expect(m).toEqual({ records: 5, members: 2, identificationRate: 0.5, duplicatesRemoved: 3, averageCompleteness: 1 / 16, quarantinedKeys: 3 });
    expect(new FiguresTally().metrics(0, 0)).toEqual({ records: 0, members: 0, identificationRate: 0, duplicatesRemoved: 0, averageCompleteness: 0, quarantinedKeys: 0 });
  });

  it('its spread holds its figures: every member once, the identification rate and the mean completeness', () => {
    fc.assert(
      fc.property(members, (ms) => {
        const t = tallied(ms);
        const s = t.spread();
        const m = t.metrics(ms.length, 0);
        const n = ms.length;
        expect(s.byChannels.reduce((a, b) => a + b, 0)).toBe(n);
        expect(s.byFieldsFilled.reduce((a, b) => a + b, 0)).toBe(n);
        expect(n === 0 ? 0 : (n - s.byChannels[0]!) / n).toBeCloseTo(m.identificationRate, 12);
        expect(n === 0 ? 0 : s.byFieldsFilled.reduce((a, c, filled) => a + c * filled, 0) / 8 / n).toBeCloseTo(m.averageCompleteness, 12);
      }),
    );
  });
});
