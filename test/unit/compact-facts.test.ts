import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dayNumber, dayString, decodeLedger, decodeSpend, hasTuple, idHash, ledgerTuple, LEDGER_STRIDE, packedRollingSpend, plainLedgerBalance, spendTuple, SPEND_STRIDE, upsertTuple } from '../../shared/compact-facts.ts';
import { ledgerBalance } from '../../shared/loyalty/points.ts';
import { rollingSpend, windowStart } from '../../shared/loyalty/tiers.ts';
import { DEFAULT_RULES } from '../../shared/schemas/rules.ts';

const dayArb = fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2090-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));

describe('compact facts', () => {
  it('days round-trip through their numbers and keep their order', () => {
    fc.assert(
      fc.property(dayArb, dayArb, (a, b) => {
        expect(dayString(dayNumber(a))).toBe(a);
        expect(Math.sign(dayNumber(a) - dayNumber(b))).toBe(a < b ? -1 : a > b ? 1 : 0);
      }),
    );
  });

  it('a ledger entry decodes to what was encoded', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: -1e6, max: 1e6 }), fc.date({ min: new Date('2000-01-01'), max: new Date('2090-01-01'), noInvalidDate: true }), dayArb, fc.option(dayArb, { nil: undefined }), (id, delta, at, day, expiresOn) => {
        const [fact] = decodeLedger(ledgerTuple(id, delta, at.toISOString(), day, expiresOn));
        expect(fact).toEqual({ id: String(idHash(id)), delta, atMs: at.getTime(), day, ...(expiresOn ? { expiresOn } : {}) });
      }),
    );
  });

  it('upsert replaces the tuple with the same id and appends a new one', () => {
    let list = upsertTuple(undefined, SPEND_STRIDE, spendTuple('order:a', '2026-01-01', 100));
    list = upsertTuple(list, SPEND_STRIDE, spendTuple('order:b', '2026-01-02', 200));
    list = upsertTuple(list, SPEND_STRIDE, spendTuple('order:a', '2026-01-01', 150));
    expect(decodeSpend(list).map((s) => s.cents)).toEqual([150, 200]);
    expect(hasTuple(list, SPEND_STRIDE, idHash('order:b'))).toBe(true);
    expect(hasTuple(list, LEDGER_STRIDE, idHash('order:c'))).toBe(false);
  });

  it('upsert never changes the list it is given (preview folds onto a live record)', () => {
    const base = upsertTuple(upsertTuple(undefined, SPEND_STRIDE, spendTuple('order:a', '2026-01-01', 100)), SPEND_STRIDE, spendTuple('order:b', '2026-01-02', 200));
    const before = [...base];
    const replaced = upsertTuple(base, SPEND_STRIDE, spendTuple('order:a', '2026-01-01', 150));
    const appended = upsertTuple(base, SPEND_STRIDE, spendTuple('order:c', '2026-01-03', 300));
    expect(base).toEqual(before);
    expect(decodeSpend(replaced).map((s) => s.cents)).toEqual([150, 200]);
    expect(decodeSpend(appended).map((s) => s.cents)).toEqual([100, 200, 300]);
    expect(upsertTuple(base, SPEND_STRIDE, spendTuple('order:b', '2026-01-02', 200))).toBe(base);
  });

  it('hashes ids to distinct, stable, exact integers', () => {
    const ids = Array.from({ length: 100_000 }, (_, i) => `pts:M${i % 997}:earn:S001:T${i % 7}:R${i}`);
    const hashes = new Set(ids.map(idHash));
    expect(hashes.size).toBe(ids.length);
    for (const h of hashes) expect(Number.isSafeInteger(h)).toBe(true);
    expect(idHash('pts:M1:join')).toBe(idHash('pts:M1:join'));
  });
});

describe('reading balance and spend straight from packed facts', () => {
  const DAY = 86_400_000;
  const day = (n: number) => new Date(n * DAY).toISOString().slice(0, 10);
  const entry = fc.record({ delta: fc.integer({ min: -300, max: 500 }), day: fc.integer({ min: 19_000, max: 19_800 }), expires: fc.option(fc.integer({ min: 19_000, max: 20_500 }), { nil: undefined }) });

  it('plainLedgerBalance is ledgerBalance whenever it answers; it answers for earnings up to today, and for spends while no earning has lapsed', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 12 }), fc.integer({ min: 19_000, max: 20_600 }), (entries, today) => {
        let list: number[] | undefined;
        entries.forEach((e, i) => (list = upsertTuple(list, LEDGER_STRIDE, ledgerTuple(`pts:M:${i}`, e.delta, new Date(e.day * DAY + i).toISOString(), day(e.day), e.expires === undefined ? undefined : day(e.expires)))));
        const fast = plainLedgerBalance(list, today);
        const full = ledgerBalance(decodeLedger(list), day(today)).balance;
        if (fast !== undefined) expect(fast).toBe(full);
        if (entries.every((e) => e.delta >= 0 && e.day <= today)) expect(fast).toBe(full);
        if (entries.every((e) => e.day <= today && (e.delta < 0 || e.expires === undefined || e.expires >= today))) expect(fast).toBe(full);
      }),
    );
  });

  it('packedRollingSpend is rollingSpend', () => {
    const spend = fc.record({ day: fc.integer({ min: 19_000, max: 20_000 }), cents: fc.integer({ min: -50_000, max: 200_000 }) });
    fc.assert(
      fc.property(fc.array(spend, { maxLength: 15 }), fc.integer({ min: 19_000, max: 20_100 }), (facts, today) => {
        let list: number[] | undefined;
        facts.forEach((f, i) => (list = upsertTuple(list, SPEND_STRIDE, spendTuple(`order:S:T:${i}`, day(f.day), f.cents))));
        const from = windowStart(day(today), DEFAULT_RULES.tierWindowMonths);
        expect(packedRollingSpend(list, dayNumber(from), today)).toBe(rollingSpend(DEFAULT_RULES, decodeSpend(list), day(today)));
      }),
    );
  });
});
