import type { RFM_SEGMENTS } from './fields.ts';

/*
 * RFM (issue 12, decision 024): recency, frequency and monetary scores 1-5 by quintiles over the
 * active base, and a named segment per (R, F, M).
 *
 * - The active base: golden members with an order in the last 365 days (orders365 > 0, refunds
 *   netted). Recency is days since the last order, frequency orders365, monetary spend365.
 *   A member with older orders only is outside the base and scores 1/1/1 (segment `lost`); one who
 *   never bought has no RFM at all.
 * - Ties: a member's score follows the mid-rank of their value, (values below + half the values
 *   equal) / base size, cut at 20 %, 40 %, 60 %, 80 %. Equal values always get equal scores, a
 *   value shared by most of the base lands in the middle of the range it spans rather than at its
 *   top or bottom, and a base of one member scores 3/3/3.
 * - Boundaries: the score is monotone in the value, so each cut is kept as the smallest integer
 *   value that reaches it (`RfmBoundaries`). The nightly run recomputes them over the whole base;
 *   between runs a member is scored against the kept ones, exactly as the nightly run would have
 *   scored the same value.
 */

export type RfmSegment = (typeof RFM_SEGMENTS)[number];

/** For each of the 4 cuts, the smallest value scoring above it (higher is better: recency is negated). */
export interface RfmBoundaries {
  /** The day the boundaries were computed for. */
  day: string;
  /** Members in the active base. */
  active: number;
  r: number[];
  f: number[];
  m: number[];
}

/** Days a purchase counts towards the active base. */
export const RFM_WINDOW_DAYS = 365;

/** Boundaries of an empty base: every value scores 3. */
export const NO_BOUNDARIES: RfmBoundaries = { day: '', active: 0, r: [-Infinity, -Infinity, Infinity, Infinity], f: [-Infinity, -Infinity, Infinity, Infinity], m: [-Infinity, -Infinity, Infinity, Infinity] };

/**
 * The cuts of one measure, higher is better; `values` is sorted in place (a typed array sorts
 * numerically, about 60 ms per million).
 *
 * @example cutsOf(Int32Array.from([1, 2, 3, 4, 5])) // [2, 3, 4, 5]
 */
export function cutsOf(values: Int32Array): number[] {
  values.sort();
  const n = values.length;
  const cuts: number[] = [];
  if (n === 0) return [...NO_BOUNDARIES.r];
  // score(v) > k ⇔ 5 · (2·below(v) + equal(v)) ≥ 2 · n · k (integers: the mid-rank reaches k/5).
  let k = 1;
  for (let i = 0; i < n && k <= 4; ) {
    const x = values[i]!;
    let j = i;
    while (j < n && values[j] === x) j++;
    const below = i, equal = j - i;
    while (k <= 4 && 5 * (2 * below + equal) >= 2 * n * k) cuts.push(x), k++;
    // A value just above x, not held by anyone: all of x's run is below it.
    const next = j < n ? values[j]! : Infinity;
    if (next !== x + 1) while (k <= 4 && 5 * 2 * j >= 2 * n * k) cuts.push(x + 1), k++;
    i = j;
  }
  while (cuts.length < 4) cuts.push(Infinity);
  return cuts;
}

/** A score 1-5 against the cuts of its measure. */
export function scoreOf(value: number, cuts: readonly number[]): number {
  let s = 1;
  for (const c of cuts) if (value >= c) s++;
  return s;
}

/** A column by member number, of any integer width: `absent` marks a member without a value (and a free row). */
export interface IntColumn {
  values: ArrayLike<number>;
  absent: number;
}

/**
 * The boundaries over a base given as columns by member number. Only members with orders365 > 0
 * count.
 *
 * @example rfmBoundaries({ values: days, absent }, { values: orders365, absent }, { values: spend365, absent }, '2026-11-30')
 */
export function rfmBoundaries(days: IntColumn, orders365: IntColumn, spend365: IntColumn, day: string, size = days.values.length): RfmBoundaries {
  const d = days.values, o = orders365.values, s = spend365.values;
  const counts = (i: number) => o[i]! > 0 && o[i] !== orders365.absent && d[i] !== days.absent;
  let n = 0;
  for (let i = 0; i < size; i++) if (counts(i)) n++;
  const r = new Int32Array(n), f = new Int32Array(n), m = new Int32Array(n);
  for (let i = 0, k = 0; i < size; i++) {
    if (!counts(i)) continue;
    r[k] = -d[i]!;
    f[k] = o[i]!;
    m[k] = s[i] === spend365.absent ? 0 : s[i]!;
    k++;
  }
  return { day, active: n, r: cutsOf(r), f: cutsOf(f), m: cutsOf(m) };
}

export interface RfmScore {
  r: number;
  f: number;
  m: number;
  segment: RfmSegment;
}

/**
 * A member's RFM against kept boundaries: undefined for one who never bought, 1/1/1 for one with
 * no order in the window.
 *
 * @example rfmOf({ daysSinceLastPurchase: 3, orders365: 9, spend365: 500_000 }, b) // { r: 5, f: 5, m: 5, segment: 'champions' }
 */
export function rfmOf(m: { daysSinceLastPurchase?: number | undefined; orders365?: number | undefined; spend365?: number | undefined }, b: RfmBoundaries): RfmScore | undefined {
  if (m.daysSinceLastPurchase === undefined) return undefined;
  if (!m.orders365 || m.orders365 <= 0) return { r: 1, f: 1, m: 1, segment: segmentOf(1, 1, 1) };
  const r = scoreOf(-m.daysSinceLastPurchase, b.r);
  const f = scoreOf(m.orders365, b.f);
  const mm = scoreOf(m.spend365 ?? 0, b.m);
  return { r, f, m: mm, segment: segmentOf(r, f, mm) };
}

/**
 * The named segment of (R, F, M), first rule that matches:
 *
 * | segment     | R    | F    | M    | who                                             |
 * |-------------|------|------|------|-------------------------------------------------|
 * | champions   | ≥ 4  | ≥ 4  | ≥ 4  | bought lately, often, for much                  |
 * | loyal       | ≥ 3  | ≥ 3  |      | buy regularly                                   |
 * | new         | ≥ 4  | 1    |      | one recent order                                |
 * | potential   | ≥ 3  | ≤ 2  |      | recent, not yet often                           |
 * | cant_lose   | ≤ 2  | ≥ 4  | ≥ 4  | were among the best, not seen lately            |
 * | at_risk     | ≤ 2  | ≥ 3  |      | bought often, not lately                        |
 * | hibernating | 2    | ≤ 2  |      | few orders, a while ago                         |
 * | lost        | 1    | ≤ 2  |      | few orders, long ago                            |
 *
 * Every (R, F, M) falls in exactly one (a unit test walks all 125).
 */
export function segmentOf(r: number, f: number, m: number): RfmSegment {
  if (r >= 4 && f >= 4 && m >= 4) return 'champions';
  if (r >= 3 && f >= 3) return 'loyal';
  if (r >= 4 && f === 1) return 'new';
  if (r >= 3) return 'potential';
  if (f >= 4 && m >= 4) return 'cant_lose';
  if (f >= 3) return 'at_risk';
  if (r === 2) return 'hibernating';
  return 'lost';
}
