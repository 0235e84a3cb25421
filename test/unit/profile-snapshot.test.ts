import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync as writeFileRaw } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProfileBase, type MemberDirectory } from '../../hub/profile/base.ts';
import { profileSnapshotFile, readProfileSnapshot, writeProfileSnapshot, type ProfileSnapshotMeta } from '../../hub/profile/snapshot.ts';
import { FactStore } from '../../shared/profile/fact-store.ts';
import type { ProfileAttributes } from '../../shared/profile/metrics.ts';
import { dayNumber, type SourceFact } from '../../shared/profile/source-facts.ts';

/*
 * Decision 029: the facts written to a snapshot and read back are the facts held, exactly: a base
 * made from the file and computed in full has every row the base that was written had, and it
 * goes on the same way (replays recognised, coupons met, facts kept as objects too). A file cut
 * short, altered, or of another format is refused with the reason, and nothing of it is used.
 */

const SOURCES = ['pos:A', 'pos:B', 'pos:C', 'tmall:x', 'tmall:y', 'crm:1'];
const DAY = '2026-11-30';
const TODAY = dayNumber(DAY);
const dirs: string[] = [];
const freshDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'profiles-snap-'));
  dirs.push(d);
  return d;
};
/** Bytes written as they are (Buffer's typing and the fs typing of this Node disagree). */
const writeFileSync = (file: string, b: Buffer | string) => writeFileRaw(file, typeof b === 'string' ? b : new Uint8Array(b.buffer, b.byteOffset, b.length));
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Groups of sources; a golden member is named after its smallest source. */
class Partition implements MemberDirectory {
  readonly group = new Map<string, number>(SOURCES.map((s, i) => [s, i]));
  goldenOf(source: string) {
    const g = this.group.get(source);
    return g === undefined ? undefined : `G-${this.sourcesOf(g)[0]}`;
  }
  private sourcesOf(g: number) {
    return SOURCES.filter((s) => this.group.get(s) === g).sort();
  }
  member(id: string) {
    for (const g of new Set(this.group.values())) {
      const sources = this.sourcesOf(g);
      if (`G-${sources[0]}` !== id) continue;
      const attributes: ProfileAttributes = { isMember: sources.some((s) => s.startsWith('pos:')), gender: 'F', birthday: '1990-12-01', homeStore: 'S1' };
      return { sources, attributes };
    }
    return undefined;
  }
  goldenIds() {
    return [...new Set(this.group.values())].map((g) => `G-${this.sourcesOf(g)[0]}`);
  }
  merge(a: string, b: string): string[] {
    const before = [this.goldenOf(a)!, this.goldenOf(b)!];
    const ga = this.group.get(a)!, gb = this.group.get(b)!;
    for (const s of SOURCES) if (this.group.get(s) === gb) this.group.set(s, ga);
    return [...before, this.goldenOf(a)!];
  }
}

const source = fc.constantFrom(...SOURCES);
const day = fc.integer({ min: -400, max: 3 }).map((d) => TODAY + d);
const orderId = fc.integer({ min: 0, max: 5 }).map((n) => `order:S${n % 2}:T1:${n}`);
const line = fc.record({ sku: fc.constantFrom('A', 'B', 'C', '咖啡豆'), category: fc.constantFrom('coffee', 'coffee/beans', 'tea', ''), brand: fc.constantFrom('', 'acme'), qty: fc.integer({ min: 1, max: 3 }), cents: fc.integer({ min: 0, max: 5000 }), promo: fc.boolean() });
const fact: fc.Arbitrary<SourceFact> = fc.oneof(
  // `huge`: cents past 32 bits, which no record holds: the fact is kept as an object (FactStore's wide list).
  fc.record({ source, id: orderId, day, channel: fc.integer({ min: 0, max: 2 }), lines: fc.array(line, { minLength: 1, maxLength: 3 }), disc: fc.integer({ min: 0, max: 500 }), huge: fc.boolean() }).map(
    ({ source, id, day, channel, lines, disc, huge }): SourceFact => {
      const paid = lines.reduce((s, l) => s + l.cents, 0) + (huge ? 2 ** 33 : 0);
      return { source, kind: 'order', fact: { id, day, channel, market: channel === 2 ? 'tmall' : '', store: channel === 0 ? id.split(':')[1]! : '', listCents: paid + disc, discountCents: disc, paidCents: paid, items: lines.reduce((s, l) => s + l.qty, 0), lines, refundedInFull: false } };
    },
  ),
  fc.record({ source, order: orderId, n: fc.integer({ min: 0, max: 3 }), day, qty: fc.integer({ min: 1, max: 3 }), cents: fc.integer({ min: 0, max: 3000 }) }).map(
    ({ source, order, n, day, qty, cents }): SourceFact => ({ source, kind: 'refund', fact: { id: `refund:${order}:${n}`, orderId: order, day, orderDay: day - 1, cents, lines: [{ index: 0, qty, cents }] } }),
  ),
  fc.record({ source, n: fc.integer({ min: 0, max: 6 }), delta: fc.integer({ min: -300, max: 500 }), day, exp: fc.boolean() }).map(({ source, n, delta, day, exp }): SourceFact => {
    const d = new Date(day * 86_400_000).toISOString().slice(0, 10);
    const e = new Date((day + 100) * 86_400_000).toISOString().slice(0, 10);
    return { source, kind: 'points', fact: { id: `pts:${source}:${n}`, delta, reason: delta < 0 ? 'redeem' : 'earn', atMs: day * 86_400_000 + n, day: d, ...(exp && delta > 0 ? { expiresOn: e } : {}) } };
  }),
  fc.record({ source, code: fc.constantFrom('C1', 'C2', 'C3'), day, redeem: fc.boolean() }).map(({ source, code, day, redeem }): SourceFact => ({ source, kind: 'coupon', fact: redeem ? { code, redeemed: day, orderId: 'o' } : { code, issued: day } })),
  fc.record({ source, n: fc.integer({ min: 0, max: 4 }), kind: fc.constantFrom('register', 'checkin', 'follow'), day }).map(({ source, n, kind, day }): SourceFact => ({ source, kind: 'event', fact: { id: `event:${source}:${n}`, kind, day, store: 'S1' } })),
  fc.record({ source, ch: fc.constantFrom('sms', 'wechat'), granted: fc.boolean(), at: fc.integer({ min: 0, max: 5 }) }).map(({ source, ch, granted, at }): SourceFact => ({ source, kind: 'consent', fact: { id: `consent:${source}:${ch}:${at}`, channel: ch, granted, atMs: at } })),
);
type Op = { op: 'fact'; f: SourceFact } | { op: 'merge'; a: string; b: string };
const op: fc.Arbitrary<Op> = fc.oneof({ weight: 6, arbitrary: fact.map((f) => ({ op: 'fact' as const, f })) }, { weight: 1, arbitrary: fc.record({ a: source, b: source }).map(({ a, b }) => ({ op: 'merge' as const, a, b })) });

const META: ProfileSnapshotMeta = { hubId: 'hub-1', timeZone: 'Asia/Shanghai', seqs: { facts: 42, online: 7 }, markers: { facts: 'm-facts', online: 'm-online' }, writtenAt: '2026-11-30T09:00:00.000Z', after: 'build' };
const rows = (base: ProfileBase, dir: Partition) => new Map(dir.goldenIds().map((g) => [g, base.columns.row(base.numberOfMember(g)!)]));
const apply = (base: ProfileBase, dir: Partition, o: Op) => (o.op === 'fact' ? base.addFacts([o.f], DAY) : base.membersChanged(dir.merge(o.a, o.b), DAY));

async function roundTrip(base: ProfileBase, dir: Partition, durable = true): Promise<ProfileBase> {
  const folder = freshDir();
  const { image, factsHeld } = base.factImage();
  await writeProfileSnapshot(folder, META, image, factsHeld, { durable });
  const read = await readProfileSnapshot(profileSnapshotFile(folder), () => undefined);
  if (!read.ok) throw new Error(read.why);
  expect(read.meta).toEqual(META);
  const loaded = new ProfileBase(dir);
  loaded.restoreFacts(read.facts, read.factsHeld);
  loaded.computeAll(DAY);
  return loaded;
}

describe('profile snapshot: round trip', () => {
  it('a base read back from its snapshot and computed in full equals the base written, and stays equal as facts and merges go on', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), fc.array(op, { maxLength: 30 }), async (before, after) => {
        const dir = new Partition();
        const inc = new ProfileBase(dir);
        inc.computeAll(DAY);
        for (const o of before) apply(inc, dir, o);
        const loaded = await roundTrip(inc, dir, false);
        expect(rows(loaded, dir)).toEqual(rows(inc, dir));
        expect(loaded.size()).toEqual(inc.size());
        // The state goes on the same: a replay is recognised, a coupon's issue meets its redemption.
        for (const o of [...after, ...before]) {
          if (o.op === 'fact') expect(loaded.addFacts([o.f], DAY)).toEqual(inc.addFacts([o.f], DAY));
          else {
            const changed = dir.merge(o.a, o.b);
            inc.membersChanged(changed, DAY);
            loaded.membersChanged(changed, DAY);
          }
        }
        expect(rows(loaded, dir)).toEqual(rows(inc, dir));
        expect(loaded.size()).toEqual(inc.size());
        for (const g of dir.goldenIds()) expect(loaded.factsOf(g)).toEqual(inc.factsOf(g));
      }),
      { numRuns: 150 },
    );
  });

  it('an empty base round-trips, and a store over many pages keeps every record', async () => {
    const dir = new Partition();
    const empty = new ProfileBase(dir);
    empty.computeAll(DAY);
    expect((await roundTrip(empty, dir)).size()).toEqual(empty.size());

    const big = new ProfileBase(dir);
    const facts: SourceFact[] = [];
    for (let i = 0; i < 40_000; i++)
      facts.push({ source: i < 600 ? SOURCES[i % SOURCES.length]! : `src:${i % 4000}`, kind: 'order', fact: { id: `order:S1:T1:${i}`, day: TODAY - (i % 300), channel: 0, market: '', store: `S${i % 7}`, listCents: 1000 + i, discountCents: 0, paidCents: 1000 + i, items: 1, lines: [{ sku: `SKU-${i % 500}`, category: 'coffee', brand: '', qty: 1, cents: 1000 + i, promo: false }], refundedInFull: false } });
    big.load(facts);
    big.computeAll(DAY);
    expect(big.arrayBytes().facts).toBeGreaterThan(4 * 262_144); // several pages
    const loaded = await roundTrip(big, dir);
    expect(rows(loaded, dir)).toEqual(rows(big, dir));
    for (const g of dir.goldenIds()) expect(loaded.factsOf(g)).toEqual(big.factsOf(g));
    // Word for word: the pages, the chains' heads, the seen-bits, the sources and strings by number.
    const [x, y] = [loaded.factImage().image, big.factImage().image];
    expect(x.sources).toEqual(y.sources);
    expect(x.pages.length).toBe(y.pages.length);
    x.pages.forEach((p, i) => expect(p.every((w, j) => w === y.pages[i]![j])).toBe(true));
    expect([...x.heads]).toEqual([...y.heads]);
    expect([...x.seen]).toEqual([...y.seen]);
    expect(x.strings).toEqual(y.strings);
  });
});

describe('profile snapshot: refused files', () => {
  async function written(): Promise<string> {
    const folder = freshDir();
    const dir = new Partition();
    const base = new ProfileBase(dir);
    base.load(fc.sample(fact, { numRuns: 300, seed: 29 }));
    const { image, factsHeld } = base.factImage();
    await writeProfileSnapshot(folder, META, image, factsHeld);
    return profileSnapshotFile(folder);
  }
  const refusal = async (file: string) => {
    const r = await readProfileSnapshot(file, () => undefined);
    return r.ok ? 'accepted' : r.why;
  };

  it('cut short anywhere', async () => {
    const file = await written();
    const size = readFileSync(file).length;
    for (const keep of [0, 10, 40, 200, size - 300, size - 5, size - 1]) {
      const copy = `${file}.${keep}`;
      writeFileSync(copy, readFileSync(file));
      truncateSync(copy, keep);
      expect(await refusal(copy)).not.toBe('accepted');
    }
    expect(await refusal(`${file}.10`)).toMatch(/not a profiles snapshot|cut short/);
    expect(await refusal(`${file}.${size - 1}`)).toMatch(/cut short/);
  });

  it('a byte changed in the pages, the tables or the checksum', async () => {
    const file = await written();
    const bytes = readFileSync(file);
    const headerEnd = 33 + bytes.readUInt32LE(29);
    for (const at of [headerEnd + 17, headerEnd + 262_144 - 3, bytes.length - 40, bytes.length - 10]) {
      const bad = Buffer.from(bytes);
      bad[at] = bad[at]! ^ 0x20;
      writeFileSync(file, bad);
      expect(await refusal(file)).toMatch(/checksum|JSON|no end mark/);
    }
    writeFileSync(file, bytes);
    expect(await refusal(file)).toBe('accepted');
  });

  it('another format, a grown file, a file that is no snapshot', async () => {
    const file = await written();
    const bytes = readFileSync(file);
    writeFileSync(file, Buffer.from(bytes.toString('latin1').replace('"format":1,', '"format":2,'), 'latin1'));
    expect(await refusal(file)).toMatch(/format 2, this hub reads 1/);
    writeFileSync(file, Buffer.from(bytes.toString('latin1') + 'x', 'latin1'));
    expect(await refusal(file)).toMatch(/cut short or grown/);
    writeFileSync(file, 'hello\n');
    expect(await refusal(file)).toMatch(/not a profiles snapshot/);
    expect(await refusal(join(freshDir(), 'none.snap'))).toBe('no snapshot file');
  });

  it('the caller refuses on the header: the pages are not read, the reason is the caller\'s', async () => {
    const file = await written();
    let seen: ProfileSnapshotMeta | undefined;
    const r = await readProfileSnapshot(file, (meta) => ((seen = meta), 'written by hub other'));
    expect(r).toEqual({ ok: false, why: 'written by hub other' });
    expect(seen).toEqual(META);
  });

  it('an image that does not hold together is refused by the store', () => {
    const img = new FactStore().image();
    expect(() => FactStore.fromImage({ ...img, sources: ['a', 'a'], heads: new Uint32Array([0xffffffff, 0xffffffff]), seen: new Uint32Array(4) })).toThrow(/twice/);
    expect(() => FactStore.fromImage({ ...img, sources: ['a'], heads: new Uint32Array([5]), seen: new Uint32Array(2) })).toThrow(/outside/);
    expect(() => FactStore.fromImage({ ...img, strings: ['x', 'x'] })).toThrow(/twice/);
  });
});
