import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ProfileAttributes } from '../../shared/profile/metrics.ts';
import { dayNumber, type SourceFact } from '../../shared/profile/source-facts.ts';
import { ProfileBase, type MemberDirectory, type ProfileExtension } from '../../hub/profile/base.ts';
import { composeExtensions } from '../../hub/profile/extensions.ts';
import { ProfileTags } from '../../hub/profile/profile-tags.ts';
import { RfmAndStages } from '../../hub/profile/rfm-stages.ts';
import { DEFAULT_TAG_RULES } from '../../shared/profile/tag-catalogue.ts';

/*
 * Decision 021 point 3: whatever facts arrive, in whatever order, interleaved with whatever merges
 * and splits, the columns kept incrementally equal those a full recompute builds from the same
 * facts under the final partition.
 */

const SOURCES = ['pos:A', 'pos:B', 'pos:C', 'tmall:x', 'tmall:y', 'crm:1'];
const DAY = '2026-11-30';
const TODAY = dayNumber(DAY);

/** Groups of sources; a golden member is named after its smallest source (as One-ID names them). */
class Partition implements MemberDirectory {
  readonly group = new Map<string, number>(SOURCES.map((s, i) => [s, i]));
  goldenOf(source: string) {
    const g = this.group.get(source);
    return g === undefined ? undefined : this.nameOf(g);
  }
  private sourcesOfGroup(g: number) {
    return SOURCES.filter((s) => this.group.get(s) === g).sort();
  }
  private nameOf(g: number) {
    return `G-${this.sourcesOfGroup(g)[0]}`;
  }
  member(id: string) {
    for (const g of new Set(this.group.values())) if (this.nameOf(g) === id) {
      const sources = this.sourcesOfGroup(g);
      const attributes: ProfileAttributes = { isMember: sources.some((s) => s.startsWith('pos:')), gender: 'F', birthday: '1990-12-01', homeStore: 'S1' };
      return { sources, attributes };
    }
    return undefined;
  }
  goldenIds() {
    return [...new Set(this.group.values())].map((g) => this.nameOf(g));
  }
  /** Merges the groups of a and b; the golden ids before and after. */
  merge(a: string, b: string): string[] {
    const before = [this.goldenOf(a)!, this.goldenOf(b)!];
    const ga = this.group.get(a)!;
    const gb = this.group.get(b)!;
    for (const s of SOURCES) if (this.group.get(s) === gb) this.group.set(s, ga);
    return [...before, this.goldenOf(a)!];
  }
  /** Moves `s` out of its group into a group of its own. */
  split(s: string): string[] {
    const before = this.goldenOf(s)!;
    const fresh = Math.max(...this.group.values()) + 1;
    const rest = SOURCES.filter((x) => x !== s && this.group.get(x) === this.group.get(s));
    this.group.set(s, fresh);
    return [before, this.goldenOf(s)!, ...rest.map((x) => this.goldenOf(x)!)];
  }
}

const source = fc.constantFrom(...SOURCES);
const day = fc.integer({ min: -400, max: 3 }).map((d) => TODAY + d);
const orderId = fc.integer({ min: 0, max: 5 }).map((n) => `order:S${n % 2}:T1:${n}`);
const line = fc.record({ sku: fc.constantFrom('A', 'B', 'C'), category: fc.constantFrom('coffee', 'coffee/beans', 'tea', ''), brand: fc.constantFrom('', 'acme'), qty: fc.integer({ min: 1, max: 3 }), cents: fc.integer({ min: 0, max: 5000 }), promo: fc.boolean() });
const fact: fc.Arbitrary<SourceFact> = fc.oneof(
  fc.record({ source, id: orderId, day, channel: fc.integer({ min: 0, max: 2 }), lines: fc.array(line, { minLength: 1, maxLength: 3 }), disc: fc.integer({ min: 0, max: 500 }), full: fc.boolean() }).map(
    ({ source, id, day, channel, lines, disc, full }): SourceFact => {
      const paid = lines.reduce((s, l) => s + l.cents, 0);
      return { source, kind: 'order', fact: { id, day, channel, market: channel === 2 ? 'tmall' : '', store: channel === 0 ? id.split(':')[1]! : '', listCents: paid + disc, discountCents: disc, paidCents: paid, items: lines.reduce((s, l) => s + l.qty, 0), lines, refundedInFull: channel !== 0 && full } };
    },
  ),
  fc.record({ source, order: orderId, n: fc.integer({ min: 0, max: 3 }), day, index: fc.integer({ min: 0, max: 2 }), qty: fc.integer({ min: 1, max: 3 }), cents: fc.integer({ min: 0, max: 3000 }) }).map(
    ({ source, order, n, day, index, qty, cents }): SourceFact => ({ source, kind: 'refund', fact: { id: `refund:${order}:${n}`, orderId: order, day, orderDay: day - 1, cents, lines: [{ index, qty, cents }] } }),
  ),
  fc.record({ source, n: fc.integer({ min: 0, max: 6 }), delta: fc.integer({ min: -300, max: 500 }), day, exp: fc.boolean() }).map(({ source, n, delta, day, exp }): SourceFact => {
    const d = new Date(day * 86_400_000).toISOString().slice(0, 10);
    const e = new Date((day + 100) * 86_400_000).toISOString().slice(0, 10);
    return { source, kind: 'points', fact: { id: `pts:${source}:${n}`, delta, reason: delta < 0 ? 'redeem' : 'earn', atMs: day * 86_400_000 + n, day: d, ...(exp && delta > 0 ? { expiresOn: e } : {}) } };
  }),
  fc.record({ source, code: fc.constantFrom('C1', 'C2', 'C3'), day, redeem: fc.boolean() }).map(({ source, code, day, redeem }): SourceFact => ({ source, kind: 'coupon', fact: redeem ? { code, redeemed: day, orderId: 'o' } : { code, issued: day } })),
  fc.record({ source, n: fc.integer({ min: 0, max: 4 }), kind: fc.constantFrom('register', 'checkin', 'follow', 'unfollow'), day }).map(({ source, n, kind, day }): SourceFact => ({ source, kind: 'event', fact: { id: `event:${source}:${n}`, kind, day, store: 'S1' } })),
  fc.record({ source, ch: fc.constantFrom('sms', 'wechat'), granted: fc.boolean(), at: fc.integer({ min: 0, max: 5 }) }).map(({ source, ch, granted, at }): SourceFact => ({ source, kind: 'consent', fact: { id: `consent:${source}:${ch}:${at}`, channel: ch, granted, atMs: at } })),
);
/** A fact's id says what it is (decision 001): the pool holds one fact per id, picked any number of times. */
const idOf = (f: SourceFact) => `${f.kind}:${'id' in f.fact ? f.fact.id : `${f.fact.code}:${f.fact.redeemed === undefined}`}`;
type Op = { op: 'fact'; i: number } | { op: 'merge'; a: string; b: string } | { op: 'split'; s: string };
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.nat().map((i) => ({ op: 'fact' as const, i })) },
  { weight: 1, arbitrary: fc.record({ a: source, b: source }).map(({ a, b }) => ({ op: 'merge' as const, a, b })) },
  { weight: 1, arbitrary: source.map((s) => ({ op: 'split' as const, s })) },
);

const rows = (base: ProfileBase, dir: Partition) => new Map(dir.goldenIds().map((g) => [g, base.columns.row(base.numberOfMember(g)!)]));

/**
 * The operations applied one at a time to a base kept current (each fact as it arrives, each merge
 * or split as One-ID makes it), and a base built at once from the same facts as the nightly run
 * reads them: in the database's order, not the arrival order, and a replayed feed twice.
 */
function incrementalAndFull(pool: SourceFact[], ops: Op[], seed: number, extension?: () => ProfileExtension) {
  const dir = new Partition();
  const inc = new ProfileBase(dir, extension?.());
  inc.computeAll(DAY);
  const facts: SourceFact[] = [];
  for (const o of ops) {
    if (o.op === 'fact') {
      const f = pool[o.i % pool.length]!;
      facts.push(f);
      inc.addFacts([f], DAY);
    } else inc.membersChanged(o.op === 'merge' ? dir.merge(o.a, o.b) : dir.split(o.s), DAY);
  }
  const shuffled = [...facts, ...facts].map((f, i) => ({ f, k: (i * 2654435761 + seed) >>> 0 })).sort((a, b) => a.k - b.k).map((x) => x.f);
  const full = new ProfileBase(dir, extension?.());
  full.load(shuffled);
  full.computeAll(DAY);
  return { dir, inc, full };
}

/** The golden ids a base holds a row for. */
const live = (base: ProfileBase) => {
  const ids = base.members();
  return Array.from({ length: ids.length }, (_, n) => ids.at(n)).filter((g) => g !== undefined);
};

describe('profiles: incremental = full recompute', () => {
  it('agree for any sequence of facts, merges and splits (facts replayed, in any order)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fact, { selector: idOf, minLength: 1, maxLength: 30 }), fc.array(op, { maxLength: 60 }), fc.integer(), (pool, ops, seed) => {
        const { dir, inc, full } = incrementalAndFull(pool, ops, seed);
        expect(rows(inc, dir)).toEqual(rows(full, dir));
        // Members merged away hold no row: the live members are the directory's.
        expect(live(inc).sort()).toEqual(dir.goldenIds().sort());
      }),
      { numRuns: 300 },
    );
  });
});

describe('profiles: One-ID\'s changes held (an import), then every member computed in place', () => {
  it('agree with a full recompute, members merged away gone', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fact, { selector: idOf, minLength: 1, maxLength: 30 }), fc.array(op, { maxLength: 60 }), fc.integer(), (pool, ops, seed) => {
        const dir = new Partition();
        const held = new ProfileBase(dir);
        held.computeAll(DAY);
        const facts: SourceFact[] = [];
        for (const o of ops) {
          if (o.op !== 'fact') {
            // Not told: the engine holds One-ID's changes while an import runs.
            if (o.op === 'merge') dir.merge(o.a, o.b);
            else dir.split(o.s);
            continue;
          }
          const f = pool[o.i % pool.length]!;
          facts.push(f);
          held.addFacts([f], DAY);
        }
        for (const _ of held.computing(DAY, 2, false));
        const full = new ProfileBase(dir);
        full.load([...facts].sort(() => (seed & 1 ? 1 : -1)));
        full.computeAll(DAY);
        expect(rows(held, dir)).toEqual(rows(full, dir));
        expect(live(held).sort()).toEqual(dir.goldenIds().sort());
      }),
      { numRuns: 300 },
    );
  });
});

describe('profiles with tags (decision 025): incremental = full recompute', () => {
  it('the default catalogue\'s tags, over stage and RFM, agree for any sequence of facts, merges and splits', () => {
    const noHistory = { record: async () => undefined, recordFirst: async () => undefined, async *pages() {} };
    // Stage and RFM as the extension adds them between runs (the kept boundaries), the same for both bases;
    // the tags' whole-base pass still runs in the full one, over the columns.
    const extension = () => {
      const rfm = new RfmAndStages();
      const tags = new ProfileTags(noHistory, () => DAY);
      tags.setRules(DEFAULT_TAG_RULES);
      return composeExtensions({ extend: (g, p, l, d) => rfm.extend(g, p, l, d) }, tags);
    };
    let tagged = 0;
    fc.assert(
      fc.property(fc.uniqueArray(fact, { selector: idOf, minLength: 1, maxLength: 30 }), fc.array(op, { maxLength: 60 }), fc.integer(), (pool, ops, seed) => {
        const { dir, inc, full } = incrementalAndFull(pool, ops, seed, extension);
        const a = rows(inc, dir), b = rows(full, dir);
        expect(a).toEqual(b);
        for (const r of b.values()) tagged += (r.get('tags') as Set<string>).size;
      }),
      { numRuns: 200 },
    );
    // The property says something only if members got tags.
    expect(tagged).toBeGreaterThan(200);
  });
});
