import type { OrderDoc } from '../schemas/documents.ts';
import type { LoyaltyRules } from '../schemas/rules.ts';
import { lineRatePct } from './earning.ts';

/*
 * What the hub checks of a receipt's earning beyond repricing it (decision 017). Repricing uses
 * what the order says each line was (category, brand) and the day it says it was made; a stolen
 * store could claim a double-points category for a line, or a member day. So:
 *  - a line whose SKU the hub's product master knows may not earn at a higher rate than one of
 *    the (category, brand) pairs the master has had for it gives (any of them: a store offline
 *    prices with the master it holds, as it prices with the rules it holds);
 *  - the store-local day may differ from the UTC date of the receipt's time by one day at most
 *    (every time zone lies within a day of UTC).
 * A SKU the master does not know is judged as the receipt says: a store can invent a receipt
 * anyway, and the per-receipt ceiling with its incidents bounds that.
 */

export interface ProductAttributes {
  category?: string | undefined;
  brand?: string | undefined;
}

const DAY_MS = 86_400_000;

/** Why the order's store-local day cannot be the day of its time, or undefined. */
export function earningDayRefusal(o: Pick<OrderDoc, 'at' | 'day'>): string | undefined {
  const off = Math.abs(Date.parse(`${o.day}T00:00:00Z`) - Date.parse(`${o.at.slice(0, 10)}T00:00:00Z`));
  return off > DAY_MS ? `day ${o.day} is not the store-local day of ${o.at}` : undefined;
}

/**
 * The first line that claims a better rate than the product master gives its SKU, as a reason, or undefined.
 *
 * @example earnedLineRefusal(orderClaimingSnacksForTobacco, rules, master) // 'line 1 (SKU T-1) claims category food/snacks, which earns more than the product master's'
 */
export function earnedLineRefusal(o: Pick<OrderDoc, 'lines' | 'storeId' | 'day'>, rules: LoyaltyRules, product: (sku: string) => readonly ProductAttributes[] | undefined): string | undefined {
  for (const [i, l] of o.lines.entries()) {
    if (l.giftOf !== undefined || l.payableCents === 0) continue;
    const known = product(l.sku);
    if (!known || known.length === 0) continue;
    const claimed = lineRatePct(rules.earning, l, o.storeId, o.day);
    const allowed = Math.max(...known.map((k) => lineRatePct(rules.earning, { sku: l.sku, category: k.category, brand: k.brand }, o.storeId, o.day)));
    if (claimed > allowed) return `line ${i + 1} (SKU ${l.sku}) claims category ${l.category ?? '-'} and brand ${l.brand ?? '-'}, which earn more than the product master's`;
  }
  return undefined;
}
