import { describe, expect, it } from 'vitest';
import { coPurchaseModel, neighboursOf, recommendFor, SkuIds, type PurchaseLines } from '../../shared/profile/recommend.ts';

/** Lines as columns from [buyer, day, sku] rows (grouped by buyer as given). */
function linesOf(rows: [number, number, string][], ids: SkuIds): PurchaseLines {
  return { length: rows.length, buyer: Int32Array.from(rows.map((r) => r[0])), day: Int32Array.from(rows.map((r) => r[1])), sku: Int32Array.from(rows.map((r) => ids.id(r[2]))) };
}

describe('co-purchase recommendations', () => {
  it('scores pairs by cosine over buyers, within the window, each buyer once', () => {
    const ids = new SkuIds();
    const rows: [number, number, string][] = [
      // Buyers 1-3 buy beans and a grinder together or within days; buyer 1 twice (counts once).
      [1, 0, 'BEANS'], [1, 0, 'GRINDER'], [1, 5, 'BEANS'], [1, 5, 'GRINDER'],
      [2, 0, 'BEANS'], [2, 10, 'GRINDER'],
      [3, 0, 'BEANS'], [3, 3, 'GRINDER'], [3, 3, 'MUG'],
      // Buyer 4: beans and a mug 100 days apart: outside the window, no pair.
      [4, 0, 'BEANS'], [4, 100, 'MUG'],
      [5, 0, 'MUG'], [5, 0, 'BEANS'],
    ];
    const model = coPurchaseModel(linesOf(rows, ids), ids.skus, { windowDays: 30, neighbours: 5, minSupport: 1 });
    // BEANS: 5 buyers, GRINDER 3, co 3: 3/√15 = 0.7746; MUG: 3 buyers, co with BEANS 2 (buyers 3, 5): 2/√15.
    expect(neighboursOf(model, ids.find('BEANS')!)).toEqual([{ sku: 'GRINDER', score: 7746 }, { sku: 'MUG', score: 5164 }]);
    expect(neighboursOf(model, ids.find('GRINDER')!)[0]).toEqual({ sku: 'BEANS', score: 7746 });
    const minSupport2 = coPurchaseModel(linesOf(rows, ids), ids.skus, { windowDays: 30, neighbours: 5, minSupport: 2 });
    expect(neighboursOf(minSupport2, ids.find('GRINDER')!).map((n) => n.sku)).toEqual(['BEANS']);
  });

  it('recommends what goes with what a member bought, never what they bought', () => {
    const ids = new SkuIds();
    const rows: [number, number, string][] = [];
    for (let b = 0; b < 10; b++) rows.push([b, 0, 'BEANS'], [b, 1, 'GRINDER'], ...(b < 4 ? [[b, 1, 'FILTER'] as [number, number, string]] : []));
    const model = coPurchaseModel(linesOf(rows, ids), ids.skus);
    expect(recommendFor(model, ids, new Map([['BEANS', 1000]]), 3).map((r) => r.sku)).toEqual(['GRINDER', 'FILTER']);
    expect(recommendFor(model, ids, new Map([['BEANS', 1000], ['GRINDER', 500]]), 3).map((r) => r.sku)).toEqual(['FILTER']);
    expect(recommendFor(model, ids, new Map([['UNKNOWN', 1000]]), 3)).toEqual([]);
  });

  it(`micro-bench: ${process.env.RECO_LINES ?? '2,000,000'} synthetic order lines (RECO_LINES=10000000 for the issue's figure)`, () => {
    const total = Number(process.env.RECO_LINES ?? 2_000_000);
    const skuCount = 20_000;
    const ids = new SkuIds();
    for (let s = 0; s < skuCount; s++) ids.id(`SKU${s}`);
    let seed = 11;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
    const buyer = new Int32Array(total), day = new Int32Array(total), sku = new Int32Array(total);
    // About 10 lines a member, in baskets of 1-4 lines; SKUs skewed (a few best sellers), each
    // basket mostly within one of 500 "families" so that real pairs exist.
    let i = 0, b = 0;
    while (i < total) {
      const lines = 4 + Math.floor(rnd() * 13);
      const family = Math.floor(rnd() * 500);
      let d = Math.floor(rnd() * 700);
      for (let k = 0; k < lines && i < total; k++, i++) {
        if (rnd() < 0.3) d += Math.floor(rnd() * 40);
        buyer[i] = b;
        day[i] = d;
        sku[i] = rnd() < 0.8 ? family * 40 + Math.floor(rnd() ** 2 * 40) : Math.floor(rnd() ** 3 * skuCount);
      }
      b++;
    }
    const before = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    const model = coPurchaseModel({ length: total, buyer, day, sku }, ids.skus);
    const ms = performance.now() - t0;
    const heapMb = (process.memoryUsage().heapUsed - before) / 1e6;
    const t1 = performance.now();
    for (let m = 0; m < 10_000; m++) recommendFor(model, ids, new Map([[`SKU${(m * 37) % skuCount}`, 1000], [`SKU${(m * 91) % skuCount}`, 400]]), 5);
    const perMember = ((performance.now() - t1) / 10_000) * 1000;
    console.log(`co-purchase model over ${total} lines, ${b} buyers, ${skuCount} SKUs: ${ms.toFixed(0)} ms, ${model.pairs} distinct pairs, heap +${heapMb.toFixed(0)} MB; top-5 for a member ${perMember.toFixed(1)} µs`);
    expect(model.ids.length).toBeGreaterThan(0);
  }, 300_000);
});
