import { performance } from 'node:perf_hooks';
import { Couch, type Doc } from '../../hub/couch/couch.ts';
import { DB, factKey } from '../../hub/couch/databases.ts';
import { startEmbeddedCouch } from '../../hub/couch/embedded.ts';
import { ProfileBase, type MemberDirectory } from '../../hub/profile/base.ts';
import { ProfileEngine } from '../../hub/profile/engine.ts';
import { createLog } from '../../shared/cli/log.ts';
import { addDays } from '../../shared/local-time.ts';
import type { ProfileAttributes } from '../../shared/profile/metrics.ts';
import { dayNumber, dayString, intern, type SourceFact } from '../../shared/profile/source-facts.ts';
import { rng } from '../../shared/seed-members.ts';
import { removeDir, tempDir } from '../support/edge-node.ts';

/*
 * Issue 12's figures for the profile engine (decision 021): BENCH_PROFILE_MEMBERS golden members
 * (default 1,000,000) and BENCH_PROFILE_FACTS facts (default 10 per member) fed to the engine in
 * process (strings repeated across facts interned as the parsers do): the full recompute (the lists rebuilt, then every member computed; time and peak
 * memory), and one new fact's incremental update (p50/p99), against baselines measured in the
 * same run (a pass over the same facts that only sums their cents; filing a fact without
 * recomputing its member). Loading CouchDB with ten million documents takes over an hour here,
 * so the start from CouchDB (hub-facts read into the lists, every member computed) is measured at
 * BENCH_PROFILE_START_MEMBERS (default 50,000) with the same facts per member.
 */

const MEMBERS = Number(process.env.BENCH_PROFILE_MEMBERS ?? 1_000_000);
const FACTS = Number(process.env.BENCH_PROFILE_FACTS ?? 10 * MEMBERS);
const START_MEMBERS = Number(process.env.BENCH_PROFILE_START_MEMBERS ?? 50_000);
const UPDATES = Number(process.env.BENCH_PROFILE_UPDATES ?? 20_000);
const STORES = 50;
const DAY = '2026-11-30';
const TODAY = dayNumber(DAY);
const TZ = 'Asia/Shanghai';
const CATEGORIES = ['coffee/beans', 'coffee/ground', 'tea/green', 'tea/black', 'cups', 'snacks/nuts', 'snacks/biscuits', 'gifts'];

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const stats = (xs: number[]) => ({ p50: percentile(xs, 50), p99: percentile(xs, 99), n: xs.length });
const peakRssMb = () => process.resourceUsage().maxRSS / 1024;

/** Golden member g has the store member `pos:M<g>`, and every fifth a Tmall buyer record as well. */
export function syntheticDirectory(members: number): MemberDirectory {
  const attrs = (g: number): ProfileAttributes => ({ isMember: true, gender: g % 3 === 0 ? 'F' : g % 3 === 1 ? 'M' : 'U', birthday: `19${60 + (g % 40)}-0${1 + (g % 9)}-1${g % 9}`, homeStore: `S${g % STORES}`, registeredDay: '2024-01-01' });
  const num = (s: string) => Number(s.slice(s.indexOf(':') + 2));
  return {
    goldenOf: (s) => (s.startsWith('pos:M') || s.startsWith('tmall:B') ? `G${num(s)}` : undefined),
    member(id) {
      const g = Number(id.slice(1));
      if (!(g >= 0 && g < members)) return undefined;
      return { sources: g % 5 === 0 ? [`pos:M${g}`, `tmall:B${g}`] : [`pos:M${g}`], attributes: attrs(g) };
    },
    *goldenIds() {
      for (let g = 0; g < members; g++) yield `G${g}`;
    },
  };
}

/** Fact k of the run: a member's orders, refunds of them, points, coupons and events over two years. */
export function factAt(k: number, members: number): SourceFact {
  const r = rng(k * 7919 + 13);
  const g = k % members;
  const n = Math.floor(k / members);
  const day = TODAY - Math.floor(r() * 730);
  const roll = r();
  const pos = `pos:M${g}`;
  if (roll < 0.5) {
    const online = g % 5 === 0 && r() < 0.3;
    const lines = Array.from({ length: 1 + Math.floor(r() * 3) }, () => {
      const cents = 500 + Math.floor(r() * 20_000);
      return { sku: intern(`SKU${Math.floor(r() * 2000)}`), category: CATEGORIES[Math.floor(r() * CATEGORIES.length)]!, brand: '', qty: 1 + Math.floor(r() * 3), cents, promo: r() < 0.3 };
    });
    const paid = lines.reduce((s, l) => s + l.cents, 0);
    const discount = Math.floor(paid * 0.1 * r());
    return {
      source: online ? `tmall:B${g}` : pos,
      kind: 'order',
      fact: { id: `o:${g}:${n}`, day, channel: online ? 2 : 0, market: online ? 'tmall' : '', store: online ? '' : intern(`S${(g + n) % STORES}`), listCents: paid + discount, discountCents: discount, paidCents: paid, items: lines.reduce((s, l) => s + l.qty, 0), lines, refundedInFull: false },
    };
  }
  if (roll < 0.55) return { source: pos, kind: 'refund', fact: { id: `r:${g}:${n}`, orderId: `o:${g}:${Math.max(0, n - 1)}`, day, orderDay: day, cents: 500, lines: [{ index: 0, qty: 1, cents: 500 }] } };
  if (roll < 0.85) {
    const delta = r() < 0.7 ? 10 + Math.floor(r() * 500) : -Math.floor(r() * 200);
    return { source: pos, kind: 'points', fact: { id: `p:${g}:${n}`, delta, reason: delta < 0 ? 'redeem' : 'earn', atMs: day * 86_400_000 + n, day: dayString(day), ...(delta > 0 ? { expiresOn: dayString(day + 365) } : {}) } };
  }
  if (roll < 0.95) return { source: pos, kind: 'coupon', fact: r() < 0.6 ? { code: `C${g}:${n}`, issued: day } : { code: `C${g}:${n - 1}`, redeemed: day, orderId: '' } };
  return { source: pos, kind: 'event', fact: { id: `e:${g}:${n}`, kind: 'checkin', day, store: intern(`S${g % STORES}`) } };
}

export function* facts(count: number, members: number): Generator<SourceFact> {
  for (let k = 0; k < count; k++) yield factAt(k, members);
}

/** The same fact as hub-facts stores it (for the start from CouchDB). */
/** Writes the documents of these synthetic facts into hub-facts (those a store would write, each once), in batches; answers how many. */
export async function writeFactDocs(couch: Couch, facts: Iterable<SourceFact>): Promise<number> {
  let batch: Doc[] = [];
  let docs = 0;
  const seen = new Set<string>();
  for (const f of facts) {
    const d = factDoc(f);
    if (!d || seen.has(d._id)) continue;
    seen.add(d._id);
    batch.push(d);
    if (batch.length === 5000) {
      await couch.db(DB.facts).bulk({ docs: batch });
      docs += batch.length;
      batch = [];
    }
  }
  if (batch.length) await couch.db(DB.facts).bulk({ docs: batch });
  return docs + batch.length;
}

export function factDoc(f: SourceFact): Doc | undefined {
  const memberId = f.source.startsWith('pos:') ? f.source.slice(4) : undefined;
  if (!memberId) return undefined;
  const day = (d: number) => dayString(d);
  const at = (d: number) => `${day(d)}T04:00:00.000Z`;
  switch (f.kind) {
    case 'order': {
      const o = f.fact;
      const lines = o.lines.map((l) => ({ sku: l.sku, category: l.category, qty: l.qty, unitPriceCents: Math.floor(l.cents / l.qty), totalCents: l.cents, discountCents: l.promo ? 1 : 0, payableCents: l.cents }));
      return { _id: factKey(memberId, o.id), type: 'order', storeId: o.store, terminalId: 'T1', receiptNo: o.id, memberId, at: at(o.day), day: day(o.day), lines, totalCents: o.listCents, couponDiscountCents: 0, pointsCashCents: 0, payableCents: o.paidCents, pointsEarned: 0, pointsRedeemed: 0, coupons: [], requestHash: 'x' };
    }
    case 'refund':
      return { _id: factKey(memberId, f.fact.id), type: 'refund', orderId: f.fact.orderId, refundNo: f.fact.id, storeId: 'S0', terminalId: 'T1', memberId, at: at(f.fact.day), day: day(f.fact.day), orderDay: day(f.fact.orderDay), lines: f.fact.lines.map((l) => ({ index: l.index, qty: l.qty, refundCents: l.cents })), refundCents: f.fact.cents, pointsClawedBack: 0, pointsReturned: 0, requestHash: 'x' };
    case 'points':
      return { _id: factKey(memberId, f.fact.id), type: 'pts', memberId, delta: f.fact.delta, reason: f.fact.reason, ref: 'x', storeId: 'S0', at: new Date(f.fact.atMs).toISOString(), day: f.fact.day, ...(f.fact.expiresOn ? { expiresOn: f.fact.expiresOn } : {}) };
    case 'coupon':
      return f.fact.issued !== undefined
        ? { _id: factKey(memberId, `coupon:${f.fact.code}`), type: 'coupon', code: f.fact.code, memberId, issuedAt: at(f.fact.issued) }
        : { _id: factKey(memberId, `redeem:${f.fact.code}`), type: 'redeem', code: f.fact.code, memberId, orderId: '', storeId: 'S0', terminalId: 'T1', discountCents: 0, at: at(f.fact.redeemed!) };
    case 'event':
      return { _id: factKey(memberId, f.fact.id), type: 'event', kind: f.fact.kind, memberId, storeId: f.fact.store, at: at(f.fact.day), day: day(f.fact.day) };
    default:
      return undefined;
  }
}

export interface ProfilesBench {
  members: number;
  facts: number;
  factsHeld: number;
  loadSeconds: number;
  computeSeconds: number;
  baselineScanSeconds: number;
  peakRssMb: number;
  heapUsedMb: number;
  /** Heap after the lists are filled (with --expose-gc only: collected first). */
  factsHeapMb: number | undefined;
  columnsMb: number;
  /** The packed facts' pages (outside the heap). */
  factPagesMb: number;
  incremental: ReturnType<typeof stats>;
  /** CPU time of the same updates (waiting for a core left out). */
  incrementalCpu: ReturnType<typeof stats>;
  baselineFile: ReturnType<typeof stats>;
  start: { members: number; facts: number; docs: number; loadDbSeconds: number; rebuildSeconds: number };
}

export async function benchProfiles(): Promise<ProfilesBench> {
  // Baseline: the same facts generated and their cents summed, nothing kept.
  let t = performance.now();
  let sum = 0;
  for (const f of facts(FACTS, MEMBERS)) if (f.kind === 'order') sum += f.fact.paidCents;
  const baselineScanSeconds = (performance.now() - t) / 1000;
  if (sum < 0) console.error('impossible');

  // The full recompute as the nightly run does it: lists filled, then every member computed.
  const base = new ProfileBase(syntheticDirectory(MEMBERS));
  t = performance.now();
  base.load(facts(FACTS, MEMBERS));
  const loadSeconds = (performance.now() - t) / 1000;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const factsHeapMb = process.memoryUsage().heapUsed / 2 ** 20;
  t = performance.now();
  base.computeAll(DAY);
  const computeSeconds = (performance.now() - t) / 1000;
  gc?.();
  const heapUsedMb = process.memoryUsage().heapUsed / 2 ** 20;

  // One new fact at a time: filed and its member recomputed; the baseline files it only.
  const inc: number[] = [];
  // The same updates' CPU time (this process's threads): on a shared machine a wall-clock p99 is
  // mostly the updates during which the process waited for a core; CPU time keeps the work and
  // the collector's pauses, and leaves that wait out.
  const incCpu: number[] = [];
  const file: number[] = [];
  const other = new ProfileBase(syntheticDirectory(MEMBERS));
  for (let i = 0; i < UPDATES; i++) {
    const f = factAt(FACTS + i * 7919, MEMBERS);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    base.addFacts([f], DAY);
    const t1 = performance.now();
    const c1 = process.cpuUsage(c0);
    incCpu.push((c1.user + c1.system) / 1000);
    other.load([f]);
    const t2 = performance.now();
    inc.push(t1 - t0);
    file.push(t2 - t1);
  }
  const held = base.arrayBytes();
  const result = {
    members: MEMBERS,
    facts: FACTS,
    factsHeld: base.factsHeld,
    loadSeconds,
    computeSeconds,
    baselineScanSeconds,
    peakRssMb: peakRssMb(),
    heapUsedMb,
    factsHeapMb: gc ? factsHeapMb : undefined,
    columnsMb: held.columns / 2 ** 20,
    factPagesMb: held.facts / 2 ** 20,
    incremental: stats(inc),
    incrementalCpu: stats(incCpu),
    baselineFile: stats(file),
  };
  // BENCH_PROFILE_START_MEMBERS=0 skips the start from CouchDB (profiling the in-process part).
  return { ...result, start: START_MEMBERS > 0 ? await benchStart() : { members: 0, facts: 0, docs: 0, loadDbSeconds: 0, rebuildSeconds: 0 } };
}

/** The start from CouchDB at a smaller size: hub-facts loaded with the hub's layout, then the engine's build timed. */
async function benchStart() {
  const members = START_MEMBERS;
  const count = Math.round((FACTS / MEMBERS) * members);
  const dir = tempDir('memberedge-profiles-bench-');
  const embedded = await startEmbeddedCouch(dir, createLog('bench', true));
  try {
    const couch = new Couch(embedded.url);
    await couch.ensureCentral();
    let t = performance.now();
    const docs = await writeFactDocs(couch, facts(count, members));
    const loadDbSeconds = (performance.now() - t) / 1000;
    const engine = new ProfileEngine({ couch, directory: syntheticDirectory(members), log: createLog('bench', true), clock: () => new Date(`${addDays(DAY, 0)}T04:00:00Z`), timeZone: TZ, ready: Promise.resolve() });
    t = performance.now();
    await engine.rebuild();
    const rebuildSeconds = (performance.now() - t) / 1000;
    await engine.stop();
    return { members, facts: engine.status().facts, docs, loadDbSeconds, rebuildSeconds };
  } finally {
    await embedded.stop();
    removeDir(dir);
  }
}
