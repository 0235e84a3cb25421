import { LIMITS } from '../limits.ts';
import type { EarnRule, Earning, LoyaltyRules, TierRule } from '../schemas/rules.ts';
import { earnedPoints } from './points.ts';

/*
 * Points a receipt earns under the rules' earning section (decision 017). One order, always:
 *
 *   1. Each line's base is what is paid on it: its payable cents after coupons and points as cash.
 *   2. Each line's rate: of the line rules in force on the receipt's store-local day, at this
 *      store, that match the line (category prefix, brand, SKU; every condition given must hold),
 *      an exclusion (rate 0) wins; otherwise the highest rate; no rule: 100%. Rates do not
 *      multiply one another: a double-points category in a store's double opening week is double.
 *   3. The receipt's multiplier: the tier's × member day (on one of its days of the month) ×
 *      birthday month (the member's birthday month is the receipt's store-local month).
 *   4. points = floor(Σ payable × rate × pointsPerYuan × tier × memberDay × birthday / 100⁵):
 *      integer arithmetic (BigInt where it is needed), rounded down once, for the whole receipt.
 *   5. The ceiling (maxPointsPerReceipt) last: above it the receipt earns the ceiling and says
 *      what it would have earned.
 *
 * Without an earning section this is exactly the old rule, floor(payable × rate × tier / 10⁴).
 */

/** What a line brings to its earning: what it is, and what is paid on it. */
export interface EarnLine {
  sku: string;
  category?: string | undefined;
  brand?: string | undefined;
  payableCents: number;
}

export interface EarnContext {
  storeId: string;
  /** The receipt's store-local day (YYYY-MM-DD): date ranges, member day and birthday month are judged on it. */
  day: string;
  tier: TierRule;
  /** The member's month of birth (1-12) as the pricing side holds it; absent: no birthday multiplier. */
  birthMonth?: number | undefined;
}

export interface Earned {
  points: number;
  /** Present when the ceiling cut the points: what the receipt would have earned. */
  uncapped?: number;
  /** The birthday-month multiplier applied (the order records it; the hub checks the birthday). */
  birthdayMonth?: true;
}

/** Whether a line rule is in force on `day` at `storeId` and matches the line. */
export function ruleMatches(rule: EarnRule, line: Omit<EarnLine, 'payableCents'>, storeId: string, day: string): boolean {
  if (rule.from !== undefined && day < rule.from) return false;
  if (rule.to !== undefined && day > rule.to) return false;
  if (rule.stores && !rule.stores.includes(storeId)) return false;
  if (rule.skus && !rule.skus.includes(line.sku)) return false;
  if (rule.brand !== undefined && line.brand !== rule.brand) return false;
  if (rule.categoryPrefix !== undefined) {
    const c = line.category;
    if (c === undefined || !(c === rule.categoryPrefix || c.startsWith(`${rule.categoryPrefix}/`))) return false;
  }
  return true;
}

/**
 * A line's rate in percent (step 2 above).
 *
 * @example lineRatePct({ lineRules: [{ name: 'tobacco', categoryPrefix: 'tobacco', ratePct: 0 }] }, { sku: 'X', category: 'tobacco/cigars' }, 'S001', '2026-11-08') // 0
 */
export function lineRatePct(earning: Earning | undefined, line: Omit<EarnLine, 'payableCents'>, storeId: string, day: string): number {
  let best = -1;
  for (const rule of earning?.lineRules ?? []) {
    if (!ruleMatches(rule, line, storeId, day)) continue;
    if (rule.ratePct === 0) return 0;
    if (rule.ratePct > best) best = rule.ratePct;
  }
  return best < 0 ? 100 : best;
}

/** The store-local month of `day` (YYYY-MM-DD) is the member's month of birth. */
export const inBirthdayMonth = (birthMonth: number | undefined, day: string) => birthMonth !== undefined && birthMonth === Number(day.slice(5, 7));

/**
 * Points a receipt earns (the order above), before the caller records them.
 *
 * @example earnReceipt(rulesWithDoubleSnacks, [{ sku: 'A', category: 'food/snacks', payableCents: 1000 }], { storeId: 'S001', day: '2026-11-20', tier: l1 })
 * // { points: 20 }
 */
export function earnReceipt(rules: LoyaltyRules, lines: readonly EarnLine[], ctx: EarnContext): Earned {
  const earning = rules.earning;
  let points: number;
  let birthdayMonth = false;
  if (!earning) {
    points = earnedPoints(rules, ctx.tier, lines.reduce((s, l) => s + l.payableCents, 0));
  } else {
    let weighted = 0n;
    for (const l of lines) if (l.payableCents > 0) weighted += BigInt(l.payableCents) * BigInt(lineRatePct(earning, l, ctx.storeId, ctx.day));
    const memberDay = earning.memberDay && earning.memberDay.daysOfMonth.includes(Number(ctx.day.slice(8, 10))) ? earning.memberDay.multiplierPct : 100;
    birthdayMonth = earning.birthdayMonth !== undefined && inBirthdayMonth(ctx.birthMonth, ctx.day);
    const birthday = birthdayMonth ? earning.birthdayMonth!.multiplierPct : 100;
    const numerator = weighted * BigInt(rules.earn.pointsPerYuan) * BigInt(ctx.tier.multiplierPct) * BigInt(memberDay) * BigInt(birthday);
    points = Number(numerator / 10_000_000_000n);
  }
  const ceiling = rules.maxPointsPerReceipt;
  // What a fact may carry: rates × multipliers can go past it where the old rule could not.
  const uncapped = Math.min(points, LIMITS.points);
  return {
    points: Math.min(points, ceiling),
    ...(uncapped > ceiling ? { uncapped } : {}),
    ...(birthdayMonth ? { birthdayMonth: true as const } : {}),
  };
}
