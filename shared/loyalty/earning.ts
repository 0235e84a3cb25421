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

/**
 * A line rule made ready to match many lines: its prefix with the slash, its SKU and store lists
 * as sets. Built once per earning section (rules documents are replaced, never changed in place),
 * not once per line and rule: a checkout matches every line against every rule.
 */
interface CompiledRule {
  rule: EarnRule;
  prefixSlash: string | undefined;
  skus: ReadonlySet<string> | undefined;
  stores: ReadonlySet<string> | undefined;
}

const compileRule = (rule: EarnRule): CompiledRule => ({
  rule,
  prefixSlash: rule.categoryPrefix === undefined ? undefined : `${rule.categoryPrefix}/`,
  skus: rule.skus ? new Set(rule.skus) : undefined,
  stores: rule.stores ? new Set(rule.stores) : undefined,
});

const compiledRules = new WeakMap<Earning, CompiledRule[]>();

function compiled(earning: Earning): CompiledRule[] {
  let rules = compiledRules.get(earning);
  if (!rules) compiledRules.set(earning, (rules = earning.lineRules.map(compileRule)));
  return rules;
}

/** Whether a line rule is in force on `day` at `storeId` and matches the line. */
export const ruleMatches = (rule: EarnRule, line: Omit<EarnLine, 'payableCents'>, storeId: string, day: string) => matches(compileRule(rule), line, storeId, day);

function matches(c: CompiledRule, line: Omit<EarnLine, 'payableCents'>, storeId: string, day: string): boolean {
  const rule = c.rule;
  if (rule.from !== undefined && day < rule.from) return false;
  if (rule.to !== undefined && day > rule.to) return false;
  if (c.stores && !c.stores.has(storeId)) return false;
  if (c.skus && !c.skus.has(line.sku)) return false;
  if (rule.brand !== undefined && line.brand !== rule.brand) return false;
  if (c.prefixSlash !== undefined) {
    const cat = line.category;
    if (cat === undefined || !(cat === rule.categoryPrefix || cat.startsWith(c.prefixSlash))) return false;
  }
  return true;
}

/**
 * A line's rate in percent (step 2 above).
 *
 * @example lineRatePct({ lineRules: [{ name: 'tobacco', categoryPrefix: 'tobacco', ratePct: 0 }] }, { sku: 'X', category: 'tobacco/cigars' }, 'S001', '2026-11-08') // 0
 */
export function lineRatePct(earning: Earning | undefined, line: Omit<EarnLine, 'payableCents'>, storeId: string, day: string): number {
  if (!earning || earning.lineRules.length === 0) return 100;
  let best = -1;
  for (const c of compiled(earning)) {
    if (!matches(c, line, storeId, day)) continue;
    if (c.rule.ratePct === 0) return 0;
    if (c.rule.ratePct > best) best = c.rule.ratePct;
  }
  return best < 0 ? 100 : best;
}

/** The store-local month of `day` (YYYY-MM-DD) is the member's month of birth. */
export const inBirthdayMonth = (birthMonth: number | undefined, day: string) => birthMonth !== undefined && birthMonth === Number(day.slice(5, 7));

const SCALE = 10_000_000_000;

/**
 * floor(Σ payable × rate × Π factors / 100⁵) exactly: in plain numbers while every step is an
 * integer below 2⁵³ (every receipt a till sees; a BigInt a step cost microseconds), in BigInt
 * otherwise. All terms are non-negative, so a step past 2⁵³ leaves the result past it too.
 */
function weightedPoints(lines: readonly EarnLine[], rates: readonly number[], factors: readonly number[]): number {
  let n = 0;
  for (let i = 0; i < lines.length; i++) if (lines[i]!.payableCents > 0) n += lines[i]!.payableCents * rates[i]!;
  for (const f of factors) n *= f;
  // n is a multiple of SCALE after the subtraction, so the division is exact.
  if (Number.isSafeInteger(n)) return (n - (n % SCALE)) / SCALE;
  let big = 0n;
  for (let i = 0; i < lines.length; i++) if (lines[i]!.payableCents > 0) big += BigInt(lines[i]!.payableCents) * BigInt(rates[i]!);
  for (const f of factors) big *= BigInt(f);
  return Number(big / BigInt(SCALE));
}

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
    const rates = lines.map((l) => (l.payableCents > 0 ? lineRatePct(earning, l, ctx.storeId, ctx.day) : 0));
    const memberDay = earning.memberDay && earning.memberDay.daysOfMonth.includes(Number(ctx.day.slice(8, 10))) ? earning.memberDay.multiplierPct : 100;
    birthdayMonth = earning.birthdayMonth !== undefined && inBirthdayMonth(ctx.birthMonth, ctx.day);
    const birthday = birthdayMonth ? earning.birthdayMonth!.multiplierPct : 100;
    const factors = [rules.earn.pointsPerYuan, ctx.tier.multiplierPct, memberDay, birthday];
    points = weightedPoints(lines, rates, factors);
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
