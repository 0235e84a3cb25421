import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  earnedPoints,
  expiryFor,
  ledgerBalance,
  maxRedeemablePoints,
  pointsToCents,
  type LedgerFact,
} from '../../shared/loyalty/points.ts';
import { DEFAULT_RULES, type LoyaltyRules, type TierRule } from '../../shared/schemas/rules.ts';
import { fracArb } from './fixtures.ts';

const tier = (code: string): TierRule => DEFAULT_RULES.tiers.find((t) => t.code === code)!;
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** A ledger entry on a day, at noon UTC plus `seq` seconds so several can share a day. */
function entry(id: string, delta: number, day: string, expiresOn?: string, seq = 0): LedgerFact {
  const atMs = Date.parse(`${day}T12:00:00Z`) + seq * 1000;
  return expiresOn === undefined ? { id, delta, atMs, day } : { id, delta, atMs, day, expiresOn };
}

const BASE = Date.parse('2025-01-01T00:00:00Z');
const dayOf = (n: number) => new Date(BASE + n * 86_400_000).toISOString().slice(0, 10);

/** Random ledgers over ~2 years: unique ids, times that may coincide, mixed signs, optional expiry. */
const ledgerArb = (opts: { expiry: boolean }) =>
  fc
    .array(
      fc.record({
        dayN: fc.nat({ max: 700 }),
        sec: fc.nat({ max: 3 }),
        delta: fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: -800, max: -1 }), fc.constant(0)),
        expiresIn: opts.expiry ? fc.option(fc.nat({ max: 400 }), { nil: undefined }) : fc.constant(undefined),
      }),
      { maxLength: 40 },
    )
    .map((rows) =>
      rows.map((r, i) => {
        const day = dayOf(r.dayN);
        // Only earnings carry an expiry, as in the real ledger.
        const exp = r.delta > 0 && r.expiresIn !== undefined ? dayOf(r.dayN + r.expiresIn) : undefined;
        return entry(`pts:m1:${String(i).padStart(3, '0')}`, r.delta, day, exp, r.sec);
      }),
    );

const todayArb = fc.nat({ max: 1200 }).map(dayOf);

describe('ledgerBalance properties', () => {
  it('balance + expired === sum of deltas, always', () => {
    fc.assert(
      fc.property(ledgerArb({ expiry: true }), todayArb, (ledger, today) => {
        const b = ledgerBalance(ledger, today);
        expect(b.balance + b.expired).toBe(sum(ledger.map((e) => e.delta)));
        expect(b.expired).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 400 },
    );
  });

  it('with no expiry dates, balance === sum of deltas and nothing expires', () => {
    fc.assert(
      fc.property(ledgerArb({ expiry: false }), todayArb, (ledger, today) => {
        const b = ledgerBalance(ledger, today);
        expect(b.balance).toBe(sum(ledger.map((e) => e.delta)));
        expect(b.expired).toBe(0);
        expect(b.nextExpiry).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it('does not depend on the order of the input array', () => {
    fc.assert(
      fc.property(
        ledgerArb({ expiry: true }).chain((l) => fc.tuple(fc.constant(l), fc.shuffledSubarray(l, { minLength: l.length, maxLength: l.length }))),
        todayArb,
        ([ledger, shuffled], today) => {
          expect(ledgerBalance(shuffled, today)).toEqual(ledgerBalance(ledger, today));
          expect(ledgerBalance([...ledger].reverse(), today)).toEqual(ledgerBalance(ledger, today));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('does not change its input', () => {
    fc.assert(
      fc.property(ledgerArb({ expiry: true }), todayArb, (ledger, today) => {
        const copy = structuredClone(ledger);
        ledgerBalance(ledger, today);
        expect(ledger).toEqual(copy);
      }),
      { numRuns: 100 },
    );
  });

  it('as days pass, points only expire: expired never falls and balance never rises', () => {
    fc.assert(
      fc.property(ledgerArb({ expiry: true }), fc.nat({ max: 1200 }), fc.nat({ max: 400 }), (ledger, t, later) => {
        const a = ledgerBalance(ledger, dayOf(t));
        const b = ledgerBalance(ledger, dayOf(t + later));
        expect(b.expired).toBeGreaterThanOrEqual(a.expired);
        expect(b.balance).toBeLessThanOrEqual(a.balance);
      }),
      { numRuns: 300 },
    );
  });

  it('nextExpiry is the earliest unexpired dated lot, on or after today', () => {
    fc.assert(
      fc.property(ledgerArb({ expiry: true }), todayArb, (ledger, today) => {
        const b = ledgerBalance(ledger, today);
        if (!b.nextExpiry) return;
        expect(b.nextExpiry.on >= today).toBe(true);
        expect(b.nextExpiry.points).toBeGreaterThan(0);
        expect(ledger.some((e) => e.expiresOn === b.nextExpiry!.on)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('spending uses the earliest-expiring lots first (model: greedy by expiry)', () => {
    // All earnings first, then one spend before anything expires: the spend must eat the lots in
    // expiry order (no expiry last), so what is left on any later day is exactly the model's.
    const lots = fc.array(fc.record({ amount: fc.integer({ min: 1, max: 500 }), expiresIn: fc.option(fc.integer({ min: 30, max: 300 }), { nil: undefined }) }), {
      minLength: 1,
      maxLength: 8,
    });
    fc.assert(
      fc.property(lots, fracArb, fc.nat({ max: 400 }), (ls, f, t) => {
        const ledger = ls.map((l, i) => entry(`e${i}`, l.amount, dayOf(0), l.expiresIn === undefined ? undefined : dayOf(l.expiresIn), i));
        const spend = Math.floor(sum(ls.map((l) => l.amount)) * f);
        ledger.push(entry('spend', -spend, dayOf(10)));

        const model = ls
          .map((l) => ({ ...l }))
          .sort((a, b) => (a.expiresIn ?? Infinity) - (b.expiresIn ?? Infinity));
        let need = spend;
        for (const l of model) {
          const take = Math.min(need, l.amount);
          l.amount -= take;
          need -= take;
        }
        const todayN = 10 + t;
        const live = model.filter((l) => l.expiresIn === undefined || l.expiresIn >= todayN);
        const expired = sum(model.filter((l) => l.expiresIn !== undefined && l.expiresIn < todayN).map((l) => l.amount));

        const b = ledgerBalance(ledger, dayOf(todayN));
        expect(b.balance).toBe(sum(live.map((l) => l.amount)));
        expect(b.expired).toBe(expired);
      }),
      { numRuns: 300 },
    );
  });
});

describe('ledgerBalance examples', () => {
  it('the doc example', () => {
    expect(ledgerBalance([{ id: 'a', delta: 200, atMs: Date.parse('2026-01-01T00:00:00Z'), day: '2026-01-01' }], '2026-06-01')).toEqual({ balance: 200, expired: 0 });
  });

  it('an empty ledger is zero', () => {
    expect(ledgerBalance([], '2026-01-01')).toEqual({ balance: 0, expired: 0 });
  });

  it('spends the earliest-expiring lot first, undated lots last', () => {
    const ledger = [
      entry('a', 100, '2026-01-01', '2026-12-31'),
      entry('b', 100, '2026-01-02', '2026-06-30'),
      entry('c', 100, '2026-01-03'),
      entry('d', -150, '2026-02-01'),
    ];
    // b (June) is spent entirely, then 50 of a (December); c never expires.
    expect(ledgerBalance(ledger, '2026-03-01')).toEqual({ balance: 150, expired: 0, nextExpiry: { on: '2026-12-31', points: 50 } });
    expect(ledgerBalance(ledger, '2027-01-01')).toEqual({ balance: 100, expired: 50 });
  });

  it('points are spendable on their expiresOn day and gone the day after', () => {
    const earn = entry('earn', 100, '2026-01-01', '2026-06-30');
    expect(ledgerBalance([earn], '2026-06-30')).toEqual({ balance: 100, expired: 0, nextExpiry: { on: '2026-06-30', points: 100 } });
    expect(ledgerBalance([earn], '2026-07-01')).toEqual({ balance: 0, expired: 100 });
    // Spent on the last day: nothing expires.
    expect(ledgerBalance([earn, entry('spend', -100, '2026-06-30')], '2026-08-01')).toEqual({ balance: 0, expired: 0 });
    // Spent the day after: the points had already expired, so the spend is a debt.
    expect(ledgerBalance([earn, entry('spend', -100, '2026-07-01')], '2026-08-01')).toEqual({ balance: -100, expired: 100 });
  });

  it('a claw-back beyond the balance leaves a debt that later earnings pay first', () => {
    const ledger = [entry('earn', 100, '2026-01-01'), entry('claw', -300, '2026-01-05')];
    expect(ledgerBalance(ledger, '2026-01-10')).toEqual({ balance: -200, expired: 0 });

    // 500 earned with an expiry: 200 of it pays the debt, only 300 is a lot that can expire.
    const later = [...ledger, entry('earn2', 500, '2026-02-01', '2026-03-31')];
    expect(ledgerBalance(later, '2026-03-01')).toEqual({ balance: 300, expired: 0, nextExpiry: { on: '2026-03-31', points: 300 } });
    expect(ledgerBalance(later, '2026-04-01')).toEqual({ balance: 0, expired: 300 });

    // An earning smaller than the debt only reduces it.
    expect(ledgerBalance([...ledger, entry('earn3', 50, '2026-02-01', '2026-03-31')], '2026-04-01')).toEqual({ balance: -150, expired: 0 });
  });

  it('takes entries in (atMs, id) order, not arrival order', () => {
    // The earning comes after the spend in time: the spend is a debt, paid by the earning, so
    // nothing of the dated lot is left to expire.
    const ledger = [entry('later-earn', 100, '2026-02-01', '2026-03-01'), entry('early-spend', -100, '2026-01-01')];
    expect(ledgerBalance(ledger, '2026-04-01')).toEqual({ balance: 0, expired: 0 });
    // Same instant: the id decides.
    const atMs = Date.parse('2026-01-01T00:00:00.000Z');
    const a = [
      { id: 'b', delta: -100, atMs, day: '2026-01-01' },
      { id: 'a', delta: 100, atMs, day: '2026-01-01', expiresOn: '2026-01-31' },
    ];
    expect(ledgerBalance(a, '2026-02-01')).toEqual({ balance: 0, expired: 0 });
    expect(ledgerBalance([...a].reverse(), '2026-02-01')).toEqual({ balance: 0, expired: 0 });
  });

  it('nextExpiry adds up the lots that expire on the same day', () => {
    const ledger = [entry('a', 30, '2026-01-01', '2026-05-01'), entry('b', 40, '2026-01-02', '2026-05-01'), entry('c', 50, '2026-01-03', '2026-06-01')];
    expect(ledgerBalance(ledger, '2026-02-01').nextExpiry).toEqual({ on: '2026-05-01', points: 70 });
    expect(ledgerBalance(ledger, '2026-05-02').nextExpiry).toEqual({ on: '2026-06-01', points: 50 });
  });
});

describe('expiryFor', () => {
  it('relative: months later, clamped', () => {
    expect(expiryFor({ kind: 'relative', months: 24 }, '2026-01-15')).toBe('2028-01-15');
    expect(expiryFor({ kind: 'relative', months: 1 }, '2026-01-31')).toBe('2026-02-28');
    expect(expiryFor({ kind: 'relative', months: 12 }, '2028-02-29')).toBe('2029-02-28');
    expect(expiryFor(DEFAULT_RULES.expiry, '2026-03-10')).toBe('2028-03-10');
  });

  it('end_of_next_year and never', () => {
    expect(expiryFor({ kind: 'end_of_next_year' }, '2026-01-01')).toBe('2027-12-31');
    expect(expiryFor({ kind: 'end_of_next_year' }, '2026-12-31')).toBe('2027-12-31');
    expect(expiryFor({ kind: 'never' }, '2026-12-31')).toBeUndefined();
  });
});

describe('earnedPoints', () => {
  it('1 point per RMB paid × the tier multiplier, rounded down', () => {
    expect(earnedPoints(DEFAULT_RULES, tier('L3'), 12_345)).toBe(185);
    expect(earnedPoints(DEFAULT_RULES, tier('L1'), 12_345)).toBe(123);
    expect(earnedPoints(DEFAULT_RULES, tier('L2'), 12_345)).toBe(123);
    expect(earnedPoints(DEFAULT_RULES, tier('L4'), 12_345)).toBe(246);
    expect(earnedPoints(DEFAULT_RULES, tier('L1'), 99)).toBe(0);
    expect(earnedPoints(DEFAULT_RULES, tier('L1'), 100)).toBe(1);
    expect(earnedPoints(DEFAULT_RULES, tier('L3'), 66)).toBe(0);
    expect(earnedPoints(DEFAULT_RULES, tier('L3'), 67)).toBe(1);
    expect(earnedPoints(DEFAULT_RULES, tier('L1'), 0)).toBe(0);
  });

  it('honours pointsPerYuan', () => {
    const rules: LoyaltyRules = { ...DEFAULT_RULES, earn: { pointsPerYuan: 3 } };
    expect(earnedPoints(rules, tier('L3'), 12_345)).toBe(555); // 123.45 × 3 × 1.5 = 555.5
    expect(earnedPoints({ ...DEFAULT_RULES, earn: { pointsPerYuan: 0 } }, tier('L4'), 1_000_000)).toBe(0);
  });

  it('is an integer: floor of the exact product', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 1_000_000_000 }),
        fc.constantFrom(...DEFAULT_RULES.tiers),
        fc.integer({ min: 0, max: 10 }),
        (cents, t, ppy) => {
          const rules: LoyaltyRules = { ...DEFAULT_RULES, earn: { pointsPerYuan: ppy } };
          const p = earnedPoints(rules, t, cents);
          expect(Number.isInteger(p)).toBe(true);
          expect(p).toBe(Number((BigInt(cents) * BigInt(ppy) * BigInt(t.multiplierPct)) / 10000n));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('pointsToCents and maxRedeemablePoints', () => {
  it('100 points per RMB: a point is a cent', () => {
    expect(pointsToCents(DEFAULT_RULES, 1)).toBe(1);
    expect(pointsToCents(DEFAULT_RULES, 500)).toBe(500);
    expect(maxRedeemablePoints(DEFAULT_RULES, 10_000)).toBe(5000);
    expect(maxRedeemablePoints(DEFAULT_RULES, 101)).toBe(50);
    expect(maxRedeemablePoints(DEFAULT_RULES, 0)).toBe(0);
  });

  it('150 points per RMB: only multiples of 3 make whole cents', () => {
    const rules: LoyaltyRules = { ...DEFAULT_RULES, cash: { pointsPerYuan: 150, maxShareBps: 5000 } };
    expect(pointsToCents(rules, 1)).toBeUndefined();
    expect(pointsToCents(rules, 2)).toBeUndefined();
    expect(pointsToCents(rules, 3)).toBe(2);
    expect(pointsToCents(rules, 150)).toBe(100);
    expect(maxRedeemablePoints(rules, 10_000)).toBe(7500);
  });

  it('when points make whole cents, cents × pointsPerYuan = points × 100', () => {
    fc.assert(
      fc.property(fc.nat({ max: 10_000_000 }), fc.integer({ min: 1, max: 1000 }), (points, ppy) => {
        const rules: LoyaltyRules = { ...DEFAULT_RULES, cash: { pointsPerYuan: ppy, maxShareBps: 5000 } };
        const cents = pointsToCents(rules, points);
        if (cents === undefined) expect((points * 100) % ppy).not.toBe(0);
        else {
          expect(Number.isInteger(cents)).toBe(true);
          expect(cents * ppy).toBe(points * 100);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the cap in points never pays more than the allowed share', () => {
    fc.assert(
      fc.property(fc.nat({ max: 100_000_000 }), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 0, max: 10000 }), (amount, ppy, bps) => {
        const rules: LoyaltyRules = { ...DEFAULT_RULES, cash: { pointsPerYuan: ppy, maxShareBps: bps } };
        const max = maxRedeemablePoints(rules, amount);
        expect(Number.isInteger(max)).toBe(true);
        expect(max).toBeGreaterThanOrEqual(0);
        // max points make whole cents worth at most the cap; the next whole-cent amount would exceed it.
        const step = ppy / gcd(ppy, 100);
        expect(max % step).toBe(0);
        expect(pointsToCents(rules, max)).toBeDefined();
        expect(max * 100).toBeLessThanOrEqual(Math.floor((amount * bps) / 10000) * ppy);
        expect((max + step) * 100).toBeGreaterThan(Math.floor((amount * bps) / 10000) * ppy);
      }),
      { numRuns: 300 },
    );
  });
});

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
