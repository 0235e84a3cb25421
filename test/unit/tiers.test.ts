import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { rollingSpend, tierFor, type SpendFact } from '../../shared/loyalty/tiers.ts';
import { addMonths } from '../../shared/local-time.ts';
import { DEFAULT_RULES, type LoyaltyRules } from '../../shared/schemas/rules.ts';

const today = '2026-06-15';
const code = (facts: SpendFact[], on = today) => tierFor(DEFAULT_RULES, facts, on).code;

describe('tierFor with DEFAULT_RULES', () => {
  it('L1 with no spend', () => {
    expect(code([])).toBe('L1');
    expect(code([{ day: today, cents: 0 }])).toBe('L1');
    expect(code([{ day: today, cents: 99 }])).toBe('L1');
  });

  it('L2 from 100 cents, L3 from 150000, L4 from 700000', () => {
    expect(code([{ day: today, cents: 100 }])).toBe('L2');
    expect(code([{ day: today, cents: 149_999 }])).toBe('L2');
    expect(code([{ day: today, cents: 150_000 }])).toBe('L3');
    expect(code([{ day: today, cents: 699_999 }])).toBe('L3');
    expect(code([{ day: today, cents: 700_000 }])).toBe('L4');
    expect(code([{ day: today, cents: 100_000_000 }])).toBe('L4');
  });

  it('adds up several receipts and takes refunds off', () => {
    expect(code([{ day: '2026-01-01', cents: 100_000 }, { day: '2026-03-01', cents: 50_000 }])).toBe('L3');
    expect(code([{ day: '2026-01-01', cents: 100_000 }, { day: '2026-03-01', cents: 50_000 }, { day: '2026-04-01', cents: -1 }])).toBe('L2');
    expect(code([{ day: '2026-01-01', cents: 200 }, { day: '2026-03-01', cents: -200 }])).toBe('L1');
  });

  it('spend older than 12 months does not count', () => {
    // The window ends today (inclusive) and starts the day after the same date a year earlier.
    expect(code([{ day: '2025-06-16', cents: 700_000 }])).toBe('L4');
    expect(code([{ day: '2025-06-15', cents: 700_000 }])).toBe('L1');
    expect(code([{ day: '2024-01-01', cents: 700_000 }, { day: '2026-01-01', cents: 150_000 }])).toBe('L3');
    // The same receipt ages out.
    const facts = [{ day: '2025-07-01', cents: 160_000 }];
    expect(code(facts, '2026-06-30')).toBe('L3');
    expect(code(facts, '2026-07-01')).toBe('L1');
  });

  it('does not count spend after today', () => {
    expect(code([{ day: '2026-06-16', cents: 700_000 }])).toBe('L1');
  });

  it('picks the highest threshold reached even when the rules list tiers out of order', () => {
    const rules: LoyaltyRules = {
      ...DEFAULT_RULES,
      tiers: [DEFAULT_RULES.tiers[0]!, DEFAULT_RULES.tiers[3]!, DEFAULT_RULES.tiers[2]!, DEFAULT_RULES.tiers[1]!],
    };
    expect(tierFor(rules, [{ day: today, cents: 0 }], today).code).toBe('L1');
    expect(tierFor(rules, [{ day: today, cents: 200 }], today).code).toBe('L2');
    expect(tierFor(rules, [{ day: today, cents: 200_000 }], today).code).toBe('L3');
    expect(tierFor(rules, [{ day: today, cents: 800_000 }], today).code).toBe('L4');
  });

  it('is independent of the order of facts', () => {
    const dayN = (n: number) => new Date(Date.parse('2024-06-01T00:00:00Z') + n * 86_400_000).toISOString().slice(0, 10);
    const facts = fc.array(
      fc.record({ day: fc.nat({ max: 900 }).map(dayN), cents: fc.oneof(fc.integer({ min: 0, max: 400_000 }), fc.integer({ min: -100_000, max: 0 })) }),
      { maxLength: 30 },
    );
    fc.assert(
      fc.property(
        facts.chain((f) => fc.tuple(fc.constant(f), fc.shuffledSubarray(f, { minLength: f.length, maxLength: f.length }))),
        fc.nat({ max: 900 }).map(dayN),
        ([f, shuffled], on) => {
          expect(tierFor(DEFAULT_RULES, shuffled, on)).toEqual(tierFor(DEFAULT_RULES, f, on));
          expect(rollingSpend(DEFAULT_RULES, shuffled, on)).toBe(rollingSpend(DEFAULT_RULES, f, on));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is the highest tier whose threshold the rolling spend reaches', () => {
    fc.assert(
      fc.property(fc.nat({ max: 2_000_000 }), (cents) => {
        const t = tierFor(DEFAULT_RULES, [{ day: today, cents }], today);
        const reached = DEFAULT_RULES.tiers.filter((x) => x.minSpendCents <= cents);
        expect(t).toEqual(reached[reached.length - 1]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('rollingSpend', () => {
  it('sums the window and never goes below zero', () => {
    expect(rollingSpend(DEFAULT_RULES, [{ day: today, cents: 500 }, { day: today, cents: -800 }], today)).toBe(0);
    expect(rollingSpend(DEFAULT_RULES, [{ day: '2026-01-01', cents: 500 }, { day: '2020-01-01', cents: 800 }], today)).toBe(500);
  });

  it('honours tierWindowMonths', () => {
    const rules: LoyaltyRules = { ...DEFAULT_RULES, tierWindowMonths: 3 };
    expect(rollingSpend(rules, [{ day: '2026-03-16', cents: 1 }, { day: '2026-03-15', cents: 10 }], today)).toBe(1);
  });

  it('counts a fact iff it lies in (today − window, today]', () => {
    const dayN = (n: number) => new Date(Date.parse('2025-01-01T00:00:00Z') + n * 86_400_000).toISOString().slice(0, 10);
    fc.assert(
      fc.property(fc.nat({ max: 800 }).map(dayN), fc.nat({ max: 800 }).map(dayN), fc.integer({ min: 1, max: 24 }), (day, on, months) => {
        const rules: LoyaltyRules = { ...DEFAULT_RULES, tierWindowMonths: months };
        const inWindow = day > addMonths(on, -months) && day <= on;
        expect(rollingSpend(rules, [{ day, cents: 7 }], on)).toBe(inWindow ? 7 : 0);
      }),
      { numRuns: 300 },
    );
  });
});
