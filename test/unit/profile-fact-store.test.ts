import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FactStore } from '../../shared/profile/fact-store.ts';
import { addFact, type SourceFact, type SourceFacts } from '../../shared/profile/source-facts.ts';

/*
 * Decision 026: the packed fact store holds exactly what the object lists held. Any facts, added
 * any number of times in any order, read back as the lists addFact keeps (same facts, each once,
 * a coupon's issue and redemption met in one entry), including facts a record cannot pack (numbers
 * past 32 bits, times that are not whole milliseconds, ids past Latin-1) and ids that differ only
 * past a hash.
 */

const SOURCES = ['pos:A', 'pos:B', 'tmall:x'];
const source = fc.constantFrom(...SOURCES);
/** Mostly small integers; sometimes what a 32-bit word cannot hold. */
const num = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: -5000, max: 5000 }) }, { weight: 1, arbitrary: fc.constantFrom(2 ** 31, -(2 ** 31), 2 ** 40 + 3, -(2 ** 33) - 1) });
const id = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('o1', 'o2', 'order:S1:T1:000123', 'o1 ', '') }, { weight: 1, arbitrary: fc.string({ maxLength: 12, unit: 'binary' }) });
const text = fc.constantFrom('', 'coffee/beans', 'S1', 'tmall', '咖啡', 'é');
const atMs = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: -1e13, max: 1e13 }) }, { weight: 1, arbitrary: fc.constantFrom(Number.NaN, 0.5, 2 ** 60) });
const line = fc.record({ sku: text, category: text, brand: text, qty: num, cents: num, promo: fc.boolean() });

const fact: fc.Arbitrary<SourceFact> = fc.oneof(
  fc.record({ source, id, day: num, channel: fc.integer({ min: 0, max: 2 }), market: text, store: text, listCents: num, discountCents: num, paidCents: num, items: num, lines: fc.array(line, { maxLength: 4 }), refundedInFull: fc.boolean() }).map(({ source, ...fact }): SourceFact => ({ source, kind: 'order', fact })),
  fc.record({ source, id, orderId: id, day: num, orderDay: num, cents: num, lines: fc.array(fc.record({ index: num, qty: num, cents: num }), { maxLength: 3 }) }).map(({ source, ...fact }): SourceFact => ({ source, kind: 'refund', fact })),
  fc.record({ source, id, delta: num, reason: text, atMs, day: text, expiresOn: fc.option(text, { nil: undefined }) }).map(({ source, expiresOn, ...fact }): SourceFact => ({ source, kind: 'points', fact: { ...fact, ...(expiresOn !== undefined ? { expiresOn } : {}) } })),
  fc.record({ source, code: id, day: num, redeem: fc.boolean(), orderId: id }).map(({ source, code, day, redeem, orderId }): SourceFact => ({ source, kind: 'coupon', fact: redeem ? { code, redeemed: day, orderId } : { code, issued: day } })),
  fc.record({ source, id, kind: text, day: num, store: text }).map(({ source, ...fact }): SourceFact => ({ source, kind: 'event', fact })),
  fc.record({ source, id, channel: text, granted: fc.boolean(), atMs }).map(({ source, ...fact }): SourceFact => ({ source, kind: 'consent', fact })),
);

const KEYS = ['orders', 'refunds', 'points', 'coupons', 'events', 'consents'] as const;
const keyOf = (x: { id?: string; code?: string }) => x.id ?? x.code!;
/** Lists compared as sets of facts: each list sorted by id (ids are unique within a list). */
const normal = (l: SourceFacts | undefined) => {
  const out: Record<string, unknown[]> = {};
  for (const k of KEYS) if (l?.[k]?.length) out[k] = [...(l[k] as { id?: string; code?: string }[])].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  return out;
};

describe('profiles: the packed fact store', () => {
  it('reads back what addFact keeps, for any facts added any number of times', () => {
    fc.assert(
      fc.property(fc.array(fact, { maxLength: 40 }), fc.array(fc.nat(), { maxLength: 40 }), (facts, replays) => {
        const store = new FactStore();
        const ref = new Map<string, SourceFacts>();
        const feed = [...facts, ...replays.flatMap((i) => (facts.length ? [facts[i % facts.length]!] : []))];
        for (const f of feed) {
          let l = ref.get(f.source);
          if (!l) ref.set(f.source, (l = {}));
          expect(store.add(f)).toBe(addFact(l, structuredClone(f)));
        }
        for (const s of SOURCES) expect(normal(store.lists(s))).toEqual(normal(ref.get(s)));
        let count = 0;
        for (const l of ref.values()) for (const k of KEYS) count += l[k]?.length ?? 0;
        expect(store.count).toBe(count);
      }),
      { numRuns: 500 },
    );
  });

  it('tells apart ids whose hashes meet', () => {
    // FNV-1a 32-bit: 'costarring' and 'liquid' collide.
    const store = new FactStore();
    const ev = (id: string): SourceFact => ({ source: 'pos:A', kind: 'event', fact: { id, kind: 'checkin', day: 1, store: 'S1' } });
    expect(store.add(ev('costarring'))).toBe(true);
    expect(store.add(ev('liquid'))).toBe(true);
    expect(store.add(ev('liquid'))).toBe(false);
    expect(store.lists('pos:A')!.events!.map((e) => e.id).sort()).toEqual(['costarring', 'liquid']);
  });

  it('reads facts back in the order they were filed, and none for an unknown source', () => {
    const store = new FactStore();
    for (let i = 0; i < 5; i++) store.add({ source: 'pos:A', kind: 'event', fact: { id: `e${i}`, kind: 'checkin', day: i, store: 'S1' } });
    expect(store.lists('pos:A')!.events!.map((e) => e.id)).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
    expect(store.lists('pos:Z')).toBeUndefined();
  });
});
