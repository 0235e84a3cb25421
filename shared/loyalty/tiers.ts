import { addMonths } from '../local-time.ts';
import type { LoyaltyRules, TierRule } from '../schemas/rules.ts';

/** One spend fact: a receipt (+) or a refund (-) on a store-local day. */
export interface SpendFact {
  day: string;
  cents: number;
}

let lastWindow = { today: '', months: 0, from: '' };

/** The first day outside the window ending on `today`; asked on every identify, so remembered. */
export function windowStart(today: string, months: number): string {
  if (lastWindow.today !== today || lastWindow.months !== months) lastWindow = { today, months, from: addMonths(today, -months) };
  return lastWindow.from;
}

/** Spend within the rolling window that ends on `today` (inclusive), never below zero. */
export function rollingSpend(rules: LoyaltyRules, facts: readonly SpendFact[], today: string): number {
  const from = windowStart(today, rules.tierWindowMonths);
  let sum = 0;
  for (const f of facts) if (f.day > from && f.day <= today) sum += f.cents;
  return Math.max(0, sum);
}

/**
 * The tier a member holds on `today`: the highest tier whose threshold the rolling spend reaches.
 * A sum over facts, so it never depends on the order in which they arrived.
 */
export function tierFor(rules: LoyaltyRules, facts: readonly SpendFact[], today: string): TierRule {
  return tierForSpend(rules, rollingSpend(rules, facts, today));
}

/** The highest tier whose threshold a rolling spend reaches. */
export function tierForSpend(rules: LoyaltyRules, spend: number): TierRule {
  let best = rules.tiers[0]!;
  for (const t of rules.tiers) if (spend >= t.minSpendCents && t.minSpendCents >= best.minSpendCents) best = t;
  return best;
}

/** Where a member stands: their tier, and what the next one needs (none above the highest). */
export interface TierProgress {
  tier: TierRule;
  spendCents: number;
  next?: { tier: TierRule; missingCents: number; /** 0-100, rounded down: 100 only once reached. */ percent: number };
}

/**
 * The tier a rolling spend gives and how far it is to the next one, for the guide to say
 * "¥300 more to Gold". The percent runs from the current tier's threshold to the next's.
 *
 * @example tierProgress(DEFAULT_RULES, 100_000) // { tier: L2, spendCents: 100000, next: { tier: L3, missingCents: 50000, percent: 66 } }
 */
export function tierProgress(rules: LoyaltyRules, spendCents: number): TierProgress {
  const spend = Math.max(0, spendCents);
  const tier = tierForSpend(rules, spend);
  let next: TierRule | undefined;
  for (const t of rules.tiers) if (t.minSpendCents > tier.minSpendCents && (!next || t.minSpendCents < next.minSpendCents)) next = t;
  if (!next) return { tier, spendCents: spend };
  const span = next.minSpendCents - tier.minSpendCents;
  const percent = Math.min(99, Math.max(0, Math.floor(((spend - tier.minSpendCents) * 100) / span)));
  return { tier, spendCents: spend, next: { tier: next, missingCents: next.minSpendCents - spend, percent } };
}
