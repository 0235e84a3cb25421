import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dayNumber, dayString, decodeLedger, decodeSpend, hasTuple, idHash, ledgerTuple, LEDGER_STRIDE, spendTuple, SPEND_STRIDE, upsertTuple } from '../../shared/compact-facts.ts';

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

  it('hashes ids to distinct, stable, exact integers', () => {
    const ids = Array.from({ length: 100_000 }, (_, i) => `pts:M${i % 997}:earn:S001:T${i % 7}:R${i}`);
    const hashes = new Set(ids.map(idHash));
    expect(hashes.size).toBe(ids.length);
    for (const h of hashes) expect(Number.isSafeInteger(h)).toBe(true);
    expect(idHash('pts:M1:join')).toBe(idHash('pts:M1:join'));
  });
});
