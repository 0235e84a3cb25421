import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type { SourceRecord } from '../../shared/one-id/record.ts';
import { Resolver } from '../../shared/one-id/resolver.ts';
import { completeness } from '../../shared/one-id/completeness.ts';
import { day, phone, rec } from './one-id-fixtures.ts';

const SOURCES = ['store', 'crm', 'wx', 'tmall'];
const make = () => new Resolver({ sourcePriority: SOURCES, keyLimits: { phone: 4, card: 3, tmall: 3 } });

// Few distinct keys, so records collide a lot; limits are small, so some keys cross them.
const recordArb = () =>
  fc.record({
    source: fc.constantFrom(...SOURCES),
    phone: fc.option(fc.oneof(fc.integer({ min: 0, max: 7 }).map(phone), fc.constant('+8613800000000')), { nil: undefined }),
    card: fc.option(fc.integer({ min: 0, max: 5 }).map((i) => `CARD${i}X`), { nil: undefined }),
    nick: fc.option(fc.constantFrom('lily', 'bob', 'x**y'), { nil: undefined }),
    member: fc.option(fc.constantFrom('M1', 'M2', 'M3'), { freq: 6, nil: undefined }),
    provisional: fc.boolean(),
    reg: fc.integer({ min: 0, max: 5 }),
  });

const recordsArb = fc.array(recordArb(), { minLength: 1, maxLength: 30 }).map((rs) =>
  rs.map(
    (x, i): SourceRecord =>
      rec(`${x.source}:${i}`, { ...(x.phone ? { phone: x.phone } : {}), ...(x.card ? { cardNo: x.card } : {}), ...(x.nick ? { buyerNick: x.nick } : {}) }, {
        observedAt: day(i),
        profile: { registeredAt: day(x.reg) },
        ...(x.member ? { memberId: x.member, provisional: x.provisional } : {}),
      }),
  ),
);

const sorted = (p: Map<string, string[]>) => [...p.entries()].sort(([a], [b]) => (a < b ? -1 : 1));

function checkSpanningTrees(r: Resolver) {
  for (const [id, recs] of r.partition()) {
    const m = r.member(id)!;
    expect(m.records.map((x) => x.id)).toEqual(recs);
    expect(m.links).toHaveLength(recs.length - 1);
    // The links connect every record: a tree over them.
    const parent = new Map(recs.map((x) => [x, x]));
    const find = (x: string): string => (parent.get(x) === x ? x : find(parent.get(x)!));
    for (const l of m.links) {
      expect(m.keys).toContain(l.key);
      expect(m.quarantinedKeys).not.toContain(l.key);
      parent.set(find(l.a), find(l.b));
    }
    expect(new Set(recs.map(find)).size).toBe(1);
  }
}

/** An operator's split of the largest member: its first record apart from the rest but its store member's. */
function splitLargest(r: Resolver) {
  const big = sorted(r.partition()).sort(([, a], [, b]) => b.length - a.length)[0]!;
  const m = r.member(big[0])!;
  const first = m.records[0]!;
  const rest = m.records.slice(1).filter((x) => !x.memberId || x.memberId !== first.memberId).map((x) => x.id);
  if (rest.length) r.split(big[0], [[first.id], rest], 'op', day(40));
}

/** Record `to`'s id comes again with record `from`'s keys and profile, later (a later export). */
function comeAgain(r: Resolver, records: SourceRecord[], again: [number, number][]) {
  for (const [i, [from, to]] of again.entries()) {
    const target = records[to % records.length]!;
    r.add({ ...records[from % records.length]!, id: target.id, source: target.source, observedAt: day(50 + i) });
  }
}

describe('Resolver properties', () => {
  it('resolveAll gives the same members whatever the insertion order', () => {
    fc.assert(
      fc.property(recordsArb, fc.integer(), (records, seed) => {
        const shuffled = fc.sample(fc.shuffledSubarray(records, { minLength: records.length, maxLength: records.length }), { numRuns: 1, seed })[0]!;
        const a = make();
        const b = make();
        for (const x of records) a.add(x);
        for (const x of shuffled) b.add(x);
        a.resolveAll();
        b.resolveAll();
        expect(sorted(b.partition())).toEqual(sorted(a.partition()));
      }),
      { numRuns: 150 },
    );
  });

  it("a member's store member ids, read without survivorship, are those of its records", () => {
    fc.assert(
      fc.property(recordsArb, (records) => {
        const r = make();
        for (const x of records) r.add(x);
        for (const [id] of r.partition()) {
          const expected = r.member(id)!.records.flatMap((x) => (x.memberId ? [x.memberId] : []));
          expect(r.storeMemberIdsOf(id).sort()).toEqual(expected.sort());
        }
        expect(r.storeMemberIdsOf('no-such-member')).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  it('adding records one by one ends where resolveAll does, limits crossed or not', () => {
    fc.assert(
      fc.property(recordsArb, (records) => {
        const r = make();
        for (const x of records) r.add(x);
        const incremental = sorted(r.partition());
        const changes = r.resolveAll();
        expect(changes.merged).toEqual([]);
        expect(changes.split).toEqual([]);
        expect(sorted(r.partition())).toEqual(incremental);
        checkSpanningTrees(r);
      }),
      { numRuns: 200 },
    );
  });

  it('resolveAll a few records a slice ends where it does at once, splits included', () => {
    fc.assert(
      fc.property(recordsArb, fc.integer({ min: 1, max: 5 }), (records, slice) => {
        const [whole, sliced] = [make(), make()];
        for (const r of [whole, sliced]) {
          records.forEach((x) => r.add(x));
          splitLargest(r);
        }
        const atOnce = whole.resolveAll();
        const steps = sliced.resolvingAll(slice);
        let yields = 0;
        let step = steps.next();
        for (; !step.done; step = steps.next()) yields++;
        expect(step.value).toEqual(atOnce);
        expect(yields).toBeGreaterThanOrEqual(Math.floor(records.length / slice));
        expect(sorted(sliced.partition())).toEqual(sorted(whole.partition()));
        checkSpanningTrees(sliced);
      }),
      { numRuns: 200 },
    );
  });

  it('a walk over record numbers (namingRecordAt) names every golden member once, after merges, splits and records coming again', () => {
    fc.assert(
      fc.property(recordsArb, fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 10 }), (records, again) => {
        const r = make();
        for (const x of records) r.add(x);
        splitLargest(r);
        comeAgain(r, records, again);
        const named: string[] = [];
        for (let i = 0; i < r.recordCount; i++) if (r.namingRecordAt(i) >= 0) named.push(r.memberIdAt(r.namingRecordAt(i)));
        expect(named.length).toBe(r.memberCount);
        expect(named.sort()).toEqual([...r.partition().keys()].sort());
      }),
      { numRuns: 200 },
    );
  });

  it("One-ID's figures count every golden member once, as its golden view has it, at once or a slice at a time", () => {
    // Some profile fields beside registeredAt, so that members differ in fields filled.
    const profiled = recordsArb.map((rs) => rs.map((x, i) => ({ ...x, profile: { ...x.profile, ...(i % 3 === 0 ? { name: `N${i % 4}` } : {}), ...(i % 2 ? { gender: 'F' as const } : {}), ...(i % 5 === 0 ? { homeStoreId: 'S1' } : {}) } })));
    fc.assert(
      fc.property(profiled, fc.integer({ min: 1, max: 7 }), (records, slice) => {
        const r = make();
        for (const x of records) r.add(x);
        splitLargest(r);
        const byChannels = [0, 0, 0, 0];
        const byFieldsFilled = new Array<number>(9).fill(0);
        for (const id of r.memberIds()) {
          const m = r.member(id)!;
          byChannels[Math.min(m.sources.length, 4) - 1]!++;
          byFieldsFilled[Math.round(completeness(m.profile) * 8)]!++;
        }
        const { metrics, spread } = r.figures();
        expect(spread).toEqual({ byChannels, byFieldsFilled });
        expect(metrics.members).toBe(r.memberCount);
        expect(metrics.quarantinedKeys).toBe(r.quarantined().length);
        const steps = r.countingFigures(slice);
        let yields = 0;
        let step = steps.next();
        for (; !step.done; step = steps.next()) yields++;
        expect(step.value).toEqual({ metrics, spread });
        // A yield every `slice` records (and keys): the hub's event loop turns between them.
        expect(yields).toBeGreaterThanOrEqual(Math.floor(r.recordCount / slice));
      }),
      { numRuns: 200 },
    );
  });

  it('adding records ends where resolveAll does when records come again under their ids with other keys (a later export)', () => {
    fc.assert(
      fc.property(recordsArb, fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 15 }), (records, again) => {
        const r = make();
        for (const x of records) r.add(x);
        comeAgain(r, records, again);
        const incremental = sorted(r.partition());
        const changes = r.resolveAll();
        expect(changes.merged).toEqual([]);
        expect(changes.split).toEqual([]);
        expect(sorted(r.partition())).toEqual(incremental);
        checkSpanningTrees(r);
      }),
      { numRuns: 200 },
    );
  });

  it('the same holds with operator splits between the adds', () => {
    fc.assert(
      fc.property(recordsArb, fc.integer({ min: 1, max: 29 }), fc.integer({ min: 0, max: 1000 }), (records, cut, pick) => {
        const r = make();
        records.slice(0, cut).forEach((x) => r.add(x));
        // Split the largest member with more than one store member at most once: first record vs the rest.
        const big = sorted(r.partition()).filter(([, recs]) => recs.length > 1);
        if (big.length) {
          const [id] = big[pick % big.length]!;
          const m = r.member(id)!;
          const first = m.records[0]!;
          const rest = m.records.slice(1).filter((x) => !x.memberId || x.memberId !== first.memberId).map((x) => x.id);
          if (rest.length) r.split(id, [[first.id], rest], 'op', day(40));
        }
        records.slice(cut).forEach((x) => r.add(x));
        const incremental = sorted(r.partition());
        r.resolveAll();
        expect(sorted(r.partition())).toEqual(incremental);
        checkSpanningTrees(r);
      }),
      { numRuns: 200 },
    );
  });
});
