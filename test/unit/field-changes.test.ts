import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fieldChanges } from '../../shared/loyalty/field-changes.ts';
import { DEFAULT_RULES } from '../../shared/schemas/rules.ts';

describe('fieldChanges: what a new version of the rules changed', () => {
  it('nothing, between equal versions (the version number itself is no change)', () => {
    expect(fieldChanges(DEFAULT_RULES, { ...structuredClone(DEFAULT_RULES), version: 7 })).toEqual([]);
  });

  it('a tier multiplier, named by the tier code, with before and after', () => {
    const next = structuredClone(DEFAULT_RULES);
    next.tiers[2]!.multiplierPct = 175;
    next.offlineSpendLimit = 8000;
    expect(fieldChanges(DEFAULT_RULES, next)).toEqual([
      { path: 'offlineSpendLimit', before: 5000, after: 8000 },
      { path: 'tiers[L3].multiplierPct', before: 150, after: 175 },
    ]);
  });

  it('a tier inserted in the middle is one added tier, not every later tier changed', () => {
    const next = structuredClone(DEFAULT_RULES);
    next.tiers.splice(2, 0, { code: 'L2B', minSpendCents: 100_000, multiplierPct: 120 });
    expect(fieldChanges(DEFAULT_RULES, next)).toEqual([{ path: 'tiers[L2B]', after: { code: 'L2B', minSpendCents: 100_000, multiplierPct: 120 } }]);
  });

  it('an interaction added and one removed; an expiry of another kind', () => {
    const { survey, ...rest } = DEFAULT_RULES.interactions;
    const next = { ...DEFAULT_RULES, interactions: { ...rest, review: { points: 20, once: 'per_ref' as const } }, expiry: { kind: 'never' as const } };
    expect(fieldChanges(DEFAULT_RULES, next)).toEqual([
      { path: 'expiry.kind', before: 'relative', after: 'never' },
      { path: 'expiry.months', before: 24 },
      { path: 'interactions.review', after: { points: 20, once: 'per_ref' } },
      { path: 'interactions.survey', before: survey },
    ]);
  });

  it('tiers in another order are changes (order matters), not nothing', () => {
    const swapped = [DEFAULT_RULES.tiers[1]!, DEFAULT_RULES.tiers[0]!];
    expect(fieldChanges({ tiers: DEFAULT_RULES.tiers.slice(0, 2) }, { tiers: swapped }).length).toBeGreaterThan(0);
  });

  it('lists without codes are compared by position', () => {
    expect(fieldChanges({ scope: { stores: ['S001', 'S002'] } }, { scope: { stores: ['S001', 'S003'] } })).toEqual([{ path: 'scope.stores[1]', before: 'S002', after: 'S003' }]);
  });

  it('property: no changes exactly when the two are equal; each change names values that differ', () => {
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, fc.integer({ min: 0, max: 3 }), fc.constantFrom('a', 'b'), fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(fc.constantFrom('x', 'y', 'code'), tie('v'), { maxKeys: 3 })),
    })).v;
    fc.assert(
      fc.property(value, value, (a, b) => {
        const changes = fieldChanges(a, b, []);
        expect(changes.length === 0).toBe(JSON.stringify(a) === JSON.stringify(b) || isSameUnordered(a, b));
        for (const ch of changes) expect(JSON.stringify(ch.before)).not.toBe(JSON.stringify(ch.after));
      }),
    );
  });
});

/** Equal but for the order of object keys (the diff does not care about key order). */
function isSameUnordered(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => isSameUnordered(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const [ka, kb] = [Object.keys(a).sort(), Object.keys(b).sort()];
    return ka.join() === kb.join() && ka.every((k) => isSameUnordered((a as any)[k], (b as any)[k]));
  }
  return Object.is(a, b);
}
