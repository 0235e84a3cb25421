import { formErrors, type FieldErrors } from '../form-errors.ts';
import { defaultProductMapping, ProductMappingSchema, type ProductMapping } from './mapping.ts';

/*
 * The console's product import form (decision 017's mapping, filled in on a page): which column
 * holds each field, the file's format (or "by its extension"), the price's unit and the category
 * separator. Read into the same ProductMappingSchema the admin API and the CLI take, each error
 * on the form field it belongs to.
 */

/** The master's fields, in the form's order; only the SKU is required. */
export const PRODUCT_FIELDS = ['sku', 'name', 'category', 'brand', 'price'] as const;
export type ProductField = (typeof PRODUCT_FIELDS)[number];
export const FORMAT_CHOICES = ['auto', 'csv', 'ndjson'] as const;
export const PRICE_UNITS = ['yuan', 'cents'] as const;

/** The form's field for a column: `col.sku`, `col.price`, … */
export const columnField = (f: ProductField) => `col.${f}`;

/** The form as a page first shows it: the default mapping's columns, the format by extension. */
export function productFormDefaults(): [string, string][] {
  const d = defaultProductMapping('csv');
  return [['format', 'auto'], ...PRODUCT_FIELDS.map((f): [string, string] => [columnField(f), String(d.columns[f] ?? '')]), ['priceUnit', 'yuan'], ['categorySeparator', d.categorySeparator]];
}

/** The format a file's name says: .csv / .txt are CSV, .ndjson / .jsonl / .json NDJSON; otherwise unknown. */
export function formatOfName(name: string): 'csv' | 'ndjson' | undefined {
  const ext = /\.([A-Za-z0-9]{1,8})$/.exec(name)?.[1]?.toLowerCase();
  if (ext === 'csv' || ext === 'txt') return 'csv';
  if (ext === 'ndjson' || ext === 'jsonl' || ext === 'json') return 'ndjson';
  return undefined;
}

export type MappingFormResult = { ok: true; mapping: ProductMapping } | { ok: false; errors: FieldErrors };

/**
 * The mapping a submitted form asks for, or its errors by form field. An empty column leaves
 * that field out of the import (the SKU's is required).
 *
 * @example productMappingFromForm((n) => new Map([['format', 'auto'], ['col.sku', 'code']]).get(n), 'items.csv')
 * // { ok: true, mapping: { format: 'csv', columns: { sku: 'code' }, categorySeparator: '/' } }
 */
export function productMappingFromForm(get: (name: string) => string | undefined, fileName: string): MappingFormResult {
  const errors: FieldErrors = new Map();
  const text = (name: string) => get(name)?.trim() ?? '';
  const choice = text('format') || 'auto';
  let format: 'csv' | 'ndjson' | undefined;
  if (choice === 'csv' || choice === 'ndjson') format = choice;
  else if (choice === 'auto') {
    format = formatOfName(fileName);
    if (!format) errors.set('format', { code: 'formatByName' });
  } else errors.set('format', { code: 'choice' });
  const unit = text('priceUnit') || 'yuan';
  if (unit !== 'yuan' && unit !== 'cents') errors.set('priceUnit', { code: 'choice' });

  // Said here: the schema's union would call a missing SKU column a wrong choice.
  if (text(columnField('sku')) === '') errors.set(columnField('sku'), { code: 'required' });
  const columns: Record<string, unknown> = Object.create(null);
  for (const f of PRODUCT_FIELDS) {
    const column = text(columnField(f));
    if (column === '') continue;
    columns[f] = f === 'price' && unit === 'cents' ? { column, transform: 'cents' } : column;
  }
  // Levels are trimmed when split, so the separator's own spaces do not matter.
  const separator = text('categorySeparator');
  const candidate = { format: format ?? 'csv', columns: { ...columns }, ...(separator === '' ? {} : { categorySeparator: separator }) };
  const parsed = ProductMappingSchema.safeParse(candidate);
  if (!parsed.success) {
    formErrors(parsed.error.issues, (path) => {
      if (path[0] === 'columns' && typeof path[1] === 'string') return columnField(path[1] as ProductField);
      if (path[0] === 'columns') return columnField('sku');
      return String(path[0] ?? 'format');
    }, errors);
  }
  // The same column for two fields is a slip: the later one is marked.
  const seen = new Set<string>();
  for (const f of PRODUCT_FIELDS) {
    const column = text(columnField(f));
    if (column === '') continue;
    if (seen.has(column) && !errors.has(columnField(f))) errors.set(columnField(f), { code: 'duplicate' });
    seen.add(column);
  }
  if (errors.size > 0 || !parsed.success) return { ok: false, errors };
  return { ok: true, mapping: parsed.data };
}

/** The CSV header names a mapping reads (the first part of a dotted path is what a CSV header would hold). */
export function mappedColumns(mapping: ProductMapping): [ProductField, string][] {
  return PRODUCT_FIELDS.flatMap((f): [ProductField, string][] => {
    const spec = mapping.columns[f];
    if (spec === undefined) return [];
    return [[f, typeof spec === 'string' ? spec : spec.column]];
  });
}

/**
 * The columns a CSV header lacks, of those the mapping names: the SKU's always counts; the
 * others only when `all` (an explicit mapping means its columns; the default one names columns a
 * file may simply not have).
 */
export function missingColumns(mapping: ProductMapping, header: readonly string[], all: boolean): [ProductField, string][] {
  const have = new Set(header);
  return mappedColumns(mapping).filter(([f, column]) => (all || f === 'sku') && !have.has(column));
}
