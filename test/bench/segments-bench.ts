import { ABSENT, allMembers, popcount, segmentBits, type SegmentColumn, type SegmentColumns } from '../../shared/profile/segment-count.ts';
import { SegmentRule, type Condition } from '../../shared/profile/segment-rules.ts';

/*
 * Issue 12's figure "a segment count of a 5-condition rule over 1,000,000 members ≤ 200 ms, over
 * 8,000,000 synthetic members (in memory) ≤ 1 s": the columns are filled synthetically (typed
 * arrays as hub/profile/columns.ts holds them, a seeded generator), then the count is timed
 * against a baseline measured in the same run on the same data: one plain loop summing one
 * Int32Array column over every member.
 */

const SIZES = (process.env.BENCH_SEGMENT_SIZES ?? '1000000,8000000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_SEGMENT_RUNS ?? 15);

/** The rule timed: five conditions over four kinds (int range, int, enum, set, store within a region). */
export const BENCH_RULE: Condition = {
  all: [
    { field: 'age', op: 'between', min: 25, max: 45 },
    { field: 'gender', op: 'in', values: ['F'] },
    { field: 'spend365', op: 'gte', value: 20_000 },
    { field: 'tags', op: 'containsAny', values: ['coffee_lover', 'tea_lover'] },
    { field: 'homeStore', op: 'within', values: ['region:East'] },
  ],
};

const STORES = Array.from({ length: 3000 }, (_, i) => `S${String(i + 1).padStart(4, '0')}`);
const EAST = new Set(STORES.slice(0, 1000));
const TAGS = ['coffee_lover', 'tea_lover', 'vip', 'dormant', 'new', 'omnichannel'];

/** A small seeded generator: the same base every run. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    s ^= s >>> 13;
    return s / 4294967296;
  };
}

function syntheticColumns(n: number): SegmentColumns & { bytes: number } {
  const r = rng(n);
  const age = new Int32Array(n);
  const spend = new Int32Array(n);
  const gender = new Uint16Array(n);
  const home = new Uint16Array(n);
  const words = (n + 31) >>> 5;
  const tags = new Map(TAGS.map((t) => [t, new Uint32Array(words)]));
  const tagBits = [...tags.values()];
  for (let i = 0; i < n; i++) {
    age[i] = r() < 0.1 ? -2147483648 : 16 + Math.floor(r() * 60);
    spend[i] = Math.floor(r() * r() * 500_000);
    gender[i] = 1 + Math.floor(r() * 3);
    home[i] = 1 + Math.floor(r() * STORES.length);
    for (const b of tagBits) if (r() < 0.2) b[i >>> 5]! |= 1 << (i & 31);
  }
  const cols = new Map<string, SegmentColumn>([
    ['age', { kind: 'int', values: age, absent: ABSENT }],
    ['spend365', { kind: 'int', values: spend, absent: ABSENT }],
    ['gender', { kind: 'enum', codes: gender, values: ['M', 'F', 'U'] }],
    ['homeStore', { kind: 'enum', codes: home, values: STORES }],
    ['tags', { kind: 'set', bits: tags }],
  ]);
  return { column: (f) => cols.get(f), bytes: (age.byteLength + spend.byteLength) + gender.byteLength + home.byteLength + words * 4 * TAGS.length };
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

export interface SegmentBenchRow {
  members: number;
  matched: number;
  fillMs: number;
  columnBytes: number;
  count: { p50: number; p95: number };
  baseline: { p50: number; p95: number };
}

export async function benchSegments(): Promise<{ runs: number; rows: SegmentBenchRow[] }> {
  SegmentRule.parse(BENCH_RULE);
  const storesUnder = (node: string) => (node === 'region:East' ? EAST : new Set<string>());
  const rows: SegmentBenchRow[] = [];
  for (const n of SIZES) {
    const t0 = performance.now();
    const cols = syntheticColumns(n);
    const fillMs = performance.now() - t0;
    const spend = (cols.column('spend365') as { values: Int32Array }).values;
    const counts: number[] = [];
    const base: number[] = [];
    let matched = 0;
    let sink = 0;
    // Interleaved, after two warm-up rounds, so drift and GC hit both alike.
    for (let i = 0; i < RUNS + 2; i++) {
      const a = performance.now();
      // The count as the service does it: who exists (all here), the rule's bitset, its population.
      matched = popcount(segmentBits(BENCH_RULE, cols, allMembers(n), storesUnder));
      const b = performance.now();
      let sum = 0;
      for (let m = 0; m < n; m++) sum += spend[m]!;
      sink += sum;
      const c = performance.now();
      if (i >= 2) {
        counts.push(b - a);
        base.push(c - b);
      }
    }
    if (sink === -1) console.error(sink);
    rows.push({ members: n, matched, fillMs, columnBytes: cols.bytes, count: { p50: percentile(counts, 50), p95: percentile(counts, 95) }, baseline: { p50: percentile(base, 50), p95: percentile(base, 95) } });
  }
  return { runs: RUNS, rows };
}
