import { z } from 'zod';
import { cellText, ColumnSpecSchema, type ColumnSpec, type Row } from '../one-id/mapping.ts';
import { cleanMoney } from '../one-id/clean-money.ts';
import { Category, Sku } from '../schemas/common.ts';
import type { Product } from './master.ts';

/*
 * How a product export becomes master rows: the column of each field, in the One-ID mappings'
 * terms (a column name, a dotted path into NDJSON objects, or { column, transform } for the
 * price in 'yuan' or 'cents'). Category paths are stored with '/' between their levels: an
 * export that writes `Food > Snacks` names its separator.
 */

const PriceSpec = z.union([z.string().min(1).max(128), z.strictObject({ column: z.string().min(1).max(128), transform: z.enum(['yuan', 'cents']).optional() })]);

export const ProductMappingSchema = z.strictObject({
  description: z.string().max(500).optional(),
  format: z.enum(['csv', 'ndjson']),
  columns: z.strictObject({
    sku: ColumnSpecSchema,
    name: ColumnSpecSchema.optional(),
    category: ColumnSpecSchema.optional(),
    brand: ColumnSpecSchema.optional(),
    price: PriceSpec.optional(),
  }),
  /** How the export separates a category path's levels (default '/'). */
  categorySeparator: z.string().min(1).max(8).default('/'),
});
export type ProductMapping = z.infer<typeof ProductMappingSchema>;

/** The mapping used without --mapping: columns named sku, name, category, brand, price (in yuan). */
export const defaultProductMapping = (format: 'csv' | 'ndjson'): ProductMapping => ({
  format,
  columns: { sku: 'sku', name: 'name', category: 'category', brand: 'brand', price: 'price' },
  categorySeparator: '/',
});

export type ProductRowResult = { ok: true; product: Product } | { ok: false; reason: string };

const nonEmpty = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());

/**
 * One export row as a master row, or why not.
 *
 * @example applyProductMapping(defaultProductMapping('csv'), { sku: 'A1', category: 'Food/Snacks', price: '12.50' }) // { ok: true, product: { sku: 'A1', category: 'Food/Snacks', priceCents: 1250 } }
 */
export function applyProductMapping(mapping: ProductMapping, row: Row): ProductRowResult {
  const get = (spec: ColumnSpec | undefined) => (spec === undefined ? undefined : nonEmpty(cellText(row, spec)));
  const sku = get(mapping.columns.sku);
  if (sku === undefined) return { ok: false, reason: 'no SKU' };
  if (!Sku.safeParse(sku).success) return { ok: false, reason: 'not a SKU: 1-64 visible characters' };
  const product: Product = { sku };
  const name = get(mapping.columns.name);
  if (name !== undefined) product.name = name.slice(0, 200);
  const rawCategory = get(mapping.columns.category);
  if (rawCategory !== undefined) {
    const path = rawCategory.split(mapping.categorySeparator).map((p) => p.trim()).filter((p) => p !== '').join('/');
    if (!Category.safeParse(path).success) return { ok: false, reason: 'category: 1-64 visible characters' };
    product.category = path;
  }
  const brand = get(mapping.columns.brand);
  if (brand !== undefined) {
    if (!Category.safeParse(brand).success) return { ok: false, reason: 'brand: 1-64 visible characters' };
    product.brand = brand;
  }
  const priceSpec = mapping.columns.price;
  const price = get(priceSpec);
  if (price !== undefined) {
    const c = cleanMoney(price, typeof priceSpec === 'object' && priceSpec.transform === 'cents' ? 'cents' : 'yuan');
    if (!c.ok) return { ok: false, reason: c.reason };
    if (c.value !== undefined) product.priceCents = c.value;
  }
  return { ok: true, product };
}
