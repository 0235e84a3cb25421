import { describe, expect, it } from 'vitest';
import { mostBoughtCategories } from '../../shared/most-bought.ts';

const line = (category: string | undefined, qty = 1) => ({ category, qty, payableCents: 100 });

describe('mostBoughtCategories', () => {
  it('ranks by receipts, then units, then name; lines without a category count for nothing', () => {
    const orders = [
      { lines: [line('tea', 5), line('tea', 1), line(undefined, 9)] },
      { lines: [line('cups'), line('tea')] },
      { lines: [line('cups', 2)] },
      { lines: [line('beans'), line(' ')] },
      { lines: [line('grinders')] },
    ];
    expect(mostBoughtCategories(orders, 3)).toEqual([
      { category: 'tea', receipts: 2, units: 7 },
      { category: 'cups', receipts: 2, units: 3 },
      { category: 'beans', receipts: 1, units: 1 },
    ]);
  });

  it('is empty for no orders or no limit, and whatever the order of the receipts', () => {
    expect(mostBoughtCategories([], 5)).toEqual([]);
    expect(mostBoughtCategories([{ lines: [line('tea')] }], 0)).toEqual([]);
    const a = [{ lines: [line('b')] }, { lines: [line('a')] }];
    expect(mostBoughtCategories(a, 5)).toEqual(mostBoughtCategories([...a].reverse(), 5));
  });

  it('keeps names that are object keys as plain categories', () => {
    expect(mostBoughtCategories([{ lines: [line('__proto__'), line('constructor')] }], 5).map((c) => c.category)).toEqual(['__proto__', 'constructor']);
  });
});
