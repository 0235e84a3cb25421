import { addDays } from '../local-time.ts';
import type { LoyaltyRules } from '../schemas/rules.ts';
import { expiryFor, ledgerBalance, type LedgerFact } from './points.ts';

/*
 * Vesting (issue 13, decision 018): points a receipt earns become spendable `vestingDays` after
 * the receipt's store-local day (the return window). Until then they are pending; a refund in
 * the window cancels them from the receipt's pending points, never from the spendable balance.
 * The dates ride on the facts (the order's pointsVestOn, the ledger entries' vestsOn), so every
 * store and the hub count them the same without knowing which rules priced the receipt.
 */

/**
 * The day points earned on `day` become spendable under `rules`, or undefined when at once.
 *
 * @example vestingDayFor({ ...DEFAULT_RULES, vestingDays: 7 }, '2026-03-01') // '2026-03-08'
 */
export function vestingDayFor(rules: Pick<LoyaltyRules, 'vestingDays'>, day: string): string | undefined {
  const days = rules.vestingDays ?? 0;
  return days > 0 ? addDays(day, days) : undefined;
}

/**
 * The last day vested points can be spent: the rules' expiry counted from the day they vest, so
 * points lose none of their life while pending.
 *
 * @example earnedExpiry(DEFAULT_RULES, '2026-03-01', '2026-03-08') // '2028-03-08' (24 months from vesting)
 */
export function earnedExpiry(rules: Pick<LoyaltyRules, 'expiry'>, day: string, vestsOn: string | undefined): string | undefined {
  return expiryFor(rules.expiry, vestsOn ?? day);
}

/**
 * The vesting day a refund's claw-back carries: the order's, while the refund is made before it
 * (the claw-back then cancels pending points); undefined once they have vested (a claw-back as
 * before vesting existed, which may leave a debt).
 *
 * @example clawbackVestsOn({ pointsVestOn: '2026-03-08' }, '2026-03-05') // '2026-03-08'
 * @example clawbackVestsOn({ pointsVestOn: '2026-03-08' }, '2026-03-08') // undefined
 */
export function clawbackVestsOn(order: { pointsVestOn?: string | undefined }, refundDay: string): string | undefined {
  return order.pointsVestOn !== undefined && refundDay < order.pointsVestOn ? order.pointsVestOn : undefined;
}

/**
 * The points a member can spend now: what the till lets pay a receipt and what a points
 * exchange may take. Pending (unvested) and expired points do not count; a debt does.
 *
 * @example spendableNow([{ id: 'a', delta: 200, atMs: 0, day: '2026-01-01', vestsOn: '2026-01-08' }], '2026-01-07') // 0
 */
export function spendableNow(entries: readonly LedgerFact[], today: string): number {
  return ledgerBalance(entries, today).balance;
}
