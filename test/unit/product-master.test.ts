import { describe, expect, it } from 'vitest';
import { ProductCatalog, withMaster } from '../../shared/products/catalog.ts';
import { applyProductMapping, defaultProductMapping, ProductMappingSchema } from '../../shared/products/mapping.ts';
import { chunkOf, mergeProducts, PRODUCT_CHUNKS, storeChunk, type Product } from '../../shared/products/master.ts';

/* The product master (decision 017): rows by a mapping, chunks by SKU hash, the store's compact copy. */

describe('a product row by its mapping', () => {
  it('the default mapping: sku, name, category path, brand, price in yuan', () => {
    expect(applyProductMapping(defaultProductMapping('csv'), { sku: ' A1 ', name: 'Chips', category: 'food/snacks', brand: 'Oishi', price: '12.50' })).toEqual({
      ok: true,
      product: { sku: 'A1', name: 'Chips', category: 'food/snacks', brand: 'Oishi', priceCents: 1250 },
    });
  });

  it('a mapping names columns (dotted into NDJSON), the price unit and the category separator', () => {
    const m = ProductMappingSchema.parse({ format: 'ndjson', columns: { sku: 'code', category: 'cat.path', brand: 'cat.brand', price: { column: 'p', transform: 'cents' } }, categorySeparator: '>' });
    expect(applyProductMapping(m, { code: 'X9', cat: { path: 'Food > Snacks >', brand: 'B' }, p: 799 })).toEqual({ ok: true, product: { sku: 'X9', category: 'Food/Snacks', brand: 'B', priceCents: 799 } });
  });

  it('rows without a SKU, with a bad price or a hidden character are rejected with a reason', () => {
    const m = defaultProductMapping('csv');
    expect(applyProductMapping(m, { name: 'x' })).toEqual({ ok: false, reason: 'no SKU' });
    expect(applyProductMapping(m, { sku: 'A', price: 'abc' })).toMatchObject({ ok: false });
    expect(applyProductMapping(m, { sku: 'A', brand: 'B\u202E' })).toMatchObject({ ok: false, reason: /brand/ });
  });
});

describe('chunks', () => {
  it('an upsert keeps fields left out and the (category, brand) pairs replaced', () => {
    const a: Product = { sku: 'A', name: 'Chips', category: 'food/snacks', brand: 'Oishi', priceCents: 100 };
    const r = mergeProducts([a], [{ sku: 'A', category: 'food/other' }, { sku: 'B' }]);
    expect(r).toMatchObject({ added: 1, changed: 1 });
    expect(r.products[0]).toEqual({ sku: 'A', name: 'Chips', category: 'food/other', brand: 'Oishi', priceCents: 100, past: [{ category: 'food/snacks', brand: 'Oishi' }] });
    // Back to the first: it leaves `past`, the one it replaces goes in.
    const back = mergeProducts(r.products, [{ sku: 'A', category: 'food/snacks' }]);
    expect(back.products[0]!.past).toEqual([{ category: 'food/other', brand: 'Oishi' }]);
    expect(mergeProducts(back.products, [{ sku: 'A', category: 'food/snacks' }])).toMatchObject({ added: 0, changed: 0 });
  });

  it('a store holds 50,000 SKUs in 64 documents; their size is measured here', () => {
    const cats = Array.from({ length: 300 }, (_, i) => `dept${i % 12}/aisle${i % 40}/shelf${i}`);
    const brands = Array.from({ length: 800 }, (_, i) => `Brand ${i}`);
    const byChunk = new Map<number, Product[]>();
    for (let i = 0; i < 50_000; i++) {
      const p: Product = { sku: `SKU-${String(i).padStart(7, '0')}`, name: `Product number ${i}`, category: cats[i % cats.length], brand: brands[(i * 7) % brands.length], priceCents: 100 + (i % 10_000) };
      const c = chunkOf(p.sku);
      byChunk.set(c, [...(byChunk.get(c) ?? []), p]);
    }
    expect(byChunk.size).toBe(PRODUCT_CHUNKS);
    const store = [...byChunk].map(([c, ps]) => storeChunk(c, mergeProducts([], ps).products));
    const master = [...byChunk].map(([, ps]) => ({ products: ps }));
    const storeBytes = store.reduce((s, d) => s + JSON.stringify(d).length, 0);
    const masterBytes = master.reduce((s, d) => s + JSON.stringify(d).length, 0);
    const largest = Math.max(...store.map((d) => JSON.stringify(d).length));
    console.log(`product master, 50,000 SKUs: store copy ${(storeBytes / 1e6).toFixed(2)} MB in ${store.length} documents (largest ${(largest / 1e3).toFixed(0)} kB); hub copy ${(masterBytes / 1e6).toFixed(2)} MB`);
    expect(storeBytes).toBeLessThan(3_500_000);
    const catalog = new ProductCatalog();
    for (const d of store) catalog.applyStored(d);
    expect(catalog.size).toBe(50_000);
    expect(catalog.get('SKU-0000042')).toEqual({ category: cats[42], brand: brands[(42 * 7) % 800] });
  });

  it('a line without a category takes the master\'s, and its brand; a line\'s own stay', () => {
    const catalog = new ProductCatalog();
    catalog.applyStored(storeChunk(chunkOf('A'), [{ sku: 'A', category: 'food/snacks', brand: 'Oishi' }]));
    expect(withMaster({ sku: 'A', qty: 1, unitPrice: 1 }, catalog)).toEqual({ sku: 'A', qty: 1, unitPrice: 1, category: 'food/snacks', brand: 'Oishi' });
    expect(withMaster({ sku: 'A', category: 'mine', qty: 1, unitPrice: 1 }, catalog)).toEqual({ sku: 'A', category: 'mine', brand: 'Oishi', qty: 1, unitPrice: 1 });
    expect(withMaster({ sku: 'Z', qty: 1, unitPrice: 1 }, catalog)).toEqual({ sku: 'Z', qty: 1, unitPrice: 1 });
  });
});
