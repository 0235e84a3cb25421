import { ProductChunkDocSchema } from './master.ts';

/** What a store knows of a SKU from the product master. */
export interface ProductInfo {
  category?: string;
  brand?: string;
}

/**
 * The product master as a store holds it, in memory: SKU → category and brand, folded from the
 * replicated chunk documents (master.ts). Category and brand strings are kept once each, however
 * many SKUs and chunks share them.
 */
export class ProductCatalog {
  private readonly bySku = new Map<string, ProductInfo>();
  private readonly strings = new Map<string, string>();

  get size(): number {
    return this.bySku.size;
  }

  /** Folds a stored document in if it is a product chunk; anything else is ignored. */
  applyStored(doc: unknown): void {
    const parsed = ProductChunkDocSchema.safeParse(doc);
    if (!parsed.success) return;
    const { categories, brands, rows } = parsed.data;
    const cat = categories.map((c) => this.intern(c));
    const br = brands.map((b) => this.intern(b));
    for (const [sku, c, b] of rows) {
      const info: ProductInfo = {};
      if (c >= 0 && cat[c] !== undefined) info.category = cat[c];
      if (b >= 0 && br[b] !== undefined) info.brand = br[b];
      this.bySku.set(sku, info);
    }
  }

  get(sku: string): ProductInfo | undefined {
    return this.bySku.get(sku);
  }

  private intern(s: string): string {
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    this.strings.set(s, s);
    return s;
  }
}

/**
 * A receipt line with what the master knows where the receipt says nothing: a line without a
 * category takes the master's, and without a brand the master's brand (decision 017).
 *
 * @example withMaster({ sku: 'A1', qty: 1, unitPrice: 100 }, catalog) // { sku: 'A1', qty: 1, unitPrice: 100, category: 'food/snacks', brand: 'Oishi' }
 */
export function withMaster<L extends { sku: string; category?: string | undefined; brand?: string | undefined }>(line: L, catalog: ProductCatalog): L {
  if (line.category !== undefined && line.brand !== undefined) return line;
  const p = catalog.get(line.sku);
  if (!p) return line;
  // A copy with the fields set, not spread in: spreads of varying shape cost microseconds a line.
  const out = Object.assign({}, line);
  if (out.category === undefined && p.category !== undefined) out.category = p.category;
  if (out.brand === undefined && p.brand !== undefined) out.brand = p.brand;
  return out;
}
