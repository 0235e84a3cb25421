import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tierForSpend, tierProgress } from '../../shared/loyalty/tiers.ts';
import { DEFAULT_RULES } from '../../shared/schemas/rules.ts';

describe('tierProgress', () => {
  it('says how far the next tier is, from the current threshold', () => {
    expect(tierProgress(DEFAULT_RULES, 0)).toMatchObject({ tier: { code: 'L1' }, next: { tier: { code: 'L2' }, missingCents: 100, percent: 0 } });
    const p = tierProgress(DEFAULT_RULES, 100_000);
    expect(p.tier.code).toBe('L2');
    expect(p.next).toMatchObject({ tier: { code: 'L3' }, missingCents: 50_000, percent: 66 });
    expect(tierProgress(DEFAULT_RULES, 149_999).next!.percent).toBe(99);
  });

  it('has no next tier at the top, and never a negative spend', () => {
    expect(tierProgress(DEFAULT_RULES, 9_000_000)).toEqual({ tier: DEFAULT_RULES.tiers[3], spendCents: 9_000_000 });
    expect(tierProgress(DEFAULT_RULES, -5).spendCents).toBe(0);
  });

  it('agrees with tierForSpend, and the next tier is the one just above', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2_000_000 }), (spend) => {
        const p = tierProgress(DEFAULT_RULES, spend);
        expect(p.tier).toBe(tierForSpend(DEFAULT_RULES, spend));
        if (p.next) {
          expect(p.next.missingCents).toBeGreaterThan(0);
          expect(tierForSpend(DEFAULT_RULES, spend + p.next.missingCents)).toBe(p.next.tier);
          expect(p.next.percent).toBeGreaterThanOrEqual(0);
          expect(p.next.percent).toBeLessThan(100);
        }
      }),
    );
  });
});
