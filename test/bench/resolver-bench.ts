import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { SourceRecord } from '../../shared/one-id/record.ts';
import { Resolver, type ResolverStateMeta } from '../../shared/one-id/resolver.ts';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSnapshotFile, writeSnapshotFile, writeSnapshotSliced } from '../../hub/identity/snapshot-file.ts';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/*
 * `npx tsx test/bench/resolver-bench.ts [records] [--breakdown] [--no-suggestions]`: times the One-ID resolver on synthetic
 * records (default 1,000,000: ~700k people, ~30% of them in two or more channels, junk and shop
 * phones typed for walk-ins). Only for timing — clean keys, no typos; the realistic dirty data
 * generator lives elsewhere. Figures are printed, never asserted.
 */

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const TARGET = Number(process.argv[2] ?? 1_000_000);
const SOURCES = ['store', 'crm', 'wx', 'tmall', 'jd'];
const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗';
const GIVEN = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂';
const CITIES = ['上海', '北京', '广州', '深圳', '杭州', '成都', '南京', '武汉'];
const JUNK = ['+8613800000000', '+8613888888888', '+8613912345678'];

let seed = 42;
function rand(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(xs: readonly T[] | string): T => xs[Math.floor(rand() * xs.length)] as T;
const iso = (dayOffset: number) => new Date(Date.UTC(2024, 0, 1) + dayOffset * 86_400_000).toISOString();

function* person(p: number): Generator<SourceRecord> {
  const phone = `+86139${String(p).padStart(8, '0')}`;
  const name = pick<string>(SURNAMES) + pick<string>(GIVEN) + (rand() < 0.5 ? pick<string>(GIVEN) : '');
  const birthday = `19${60 + Math.floor(rand() * 40)}-0${1 + Math.floor(rand() * 9)}-1${Math.floor(rand() * 9)}`;
  const city = pick(CITIES);
  // ~30% of people appear in 2-4 channels; the rest in one.
  const n = rand() < 0.3 ? (rand() < 0.1 ? 4 : 2 + Math.floor(rand() * 2)) : 1;
  const sources = [...SOURCES].sort(() => rand() - 0.5).slice(0, n);
  for (const source of sources) {
    const ids: SourceRecord['identities'] = {};
    if (source === 'store') Object.assign(ids, { phone: rand() < 0.002 ? pick(JUNK) : rand() < 0.001 ? '+8613916881234' : phone, cardNo: `VIP${p}` });
    if (source === 'crm') Object.assign(ids, { phone, cardNo: `VIP${p}` });
    if (source === 'wx') Object.assign(ids, { phone, unionId: `oU_union_${p}`, openIds: [{ appId: 'wxmini', openId: `oOpen_${p}_m` }] });
    if (source === 'tmall') Object.assign(ids, { phone, buyerNick: `tb_${p}` });
    if (source === 'jd') Object.assign(ids, { phone, jdPin: `jd_${p}` });
    yield {
      id: `${source}:${p}`,
      source,
      observedAt: iso(Math.floor(rand() * 700)),
      identities: ids,
      profile: { name, birthday, region: { province: '省', city }, ...(source === 'store' ? { homeStoreId: `S${p % 300}`, registeredAt: iso(Math.floor(rand() * 700)) } : {}), ...(rand() < 0.5 ? { gender: rand() < 0.5 ? 'F' : 'M' } : {}) },
      ...(source === 'store' ? { memberId: `M${p}` } : {}),
    };
  }
}

const mb = (b: number) => (b / 1024 / 1024).toFixed(0);
const ms = (t: number) => (performance.now() - t).toFixed(0);

gc();
const heap0 = process.memoryUsage().heapUsed;
const r = new Resolver({ sourcePriority: SOURCES });
let p = 1000;
let t = performance.now();
while (r.size < TARGET) for (const x of person(p++)) r.add(x);
const loadMs = ms(t);
const people = p - 1000;
gc();
const mem = process.memoryUsage();
console.log(`records ${r.size.toLocaleString('en')} from ${people.toLocaleString('en')} people`);
console.log(`incremental load of all records: ${loadMs} ms`);
console.log(`heap used by the resolver: ${mb(mem.heapUsed - heap0)} MB (+ ${mb(mem.arrayBuffers)} MB array buffers); rss ${mb(mem.rss)} MB`);
const peak = () => `peak rss ${mb(Number(readFileSync('/proc/self/status', 'utf8').match(/VmHWM:\s+(\d+)/)?.[1] ?? 0) * 1024)} MB`;

t = performance.now();
const changes = r.resolveAll();
console.log(`resolveAll: ${ms(t)} ms (changes vs incremental: ${changes.merged.length} merged, ${changes.split.length} split)`);
t = performance.now();
r.resolveAll();
console.log(`resolveAll again: ${ms(t)} ms`);

const lat: number[] = [];
for (let i = 0; i < 1000; i++) {
  const recs = [...person(p++)];
  for (const x of recs) {
    const s = performance.now();
    r.add(x);
    lat.push(performance.now() - s);
  }
}
// Half of the adds hit an existing member: a new channel record for a known person.
for (let i = 0; i < 1000; i++) {
  const known = 1000 + Math.floor(rand() * people);
  const x: SourceRecord = { id: `pos:${known}-${i}`, source: 'pos', observedAt: iso(800), identities: { phone: `+86139${String(known).padStart(8, '0')}` }, profile: {} };
  const s = performance.now();
  r.add(x);
  lat.push(performance.now() - s);
}
lat.sort((a, b) => a - b);
const q = (f: number) => lat[Math.min(lat.length - 1, Math.floor(f * lat.length))]!.toFixed(3);
console.log(`add() of ${lat.length} new records: p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms`);

t = performance.now();
const m = r.figures().metrics;
console.log(`metrics: ${ms(t)} ms`, JSON.stringify({ ...m, identificationRate: +m.identificationRate.toFixed(4), averageCompleteness: +m.averageCompleteness.toFixed(4) }));
console.log('quarantined:', JSON.stringify(r.quarantined().slice(0, 5)));
const s = process.argv.includes('--no-suggestions') ? [] : (() => {
  t = performance.now();
  const found = r.suggestions();
  console.log(`suggestions: ${ms(t)} ms, ${found.length} pairs`);
  return found;
})();

// The snapshot (decision 030): written and read back as a restarted hub would, then checked.
{
  const dir = mkdtempSync(join(tmpdir(), 'one-id-snap-'));
  try {
    t = performance.now();
    const { meta, arrays } = r.exportState();
    const bytes = writeSnapshotFile(dir, { resolver: meta }, arrays);
    console.log(`snapshot written in one go: ${ms(t)} ms, ${mb(bytes)} MB`);
    // As the hub writes it (decision 032): a slice at a time; the longest the event loop waited
    // meanwhile, beside the same measure over as long a wait with nothing to do (the machine's share).
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    t = performance.now();
    const sliced = await writeSnapshotSliced(dir, { resolver: meta }, arrays, () => true);
    delay.disable();
    const slicedMs = performance.now() - t;
    const idle = monitorEventLoopDelay({ resolution: 10 });
    idle.enable();
    await new Promise((r) => setTimeout(r, slicedMs));
    idle.disable();
    const f = (h: typeof delay) => `p99 ${(h.percentile(99) / 1e6).toFixed(1)} ms, max ${(h.max / 1e6).toFixed(1)} ms`;
    console.log(`snapshot written in slices: ${slicedMs.toFixed(0)} ms, ${'slices' in sliced ? sliced.slices : 0} slices; event loop delay during it: ${f(delay)} (idle, as long: ${f(idle)}); ${peak()}`);
    t = performance.now();
    const file = readSnapshotFile(dir, (name, length) => (name.startsWith('pool.') || name.startsWith('resolver.members') ? 0 : (length >> 3) + 1024));
    if ('refused' in file) throw new Error(file.refused);
    const back = Resolver.fromState({ sourcePriority: SOURCES }, (file.meta as { resolver: ResolverStateMeta }).resolver, file.arrays);
    console.log(`snapshot read into a resolver: ${ms(t)} ms`);
    const probe = Array.from({ length: 1000 }, (_, i) => `crm:${1000 + Math.floor((i * people) / 1000)}`);
    const same = probe.every((id) => back.memberOf(id) === r.memberOf(id));
    console.log(`read-back resolver answers the same for 1000 records: ${same}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
gc();
console.log(`heap at the end: ${mb(process.memoryUsage().heapUsed)} MB; ${peak()}`);

// Where the memory goes (issue 14): drop each structure in turn and see what a full GC gives back.
if (process.argv.includes('--breakdown')) {
  const inner = r as unknown as Record<string, unknown> & { store: Record<string, unknown>; clusters: unknown };
  const parts: [string, () => void][] = [
    ['suggestions and metrics left over', () => s.splice(0)],
    ['resolver.byMemberId (golden id → naming record)', () => (inner.byMemberId = null)],
    ['store.idPool (record ids)', () => (inner.store.idPool = null)],
    ['store.keyPool (keys)', () => (inner.store.keyPool = null)],
    ['store.exact (member ids, registration times, emails)', () => (inner.store.exact = null)],
    ['store interners (sources, times, texts)', () => ((inner.store.sources = null), (inner.store.times = null), (inner.store.texts = null))],
    ['clusters (typed arrays)', () => (inner.clusters = null)],
    ['store columns and key slots (typed arrays)', () => { for (const k of Object.keys(inner.store)) if (ArrayBuffer.isView(inner.store[k])) inner.store[k] = null; }],
  ];
  gc();
  let before = process.memoryUsage();
  for (const [name, drop] of parts) {
    drop();
    gc();
    const now = process.memoryUsage();
    console.log(`  ${name}: heap ${mb(before.heapUsed - now.heapUsed)} MB, array buffers ${mb(before.arrayBuffers - now.arrayBuffers)} MB`);
    before = now;
  }
  console.log(`  left: heap ${mb(before.heapUsed - heap0)} MB`);
}
