import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { orderForOverspend } from '../../shared/loyalty/ledger-order.ts';

const entry = (id: string, ref: string, delta: number, at: string, storeId = 'S001') => ({ _id: id, ref, delta, at, storeId });
const lowest = (es: { delta: number }[], start: number) => {
  let b = start;
  let min = start;
  for (const e of es) min = Math.min(min, (b += e.delta));
  return min;
};

describe('the order the hub replays points in to find an overspend', () => {
  it("a refund's claw-back and returned points are one act: no dip below zero between them", () => {
    // Balance 100; a refund claws back 180 earned and returns 495 spent, a millisecond apart.
    const refund = [entry('pts:M:clawback:R', 'refund:R', -180, '2026-11-29T10:00:00.000Z'), entry('pts:M:return:R', 'refund:R', 495, '2026-11-29T10:00:00.001Z')];
    expect(lowest(orderForOverspend(refund, () => 0), 100)).toBe(100);
    // Taken one by one, by time or by id, the claw-back came first and dipped to -80.
    expect(lowest(refund, 100)).toBe(-80);
  });

  it('a store ten minutes ahead has its entries set back by its offset', () => {
    const earnAhead = entry('pts:M:earn:A', 'order:A', 300, '2026-11-29T10:10:00.000Z', 'S005');
    const spendHere = entry('pts:M:redeem:B', 'order:B', -300, '2026-11-29T10:01:00.000Z', 'S001');
    expect(orderForOverspend([spendHere, earnAhead], (s) => (s === 'S005' ? 600_000 : 0)).map((e) => e._id)).toEqual(['pts:M:earn:A', 'pts:M:redeem:B']);
    expect(orderForOverspend([spendHere, earnAhead], () => 0).map((e) => e._id)).toEqual(['pts:M:redeem:B', 'pts:M:earn:A']);
  });

  it('keeps every entry, each act together and credits first within it, whatever the input order', () => {
    const arb = fc.array(fc.record({ act: fc.integer({ min: 0, max: 5 }), delta: fc.integer({ min: -500, max: 500 }), ms: fc.integer({ min: 0, max: 5 }) }), { maxLength: 30 });
    fc.assert(
      fc.property(arb, (rows) => {
        const es = rows.map((r, i) => entry(`pts:M:${i}`, `ref:${r.act}`, r.delta, new Date(Date.UTC(2026, 10, 29, 10, 0, 0, r.act * 10 + r.ms)).toISOString()));
        const out = orderForOverspend(es, () => 0);
        expect(out.map((e) => e._id).sort()).toEqual(es.map((e) => e._id).sort());
        const seen = new Set<string>();
        out.forEach((e, i) => {
          if (i > 0 && out[i - 1]!.ref !== e.ref) {
            expect(seen.has(e.ref)).toBe(false);
            seen.add(out[i - 1]!.ref);
          }
          if (i > 0 && out[i - 1]!.ref === e.ref) expect(out[i - 1]!.delta).toBeGreaterThanOrEqual(e.delta);
        });
        // Stable under shuffling: the same entries give the same order.
        expect(orderForOverspend([...es].reverse(), () => 0)).toEqual(out);
      }),
    );
  });
});
