import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SPEND_STRIDE, spendTuple } from '../../shared/compact-facts.ts';
import { addDays } from '../../shared/local-time.ts';
import { heldTier, packedTierState, tierState } from '../../shared/loyalty/tier-life.ts';
import { tierFor, type SpendFact } from '../../shared/loyalty/tiers.ts';
import { DEFAULT_RULES, LoyaltyRulesSchema, type LoyaltyRules } from '../../shared/schemas/rules.ts';

/*
 * The tier state machine (decision 019): upgrades on the day the spend reaches a threshold;
 * with tier life, a tier is lost only at a review (period boundary + grace), one tier a review.
 * L1 0, L2 1 RMB, L3 1,500 RMB, L4 7,000 RMB over 12 months.
 */

const YEARLY: LoyaltyRules = { ...DEFAULT_RULES, tierLife: { reviewMonths: 12, graceDays: 0 } };
const QUARTERLY_GRACE: LoyaltyRules = { ...DEFAULT_RULES, tierLife: { reviewMonths: 3, graceDays: 30 } };
const codes = (rules: LoyaltyRules, facts: SpendFact[], days: string[]) => days.map((d) => heldTier(rules, facts, d).code);

describe('without tier life: as before', () => {
  it('is tierFor for any facts and day (the default rules parse unchanged)', () => {
    expect(LoyaltyRulesSchema.parse(DEFAULT_RULES)).toEqual(DEFAULT_RULES);
    const fact = fc.record({ day: fc.integer({ min: 0, max: 900 }).map((n) => addDays('2025-01-01', n)), cents: fc.integer({ min: -200_000, max: 800_000 }) });
    fc.assert(
      fc.property(fc.array(fact, { maxLength: 30 }), fc.integer({ min: 0, max: 1000 }), (facts, n) => {
        const day = addDays('2025-01-01', n);
        expect(heldTier(DEFAULT_RULES, facts, day).code).toBe(tierFor(DEFAULT_RULES, facts, day).code);
        expect(tierState(DEFAULT_RULES, facts, day).tier.code).toBe(tierFor(DEFAULT_RULES, facts, day).code);
      }),
      { numRuns: 300 },
    );
  });

  it('the history says when the spend reached a tier and when it left the window', () => {
    const s = tierState(DEFAULT_RULES, [{ day: '2025-03-10', cents: 200_000 }], '2026-06-01');
    expect(s.history).toEqual([
      { day: '2025-03-10', from: 'L1', to: 'L3', why: 'reached', spendCents: 200_000 },
      { day: '2026-03-10', from: 'L3', to: 'L1', why: 'window', spendCents: 0 },
    ]);
    expect(s.tier.code).toBe('L1');
  });
});

describe('with tier life', () => {
  it('upgrades on the day the spend reaches the threshold', () => {
    const facts = [
      { day: '2026-02-01', cents: 100_000 },
      { day: '2026-02-20', cents: 60_000 },
    ];
    expect(codes(YEARLY, facts, ['2026-01-31', '2026-02-01', '2026-02-19', '2026-02-20'])).toEqual(['L1', 'L2', 'L2', 'L3']);
    expect(tierState(YEARLY, facts, '2026-03-01').since).toBe('2026-02-20');
  });

  it('keeps the tier until the review after the spend left the window, then loses one tier', () => {
    // Platinum in March 2025; the spend leaves the window in March 2026; reviews every January 1.
    const facts = [{ day: '2025-03-10', cents: 800_000 }];
    expect(codes(YEARLY, facts, ['2025-03-10', '2026-01-01', '2026-03-10', '2026-12-31', '2027-01-01', '2028-01-01', '2029-01-01'])).toEqual(['L4', 'L4', 'L4', 'L4', 'L3', 'L2', 'L1']);
    const s = tierState(YEARLY, facts, '2029-06-01');
    expect(s.history.map((c) => [c.day, c.to, c.why])).toEqual([
      ['2025-03-10', 'L4', 'reached'],
      ['2027-01-01', 'L3', 'review'],
      ['2028-01-01', 'L2', 'review'],
      ['2029-01-01', 'L1', 'review'],
    ]);
  });

  it('downgrades at most once per period, whatever the spend does in between', () => {
    const fact = fc.record({ day: fc.integer({ min: 0, max: 1400 }).map((n) => addDays('2024-01-01', n)), cents: fc.integer({ min: -300_000, max: 900_000 }) });
    fc.assert(
      fc.property(fc.array(fact, { maxLength: 25 }), fc.constantFrom(YEARLY, QUARTERLY_GRACE), (facts, rules) => {
        const s = tierState(rules, facts, '2028-01-01');
        const rank = (c: string) => rules.tiers.findIndex((t) => t.code === c);
        const downs = s.history.filter((c) => rank(c.to) < rank(c.from!));
        const periods = downs.map((c) => {
          const boundary = addDays(c.day, -rules.tierLife!.graceDays);
          return `${boundary.slice(0, 4)}-${Math.floor((Number(boundary.slice(5, 7)) - 1) / rules.tierLife!.reviewMonths)}`;
        });
        expect(new Set(periods).size).toBe(periods.length);
        for (const c of downs) {
          expect(c.why).toBe('review');
          expect(rank(c.from!) - rank(c.to)).toBe(1);
          expect(addDays(c.day, -rules.tierLife!.graceDays).slice(8)).toBe('01');
        }
        // Never below what the spend reaches that day, never a change on a day it did not happen.
        expect(rank(s.tier.code)).toBeGreaterThanOrEqual(rank(tierFor(rules, facts, '2028-01-01').code));
      }),
      { numRuns: 300 },
    );
  });

  it('a grace period: spend by the review keeps the tier', () => {
    // Gold from Feb 2025; the window (12 months) empties on 2026-02-xx; quarterly reviews wait 30 days.
    const facts = [{ day: '2025-02-15', cents: 160_000 }];
    expect(heldTier(QUARTERLY_GRACE, facts, '2026-04-30').code).toBe('L3'); // review of April 1 is on May 1
    expect(heldTier(QUARTERLY_GRACE, facts, '2026-05-01').code).toBe('L2');
    const requalified = [...facts, { day: '2026-04-25', cents: 150_000 }];
    expect(heldTier(QUARTERLY_GRACE, requalified, '2026-05-01').code).toBe('L3');
  });

  it('the order facts arrive in does not matter', () => {
    const fact = fc.record({ day: fc.integer({ min: 0, max: 900 }).map((n) => addDays('2025-01-01', n)), cents: fc.integer({ min: -100_000, max: 500_000 }) });
    fc.assert(
      fc.property(fc.array(fact, { maxLength: 20 }), (facts) => {
        const a = tierState(QUARTERLY_GRACE, facts, '2027-06-01');
        const b = tierState(QUARTERLY_GRACE, [...facts].reverse(), '2027-06-01');
        expect(b).toEqual(a);
      }),
      { numRuns: 200 },
    );
  });

  it('packed spend gives the same state, remembered per list and day', () => {
    const facts = [
      { id: 'order:S1:T1:1', day: '2025-02-15', cents: 160_000 },
      { id: 'order:S1:T1:2', day: '2026-04-25', cents: 150_000 },
    ];
    const packed = facts.flatMap((f) => spendTuple(f.id, f.day, f.cents));
    expect(packed.length).toBe(2 * SPEND_STRIDE);
    const s = packedTierState(QUARTERLY_GRACE, packed, '2026-05-01');
    expect(s).toEqual(tierState(QUARTERLY_GRACE, facts, '2026-05-01'));
    expect(packedTierState(QUARTERLY_GRACE, packed, '2026-05-01')).toBe(s);
  });

  it('hundreds of receipts: a few milliseconds for a new list of facts, nothing once remembered', () => {
    const facts = Array.from({ length: 500 }, (_, i) => ({ id: `order:S1:T1:${i}`, day: addDays('2024-01-01', i * 2), cents: 5_000 + (i % 7) * 1_000 }));
    const packed = facts.flatMap((f) => spendTuple(f.id, f.day, f.cents));
    for (let i = 0; i < 20; i++) packedTierState(QUARTERLY_GRACE, packed.slice(), '2026-11-30'); // compiled and the calendar learnt
    let t = performance.now();
    const fresh = Array.from({ length: 20 }, () => packed.slice());
    for (const list of fresh) packedTierState(QUARTERLY_GRACE, list, '2026-11-30');
    const perNewList = (performance.now() - t) / fresh.length;
    t = performance.now();
    for (let i = 0; i < 1000; i++) packedTierState(QUARTERLY_GRACE, fresh[0]!, '2026-11-30');
    const remembered = (performance.now() - t) / 1000;
    expect(perNewList).toBeLessThan(10); // about 0.5 ms on the 2-core development machine
    expect(remembered).toBeLessThan(0.05);
  });
});
