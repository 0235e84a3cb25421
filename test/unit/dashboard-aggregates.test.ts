import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { channelOfSource, CounterDocs, factDocIds, foldFacts, foldMembers, foldOnline, memberDocIds, onlineDocIds, type BuyersDoc, type Change, type CountDoc, type DayDoc, type FactLike, type MemberLike, type OnlineDoc, type OnlineOrderLike } from '../../shared/dashboard/aggregates.ts';
import { dashboardFigures, recountFigures, type FigureScope } from '../../shared/dashboard/figures.ts';
import { MemberStates, type MemberChunk } from '../../shared/dashboard/member-states.ts';

const TODAY = '2026-11-30';
const DAYS = ['2026-08-01', '2026-09-02', '2026-11-01', '2026-11-20', '2026-11-29', '2026-11-30'];
const STORES = ['S001', 'S002', 'S003'];
const MEMBERS = ['M1', 'M2', 'M3', 'M4', 'M5'];
const HOME = new Map([['M1', 'S001'], ['M2', 'S002'], ['M3', 'S002'], ['M4', 'S003']]); // M5: unknown to the hub
const homeOf = (id: string) => HOME.get(id) ?? '';

const factArb: fc.Arbitrary<FactLike> = fc.oneof(
  fc.record({ type: fc.constant('order'), storeId: fc.constantFrom(...STORES), day: fc.constantFrom(...DAYS), memberId: fc.option(fc.constantFrom(...MEMBERS), { nil: undefined }), payableCents: fc.integer({ min: 0, max: 100_000 }) }),
  fc.record({ type: fc.constant('refund'), storeId: fc.constantFrom(...STORES), day: fc.constantFrom(...DAYS), refundCents: fc.integer({ min: 0, max: 50_000 }) }),
  fc.record({ type: fc.constant('pts'), storeId: fc.constantFrom(...STORES), day: fc.constantFrom(...DAYS), memberId: fc.constantFrom(...MEMBERS), reason: fc.constantFrom('join', 'earn', 'redeem', 'clawback', 'return', 'interaction', 'adjust'), delta: fc.integer({ min: -500, max: 500 }) }),
  fc.record({ type: fc.constant('redeem'), storeId: fc.constantFrom(...STORES), memberId: fc.constantFrom(...MEMBERS) }),
);
const memberArb: fc.Arbitrary<MemberLike & { homeStoreId: string }> = fc.record({ type: fc.constant('member'), homeStoreId: fc.constantFrom(...STORES), day: fc.constantFrom(...DAYS) });
const onlineArb: fc.Arbitrary<OnlineOrderLike[]> = fc.array(
  fc.record({ id: fc.constantFrom('tmall-orders:1', 'jd-orders:2', 'ecom-orders:3', 'miniapp:4'), status: fc.constantFrom('paid', 'completed', 'cancelled', 'refunded', 'unknown'), paidCents: fc.integer({ min: 0, max: 90_000 }), day: fc.constantFrom(...DAYS) }),
  { maxLength: 4 },
);

/**
 * A feed folded in batches as the hub does: load what a batch touches, fold, write the counters
 * then the members, move the checkpoint. `crashes` picks batches that die after writing only
 * some of their documents (the checkpoint unmoved), to be replayed — batched differently.
 */
function run<T>(stored: Map<string, unknown>, feed: Change<T>[], sizes: number[], crashes: boolean[], keep: number[], ids: (batch: Change<T>[], docs?: CounterDocs) => string[], fold: (docs: CounterDocs, batch: Change<T>[]) => void) {
  let cp = 0;
  let i = 0;
  while (cp < feed.length) {
    const size = sizes[i % sizes.length]!;
    const batch = feed.slice(cp, cp + size);
    const docs = new CounterDocs();
    for (const id of ids(batch)) docs.load(id, stored.get(id) as never);
    for (const id of ids(batch, docs)) if (!docs.has(id)) docs.load(id, stored.get(id) as never);
    fold(docs, batch);
    const { counters, members } = docs.written();
    // Never two crashes in a row: the replay after a crash must make progress.
    const crash = crashes[i % crashes.length]! && i % 2 === 0;
    const all = [...counters, ...members];
    // A crash writes a prefix of the (ordered) writes: counters before members.
    const n = crash ? Math.min(all.length, keep[i % keep.length]!) : all.length;
    for (const [id, doc] of all.slice(0, n)) stored.set(id, structuredClone(doc));
    i++;
    if (!crash) cp += batch.length;
    if (i > 10_000) throw new Error('no progress');
  }
}

/**
 * The facts feed as the hub folds it (hub/dashboard/counters.ts): counters stored each batch,
 * members kept in memory and stored in chunks at a snapshot every `every` batches, the
 * checkpoint moved after the snapshot. A kill loses the memory: it may strike while a batch's
 * counters are written or while a snapshot's chunks are (a prefix of either written), and the
 * hub then starts again from the stored checkpoint with the members of the stored chunks.
 */
function runFacts(stored: Map<string, unknown>, feed: Change<FactLike>[], sizes: number[], kills: number[], every: number) {
  const chunks = new Map<string, MemberChunk>();
  const revive = () => {
    const members = new MemberStates(3);
    for (const c of chunks.values()) members.load(structuredClone(c));
    return members;
  };
  let members = revive();
  let checkpoint = 0;
  let at = 0;
  let step = 0;
  let killed = 0;
  // Each write is a step; a kill after `kills[k]` more steps.
  const alive = () => {
    step++;
    if (killed < kills.length && step >= kills.slice(0, killed + 1).reduce((a, b) => a + b + 1, 0)) {
      killed++;
      return false;
    }
    return true;
  };
  let batches = 0;
  for (let guard = 0; ; guard++) {
    if (guard > 10_000) throw new Error('no progress');
    const crashed = (() => {
      if (at >= feed.length) {
        // Quiet feed: the last snapshot.
        for (const c of members.changedChunks()) {
          if (!alive()) return true;
          chunks.set(c._id, structuredClone(c));
          members.stored(c._id, 'r');
        }
        checkpoint = at;
        return false;
      }
      const batch = feed.slice(at, at + sizes[batches % sizes.length]!);
      batches++;
      const docs = new CounterDocs();
      const load = (id: string) => docs.load(id, id.startsWith('mbr:') ? members.get(id.slice(4)) : (stored.get(id) as never));
      for (const id of factDocIds(batch)) load(id);
      for (const id of factDocIds(batch, docs)) if (!docs.has(id)) load(id);
      foldFacts(docs, batch, homeOf);
      const written = docs.written();
      for (const [id, doc] of written.counters) {
        if (!alive()) return true;
        stored.set(id, structuredClone(doc));
      }
      for (const [id, doc] of written.members) members.put(id.slice(4), structuredClone(doc) as never);
      at += batch.length;
      if (batches % every === 0) {
        for (const c of members.changedChunks()) {
          if (!alive()) return true;
          chunks.set(c._id, structuredClone(c));
          members.stored(c._id, 'r');
        }
        checkpoint = at;
      }
      return false;
    })();
    if (crashed) {
      members = revive();
      at = checkpoint;
    } else if (at >= feed.length && checkpoint === at) return;
  }
}

function figuresOf(stored: Map<string, unknown>, scope: FigureScope, days = 200) {
  const of = <D>(prefix: string) => [...stored].filter(([id]) => id.startsWith(prefix)).map(([id, d]) => [id.slice(prefix.length), d as D] as [string, D]);
  return dashboardFigures({ days: of<DayDoc>('day:'), online: of<OnlineDoc>('online:'), reg: of<CountDoc>('reg:'), act: of<CountDoc>('act:'), buyers: stored.get('buyers') as BuyersDoc | undefined }, TODAY, days, scope);
}

const SCOPES: FigureScope[] = [
  { sees: () => true, online: true },
  { sees: (s) => s === 'S002', online: false },
  { sees: (s) => s === 'S001' || s === 'S003', online: false },
];

describe('dashboard counters', () => {
  it('equal a full recount, whatever the batches, crashes and replays', () => {
    fc.assert(
      fc.property(
        fc.array(factArb, { maxLength: 60 }),
        fc.array(memberArb, { maxLength: 20 }),
        fc.array(onlineArb, { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(12), { minLength: 1, maxLength: 5 }),
        (facts, members, chunks, sizes, crashes, keep) => {
          const stored = new Map<string, unknown>();
          const seqd = <T>(xs: T[]) => xs.map((doc, i) => ({ seq: i + 1, doc }));
          run(stored, seqd(facts), sizes, crashes, keep, factDocIds, (d, b) => foldFacts(d, b, homeOf));
          run(stored, seqd(members), sizes, crashes, keep, memberDocIds, foldMembers);
          run(stored, seqd(chunks), sizes, crashes, keep, onlineDocIds, foldOnline);
          for (const scope of SCOPES) expect(figuresOf(stored, scope)).toEqual(recountFigures(facts, members, chunks.flat(), homeOf, TODAY, 200, scope));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('with the members in memory and stored in chunks now and then, equal a full recount through kills', () => {
    fc.assert(
      fc.property(
        fc.array(factArb, { maxLength: 60 }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 5 }),
        // Kills close together, so that some strike while a snapshot's chunks are written.
        fc.array(fc.nat(6), { maxLength: 10 }),
        fc.integer({ min: 1, max: 4 }),
        (facts, sizes, kills, every) => {
          const stored = new Map<string, unknown>();
          runFacts(stored, facts.map((doc, i) => ({ seq: i + 1, doc })), sizes, kills, every);
          for (const scope of SCOPES) expect(figuresOf(stored, scope)).toEqual(recountFigures(facts, [], [], homeOf, TODAY, 200, scope));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('members hash to the same chunk everywhere, and a chunk gives back what was put', () => {
    const members = new MemberStates();
    members.put('MSEED00000001', { home: 'S001', receipts: 2, lastDay: '2026-11-29', seq: 7 });
    members.put('__proto__', { home: 'S002', receipts: 1, lastDay: '2026-11-30', seq: 9 });
    const chunks = members.changedChunks();
    expect(chunks.every((c) => /^mbrs:[0-9a-f]{4}$/.test(c._id))).toBe(true);
    const again = new MemberStates();
    for (const c of chunks) again.load(c);
    expect(again.size).toBe(2);
    expect(again.get('__proto__')).toEqual({ home: 'S002', receipts: 1, lastDay: '2026-11-30', seq: 9 });
    for (const c of chunks) members.stored(c._id, '1-x');
    expect(members.changedChunks()).toEqual([]);
  });

  it('a replayed batch (the checkpoint not moved) adds nothing', () => {
    const facts: Change<FactLike>[] = [
      { seq: 1, doc: { type: 'order', storeId: 'S001', day: '2026-11-29', memberId: 'M1', payableCents: 1000 } },
      { seq: 2, doc: { type: 'order', storeId: 'S001', day: '2026-11-30', memberId: 'M1', payableCents: 500 } },
      { seq: 3, doc: { type: 'refund', storeId: 'S001', day: '2026-11-30', refundCents: 200 } },
    ];
    const stored = new Map<string, unknown>();
    for (let round = 0; round < 3; round++) run(stored, facts, [3], [false], [0], factDocIds, (d, b) => foldFacts(d, b, homeOf));
    const f = figuresOf(stored, SCOPES[0]!, 2);
    expect(f.sales.map((d) => d.store)).toEqual([{ receipts: 1, netCents: 1000 }, { receipts: 1, netCents: 300 }]);
    expect(f.members).toMatchObject({ buyers: 1, repeaters: 1, repurchaseRate: 1, active90: 1 });
  });

  it('a member counts at their home store wherever they buy; the store scope sees only its own', () => {
    const stored = new Map<string, unknown>();
    const facts: Change<FactLike>[] = [
      { seq: 1, doc: { type: 'order', storeId: 'S001', day: '2026-11-30', memberId: 'M2', payableCents: 1000 } },
      { seq: 2, doc: { type: 'order', storeId: 'S002', day: '2026-11-30', memberId: 'M2', payableCents: 700 } },
    ];
    run(stored, facts, [1], [false], [0], factDocIds, (d, b) => foldFacts(d, b, homeOf));
    const s2 = figuresOf(stored, SCOPES[1]!, 1);
    expect(s2.sales[0]!.store).toEqual({ receipts: 1, netCents: 700 });
    expect(s2.members).toMatchObject({ buyers: 1, repeaters: 1, active90: 1 });
    const s1 = figuresOf(stored, { sees: (s) => s === 'S001', online: false }, 1);
    expect(s1.sales[0]!.store).toEqual({ receipts: 1, netCents: 1000 });
    expect(s1.members).toMatchObject({ buyers: 0, repeaters: 0, active90: 0 });
  });

  it('channels of import sources', () => {
    expect(channelOfSource('tmall-orders')).toBe('marketplace');
    expect(channelOfSource('JD_orders')).toBe('marketplace');
    expect(channelOfSource('ecom-orders')).toBe('ecommerce');
    expect(channelOfSource('wechat')).toBe('ecommerce');
    expect(channelOfSource('__proto__')).toBe('ecommerce');
  });
});
