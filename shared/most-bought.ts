/** An order line as far as "what does this member buy" goes. */
export interface BoughtLine {
  category?: string | undefined;
  qty: number;
  payableCents: number;
}

export interface CategoryCount {
  category: string;
  /** Receipts with at least one line of the category. */
  receipts: number;
  units: number;
}

/**
 * The categories a member bought most, for the guide's "talk about" list until the hub projects
 * tags and recommendations: ranked by the receipts they appear on (a habit, not one big
 * basket), then units, then name (so equal counts always come out in one order). Lines without
 * a category are left out; refunds are not subtracted (a returned item was still of interest).
 *
 * @example mostBoughtCategories([{ lines: [{ category: 'tea', qty: 2, payableCents: 100 }] }], 3) // [{ category: 'tea', receipts: 1, units: 2 }]
 */
export function mostBoughtCategories(orders: readonly { lines: readonly BoughtLine[] }[], limit: number): CategoryCount[] {
  const counts = new Map<string, CategoryCount>();
  for (const order of orders) {
    const seen = new Set<string>();
    for (const line of order.lines) {
      const category = line.category?.trim();
      if (!category) continue;
      let c = counts.get(category);
      if (!c) counts.set(category, (c = { category, receipts: 0, units: 0 }));
      c.units += line.qty;
      if (!seen.has(category)) {
        seen.add(category);
        c.receipts++;
      }
    }
  }
  return [...counts.values()].sort((a, b) => b.receipts - a.receipts || b.units - a.units || (a.category < b.category ? -1 : a.category > b.category ? 1 : 0)).slice(0, Math.max(0, limit));
}
