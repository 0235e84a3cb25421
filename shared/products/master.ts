import { z } from 'zod';
import { idHash } from '../compact-facts.ts';
import { Category, Cents, Sku } from '../schemas/common.ts';

/*
 * The product master (decision 017): SKU → name, category path, brand, price, imported at the
 * hub. It is kept in 64 chunks by a hash of the SKU, not one document per SKU: 50,000 products
 * are 64 documents in a store's replica, an import rewrites only the chunks it touches, and the
 * store's copy holds only what pricing and earning read (category and brand), each distinct
 * string once per chunk. The hub's copy (`prodm:NN`, in its registry only) keeps the name, the
 * price and every (category, brand) a SKU has had, which the hub judges receipts with.
 */

export const PRODUCT_CHUNKS = 64;
/** A store's copy of one chunk, in the range stores replicate. */
export const productChunkId = (chunk: number) => `prod:${String(chunk).padStart(2, '0')}`;
/** The hub's copy of one chunk, outside `prod:` so that it stays at the hub. */
export const masterChunkId = (chunk: number) => `prodm:${String(chunk).padStart(2, '0')}`;
export const PRODUCT_RANGE = { startkey: 'prod:', endkey: 'prod:\ufff0' };
export const MASTER_RANGE = { startkey: 'prodm:', endkey: 'prodm:\ufff0' };

export const chunkOf = (sku: string) => idHash(sku) % PRODUCT_CHUNKS;

const Attributes = z.object({ category: Category.optional(), brand: Category.optional() });

export const ProductSchema = z.object({
  sku: Sku,
  name: z.string().max(200).optional(),
  category: Category.optional(),
  brand: Category.optional(),
  priceCents: Cents.optional(),
  /** Earlier (category, brand) pairs, newest last: a store offline may still price with one. */
  past: z.array(Attributes).max(20).optional(),
});
export type Product = z.infer<typeof ProductSchema>;

export const MasterChunkDocSchema = z.object({ _id: z.string(), _rev: z.string().optional(), type: z.literal('product-master'), chunk: z.number().int().min(0).max(PRODUCT_CHUNKS - 1), products: z.array(ProductSchema) });
export type MasterChunkDoc = z.infer<typeof MasterChunkDocSchema>;

/** A store's chunk: `rows` are [sku, index in categories or -1, index in brands or -1]. */
export const ProductChunkDocSchema = z.object({
  _id: z.string(),
  _rev: z.string().optional(),
  type: z.literal('products'),
  chunk: z.number().int().min(0).max(PRODUCT_CHUNKS - 1),
  categories: z.array(Category),
  brands: z.array(Category),
  rows: z.array(z.tuple([Sku, z.number().int().min(-1), z.number().int().min(-1)])),
});
export type ProductChunkDoc = z.infer<typeof ProductChunkDocSchema>;

const sameAttributes = (a: { category?: string | undefined; brand?: string | undefined }, b: { category?: string | undefined; brand?: string | undefined }) => a.category === b.category && a.brand === b.brand;

/**
 * A chunk's products with `incoming` upserted (by SKU, sorted by SKU); a changed category or
 * brand keeps the one it replaces in `past`. A field an import leaves out keeps its value.
 */
export function mergeProducts(existing: readonly Product[], incoming: readonly Product[]): { products: Product[]; added: number; changed: number } {
  const bySku = new Map(existing.map((p) => [p.sku, p]));
  let added = 0;
  let changed = 0;
  for (const p of incoming) {
    const old = bySku.get(p.sku);
    if (!old) {
      bySku.set(p.sku, p);
      added++;
      continue;
    }
    const next: Product = { ...old, ...p };
    if (!sameAttributes(old, next)) {
      const was = { ...(old.category !== undefined ? { category: old.category } : {}), ...(old.brand !== undefined ? { brand: old.brand } : {}) };
      const past = (old.past ?? []).filter((a) => !sameAttributes(a, was) && !sameAttributes(a, next));
      next.past = [...past, was].slice(-20);
    }
    if (JSON.stringify(next) !== JSON.stringify(old)) changed++;
    bySku.set(p.sku, next);
  }
  const products = [...bySku.values()].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
  return { products, added, changed };
}

/** The store's copy of a chunk: category and brand of each SKU, the strings once each. */
export function storeChunk(chunk: number, products: readonly Product[]): Omit<ProductChunkDoc, '_rev'> {
  const categories = new Map<string, number>();
  const brands = new Map<string, number>();
  const slot = (m: Map<string, number>, v: string | undefined) => {
    if (v === undefined) return -1;
    let i = m.get(v);
    if (i === undefined) m.set(v, (i = m.size));
    return i;
  };
  const rows = products.map((p) => [p.sku, slot(categories, p.category), slot(brands, p.brand)] as [string, number, number]);
  return { _id: productChunkId(chunk), type: 'products', chunk, categories: [...categories.keys()], brands: [...brands.keys()], rows };
}

/** Every (category, brand) a product has had, the current one first. */
export const attributesOf = (p: Product) => [{ category: p.category, brand: p.brand }, ...(p.past ?? [])];
