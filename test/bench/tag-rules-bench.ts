import { CHANNEL_KEYS, LIFECYCLE_STAGES, RFM_SEGMENTS, type Profile, type ProfileValue } from '../../shared/profile/fields.ts';
import { DEFAULT_TAG_RULES } from '../../shared/profile/tag-catalogue.ts';
import { compileTagRules, tagsOf } from '../../shared/profile/tag-rules.ts';

/*
 * Issue 12's nightly run evaluates every tag rule over every golden member (1,000,000). This
 * measures the evaluator alone: the default catalogue, compiled once, over profiles with every
 * field filled the way the metrics engine fills them. The profiles are a pool of distinct ones
 * cycled through (a million Maps of fifty fields would measure the garbage collector), so the
 * figure is an upper bound for cache-friendly data; reported, never asserted.
 */

const POOL = Number(process.env.BENCH_TAGS_POOL ?? 50_000);
const PROFILES = Number(process.env.BENCH_TAGS_PROFILES ?? 1_000_000);
const DAY = '2026-06-15';

/** A small deterministic generator (mulberry32): the same profiles every run. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CATEGORIES = ['coffee/beans', 'coffee/equipment', 'tea', 'snacks', 'beauty', 'skincare', 'sports', 'shoes', 'apparel', 'home', 'fresh', 'wine', 'bakery', 'digital', 'baby', 'pets', 'gifts'];

export function syntheticProfile(rnd: () => number): Profile {
  const int = (max: number) => Math.floor(rnd() * max);
  const pick = <T>(xs: readonly T[]) => xs[int(xs.length)]!;
  const some = <T>(xs: readonly T[], p: number) => xs.filter(() => rnd() < p);
  const orders = int(40);
  const p = new Map<string, ProfileValue>([
    ['gender', pick(['M', 'F', 'U'])],
    ['age', 16 + int(60)],
    ['birthMonth', 1 + int(12)],
    ['daysSinceRegistered', int(2000)],
    ['tier', pick(['L1', 'L2', 'L3', 'L4'])],
    ['followsOfficialAccount', int(2)],
    ['isMember', rnd() < 0.9 ? 1 : 0],
    ['consents', new Set(some(['sms', 'wechat', 'email', 'phone'], 0.5))],
    ['orders', orders],
    ['orders30', int(4)],
    ['orders90', int(10)],
    ['orders365', int(30)],
    ['spend', int(3_000_000)],
    ['spend30', int(200_000)],
    ['spend90', int(500_000)],
    ['spend365', int(1_000_000)],
    ['avgOrderValue', int(80_000)],
    ['itemsPerOrder', 100 + int(600)],
    ['attachRate', int(10_000)],
    ['avgDiscountRate', int(4_000)],
    ['daysSinceLastPurchase', int(800)],
    ['purchaseFrequency', int(8_000)],
    ['channels', new Set(some(CHANNEL_KEYS, 0.5))],
    ['channelShare', new Map([['store', int(10_000)], ['tmall', int(3_000)]])],
    ['storesVisited', new Set(some(['s1', 's2', 's3', 's4', 's5'], 0.3))],
    ['categoryScore', new Map(some(CATEGORIES, 0.3).map((c) => [c, int(400_000)]))],
    ['brandScore', new Map([['own-label', int(200_000)]])],
    ['skuScore', new Map([['BEAN-HOUSE-1KG', int(5_000)], ['CUP-001', int(3_000)]])],
    ['fullPriceShare', int(10_000)],
    ['promoShare', int(10_000)],
    ['couponsIssued', int(10)],
    ['couponsRedeemed', int(6)],
    ['couponRedemptionRate', int(10_000)],
    ['pointsEarned', int(20_000)],
    ['pointsSpent', int(10_000)],
    ['pointsExpired', int(2_000)],
    ['pointsBalance', int(20_000)],
    ['refunds', int(5)],
    ['refundRate', int(4_000)],
    ['interactions90', int(6)],
    ['rfmR', 1 + int(5)],
    ['rfmF', 1 + int(5)],
    ['rfmM', 1 + int(5)],
    ['rfmSegment', pick(RFM_SEGMENTS)],
    ['stage', pick(LIFECYCLE_STAGES)],
  ]);
  // A member without orders has no days since the last one (unknown), as the engine leaves it.
  if (orders === 0) p.delete('daysSinceLastPurchase');
  return p;
}

export interface TagBenchResult {
  rules: number;
  profiles: number;
  seconds: number;
  rulesTimesProfilesPerSecond: number;
  profilesPerSecond: number;
  meanTags: number;
  /** The floor, measured in the same run: per profile, one Map.get and a comparison per rule, nothing else. */
  baselineSeconds: number;
}

export function benchTagRules(): TagBenchResult {
  const rnd = random(12);
  const pool = Array.from({ length: POOL }, () => syntheticProfile(rnd));
  const compiled = compileTagRules(DEFAULT_TAG_RULES);
  // Warm-up: the JIT settles before the clock starts.
  for (let i = 0; i < 20_000; i++) tagsOf(compiled, pool[i % POOL]!, DAY);
  let tags = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < PROFILES; i++) tags += tagsOf(compiled, pool[i % POOL]!, DAY).size;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const rules = compiled.compiled.length;
  let hits = 0;
  const baseStart = process.hrtime.bigint();
  for (let i = 0; i < PROFILES; i++) {
    const p = pool[i % POOL]!;
    for (let r = 0; r < rules; r++) if ((p.get('age') as number) >= r) hits++;
  }
  const baselineSeconds = Number(process.hrtime.bigint() - baseStart) / 1e9;
  if (hits < 0) console.log(hits);
  return { rules, profiles: PROFILES, seconds, baselineSeconds, rulesTimesProfilesPerSecond: (rules * PROFILES) / seconds, profilesPerSecond: PROFILES / seconds, meanTags: tags / PROFILES };
}

export function tagBenchMarkdown(r: TagBenchResult): string {
  return [
    `### Tag rules: the default catalogue over ${r.profiles.toLocaleString('en')} profiles (a pool of ${POOL.toLocaleString('en')} distinct synthetic ones, every field filled)`,
    '',
    '| rules | profiles | seconds | rules × profiles / s | profiles / s | tags per profile (mean) | baseline s (a Map.get per rule) |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ${r.rules} | ${r.profiles.toLocaleString('en')} | ${r.seconds.toFixed(2)} | ${Math.round(r.rulesTimesProfilesPerSecond).toLocaleString('en')} | ${Math.round(r.profilesPerSecond).toLocaleString('en')} | ${r.meanTags.toFixed(1)} | ${r.baselineSeconds.toFixed(2)} |`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(tagBenchMarkdown(benchTagRules()));
