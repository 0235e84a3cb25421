import { dayNumber, dayString, SPEND_STRIDE } from '../compact-facts.ts';
import { addDays, addMonths } from '../local-time.ts';
import type { LoyaltyRules, TierRule } from '../schemas/rules.ts';
import { rollingSpend, tierForSpend, type SpendFact } from './tiers.ts';

/*
 * A member's tier over time, as a pure function of their spend facts and the rules (decision
 * 019): every store and the hub compute the same tier, offline, whatever order the facts came in.
 *
 * - Upgrades take effect on the day the rolling spend reaches a higher threshold.
 * - Without `rules.tierLife` a tier also falls the day the spend falls (as before tier life).
 * - With it, a tier is only reviewed `graceDays` after each period boundary (periods of
 *   `reviewMonths` from January 1), and a review takes away at most one tier: a member whose
 *   spend no longer reaches Platinum drops to Gold at one review, to Silver at the next.
 */

/** One change of tier: the day it took effect, what it was, what it became, and why. */
export interface TierChange {
  day: string;
  /** Absent for the first tier the member held. */
  from?: string;
  to: string;
  /** reached: the rolling spend reached `to`; review: a period's review; window: spend left the window (no tier life). */
  why: 'reached' | 'review' | 'window';
  /** The rolling spend on that day, in cents. */
  spendCents: number;
}

export interface TierState {
  tier: TierRule;
  /** The day the member entered the tier they hold (undefined: the first tier, never left). */
  since: string | undefined;
  history: TierChange[];
}

/**
 * Spend facts sorted by day, with running sums, and the day each stops counting: the rolling
 * spend of any day is then two binary searches, with no date arithmetic per day asked. Typed
 * arrays: a checkout recomputes this for a member with hundreds of receipts, and the garbage of
 * an array per fact showed as pauses of 10 ms and more at the 99th percentile.
 */
interface Timeline {
  days: Float64Array;
  /** exits[i]: the first day fact i no longer counts; sorted too (a later fact leaves later). */
  exits: Float64Array;
  /** sums[i] = cents of facts 0..i-1. */
  sums: Float64Array;
}

/** A timeline from facts' days and cents (any order). */
function timelineOf(days: Float64Array, cents: Float64Array, months: number): Timeline {
  const n = days.length;
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) sorted = days[i - 1]! <= days[i]!;
  let order: number[] | undefined;
  if (!sorted) order = Array.from({ length: n }, (_, i) => i).sort((a, b) => days[a]! - days[b]!);
  const t: Timeline = { days: new Float64Array(n), exits: new Float64Array(n), sums: new Float64Array(n + 1) };
  for (let i = 0; i < n; i++) {
    const k = order ? order[i]! : i;
    t.days[i] = days[k]!;
    t.exits[i] = exitDay(days[k]!, months);
    t.sums[i + 1] = t.sums[i]! + cents[k]!;
  }
  return t;
}

function timeline(facts: readonly SpendFact[], months: number): Timeline {
  const days = new Float64Array(facts.length);
  const cents = new Float64Array(facts.length);
  facts.forEach((f, i) => {
    days[i] = dayNumber(f.day);
    cents[i] = f.cents;
  });
  return timelineOf(days, cents, months);
}

/** How many of the sorted numbers are at most `day`. */
function countUpTo(list: Float64Array, day: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]! <= day) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The same sum as rollingSpend: facts after the window's start and up to `day`, never below zero. */
function rollingOn(t: Timeline, day: number): number {
  return Math.max(0, t.sums[countUpTo(t.days, day)]! - t.sums[countUpTo(t.exits, day)]!);
}

const rank = (rules: LoyaltyRules, code: string) => rules.tiers.findIndex((t) => t.code === code);

const exits = new Map<number, number>();

/**
 * The first day on which a fact of `day` no longer counts in a window of `months`: the first D
 * with addMonths(D, -months) >= day (months clamp: up to 3 days after addMonths(day, months)).
 * Calendar days repeat across members: remembered.
 */
function exitDay(day: number, months: number): number {
  const key = day * 128 + months;
  let exit = exits.get(key);
  if (exit === undefined) {
    const s = dayString(day);
    let d = addMonths(s, months);
    while (addMonths(d, -months) < s) d = addDays(d, 1);
    exit = dayNumber(d);
    if (exits.size > 100_000) exits.clear();
    exits.set(key, exit);
  }
  return exit;
}

/** Review days (boundary + grace) from the first period boundary after `first` through `today`. */
function reviewDays(first: string, today: string, life: NonNullable<LoyaltyRules['tierLife']>): number[] {
  const out: number[] = [];
  const [y, m] = first.split('-').map(Number) as [number, number];
  const startMonth = Math.floor((m - 1) / life.reviewMonths) * life.reviewMonths + 1;
  let boundary = `${String(y).padStart(4, '0')}-${String(startMonth).padStart(2, '0')}-01`;
  for (;;) {
    boundary = addMonths(boundary, life.reviewMonths);
    const review = addDays(boundary, life.graceDays);
    if (review > today) return out;
    out.push(dayNumber(review));
  }
}

function stateOf(rules: LoyaltyRules, t: Timeline, today: string): TierState {
  const first = rules.tiers[0]!;
  const todayN = dayNumber(today);
  const n = countUpTo(t.days, todayN);
  if (n === 0) return { tier: first, since: undefined, history: [] };
  const life = rules.tierLife;
  // The days the spend changes (a fact counts from its day, and not from the day it leaves the
  // window: a refund leaving it raises the spend), and the reviews: a tier can be lost on any of
  // them without tier life, only at a review with it.
  const reviews = life ? reviewDays(dayString(t.days[0]!), today, life) : [];
  const days = new Float64Array(2 * n + reviews.length);
  let m = 0;
  for (let i = 0; i < n; i++) {
    days[m++] = t.days[i]!;
    if (t.exits[i]! <= todayN) days[m++] = t.exits[i]!;
  }
  for (const r of reviews) days[m++] = r;
  const checks = days.subarray(0, m).sort();
  const reviewSet = new Set(reviews);

  let current = 0;
  let since: string | undefined;
  const history: TierChange[] = [];
  const change = (day: number, to: number, why: TierChange['why'], spendCents: number) => {
    history.push({ day: dayString(day), from: rules.tiers[current]!.code, to: rules.tiers[to]!.code, why, spendCents });
    current = to;
    since = dayString(day);
  };
  for (let i = 0; i < checks.length; i++) {
    const day = checks[i]!;
    if (i > 0 && checks[i - 1] === day) continue;
    const spend = rollingOn(t, day);
    const reached = rank(rules, tierForSpend(rules, spend).code);
    if (reached > current) change(day, reached, 'reached', spend);
    else if (reached < current && (!life || reviewSet.has(day))) change(day, life ? Math.max(reached, current - 1) : reached, life ? 'review' : 'window', spend);
  }
  return { tier: rules.tiers[current]!, since, history };
}

/**
 * The tier a member holds on `today`, when they entered it, and every change before.
 *
 * @example tierState(rules, [{ day: '2026-03-02', cents: 200_000 }], '2026-03-05').tier.code // 'L3'
 */
export function tierState(rules: LoyaltyRules, facts: readonly SpendFact[], today: string): TierState {
  return stateOf(rules, timeline(facts, rules.tierWindowMonths), today);
}

/** The tier held on `today`: with no tier life, the highest the rolling spend reaches (tierFor). */
export function heldTier(rules: LoyaltyRules, facts: readonly SpendFact[], today: string): TierRule {
  if (!rules.tierLife) return tierForSpend(rules, rollingSpend(rules, facts, today));
  return tierState(rules, facts, today).tier;
}

const packedMemo = new WeakMap<readonly number[], { rules: LoyaltyRules; today: string; state: TierState }>();

/**
 * tierState over a store's packed spend tuples (compact-facts.ts). Asked at every identify and
 * checkout: remembered per spend list (a new fact makes a new list), rules and day.
 */
export function packedTierState(rules: LoyaltyRules, packed: readonly number[] | undefined, today: string): TierState {
  if (!packed || packed.length === 0) return { tier: rules.tiers[0]!, since: undefined, history: [] };
  const hit = packedMemo.get(packed);
  if (hit && hit.rules === rules && hit.today === today) return hit.state;
  const n = packed.length / SPEND_STRIDE;
  const days = new Float64Array(n);
  const cents = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    days[i] = packed[i * SPEND_STRIDE + 1]!;
    cents[i] = packed[i * SPEND_STRIDE + 2]!;
  }
  const state = stateOf(rules, timelineOf(days, cents, rules.tierWindowMonths), today);
  packedMemo.set(packed, { rules, today, state });
  return state;
}
