import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { AppError } from '../../shared/errors.ts';
import type { ProductAttributes } from '../../shared/loyalty/earning-checks.ts';
import { applyProductMapping, defaultProductMapping, ProductMappingSchema, type ProductMapping } from '../../shared/products/mapping.ts';
import { attributesOf, chunkOf, masterChunkId, MASTER_RANGE, mergeProducts, MasterChunkDocSchema, PRODUCT_RANGE, storeChunk, type Product } from '../../shared/products/master.ts';
import { content, copyWhereChanged, type Couch, type Doc } from '../couch/couch.ts';
import { DB } from '../couch/databases.ts';
import { readCsvHeader, readRows } from '../import/read-rows.ts';
import { missingColumns } from '../../shared/products/mapping-form.ts';

/*
 * The product master at the hub (decision 017): imported from a CSV or NDJSON export with a
 * mapping, kept in the registry as 64 chunks (`prodm:NN`, with names, prices and past
 * categories), and copied to every store's database as the compact `prod:NN` chunks the till
 * reads, the way the rules and templates reach the stores (hub/rules.ts pushRulesTo).
 */

export interface ProductImportSummary {
  rows: number;
  imported: number;
  added: number;
  changed: number;
  rejected: number;
  /** The first rejected rows, with why. */
  rejects: { rowNo: number; reason: string }[];
  chunksWritten: number;
}

const MAX_REJECTS_SHOWN = 20;

/** The mapping an import uses: the one given (validated), else the default for the file's extension. */
export function productMappingFor(file: string, mapping: unknown): ProductMapping {
  if (mapping === undefined) return defaultProductMapping(extname(file).toLowerCase() === '.ndjson' || extname(file).toLowerCase() === '.jsonl' ? 'ndjson' : 'csv');
  const parsed = ProductMappingSchema.safeParse(mapping);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AppError('validation_failed', `mapping: ${issue.path.join('.') || '(mapping)'}: ${issue.message}`, { field: ['mapping', ...issue.path].join('.') });
  }
  return parsed.data;
}

export interface ProductImportOptions {
  /**
   * Every column the mapping names must be in a CSV's header (an explicit mapping means them);
   * otherwise only the SKU's (the default mapping names columns a file may not have).
   */
  allColumns?: boolean;
  /** Told every 1,000 rows how far the import has read: rows, and bytes of the file. */
  onProgress?: (rows: number, bytes: number) => void;
}

/**
 * Imports a product export: rows upserted by SKU (a later row of the same SKU wins), the chunks
 * they fall in rewritten at the hub and then in every store's database. Rows the mapping cannot
 * read are counted and the first ones listed; the rest are imported. Nothing is written when a
 * CSV lacks a column the mapping names (422 `import_column_missing`) or no row at all can be
 * read (422 `file_not_readable`): the mapping or the file is wrong, not a row.
 */
export async function importProducts(couch: Couch, storeDbs: string[], file: string, mapping: ProductMapping, opts: ProductImportOptions = {}): Promise<ProductImportSummary> {
  const byChunk = new Map<number, Product[]>();
  const summary: ProductImportSummary = { rows: 0, imported: 0, added: 0, changed: 0, rejected: 0, rejects: [], chunksWritten: 0 };
  const reject = (rowNo: number, reason: string) => {
    summary.rejected++;
    if (summary.rejects.length < MAX_REJECTS_SHOWN) summary.rejects.push({ rowNo, reason });
  };
  try {
    if (mapping.format === 'csv') await requireColumns(file, mapping, opts.allColumns === true);
    for await (const item of readRows(file, mapping.format)) {
      summary.rows++;
      if (summary.rows % 1000 === 0) opts.onProgress?.(summary.rows, item.byteOffset);
      if (item.error !== undefined) {
        reject(item.rowNo, item.error);
        continue;
      }
      const r = applyProductMapping(mapping, item.row);
      if (!r.ok) {
        reject(item.rowNo, r.reason);
        continue;
      }
      const chunk = chunkOf(r.product.sku);
      const rows = byChunk.get(chunk);
      if (rows) rows.push(r.product);
      else byChunk.set(chunk, [r.product]);
      summary.imported++;
    }
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') throw new AppError('validation_failed', `no file ${file} on the hub`, { field: 'path' });
    throw err;
  }
  if (summary.imported === 0) {
    const first = summary.rejects[0];
    throw new AppError('file_not_readable', summary.rows === 0 ? 'the file has no rows' : `no row of the file could be read (row ${first!.rowNo}: ${first!.reason})`, { rows: summary.rows, rejects: summary.rejects.slice(0, 5) });
  }
  for (const [chunk, incoming] of byChunk) {
    let added = 0;
    let changed = 0;
    await couch.update<Doc>(DB.registry, masterChunkId(chunk), (doc) => {
      const current = MasterChunkDocSchema.safeParse(doc);
      const merged = mergeProducts(current.success ? current.data.products : [], incoming);
      ({ added, changed } = merged);
      return { _id: masterChunkId(chunk), type: 'product-master', chunk, products: merged.products };
    });
    summary.added += added;
    summary.changed += changed;
  }
  summary.chunksWritten = await writeStoreChunks(couch, [...byChunk.keys()]);
  attributesRead.delete(couch);
  for (const db of storeDbs) await pushProductsTo(couch, db);
  return summary;
}

/** Refuses a CSV whose header lacks a column the mapping reads (see ProductImportOptions). */
async function requireColumns(file: string, mapping: ProductMapping, all: boolean): Promise<void> {
  let header: string[];
  try {
    ({ header } = await readCsvHeader(file));
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') throw err;
    throw new AppError('file_not_readable', `not a CSV file with a header row: ${String((err as Error).message ?? err).slice(0, 200)}`);
  }
  const missing = missingColumns(mapping, header, all);
  if (missing.length > 0) {
    const [field, column] = missing[0]!;
    throw new AppError('import_column_missing', `the file has no column "${column.slice(0, 128)}" (the mapping's ${field}); its columns: ${header.slice(0, 20).join(', ').slice(0, 300)}`, { field: `columns.${field}`, column, missing: missing.map(([f, c]) => ({ field: f, column: c })) });
  }
}

/**
 * Imports an export sent in a request (the console's form) rather than named by its path on the
 * hub: written to a private temporary directory for the same reader, removed afterwards.
 */
export async function importProductsUpload(couch: Couch, storeDbs: string[], bytes: Uint8Array, mapping: ProductMapping, opts: ProductImportOptions = {}): Promise<ProductImportSummary> {
  const dir = await mkdtemp(join(tmpdir(), 'memberedge-products-'));
  try {
    const file = join(dir, `upload.${mapping.format}`);
    await writeFile(file, bytes, { mode: 0o600 });
    return await importProducts(couch, storeDbs, file, mapping, opts);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The registry's store copies (`prod:NN`) of these chunks made again from the master; returns how many changed. */
async function writeStoreChunks(couch: Couch, chunks: number[]): Promise<number> {
  const masters = await couch.fetchDocs(DB.registry, chunks.map(masterChunkId));
  let written = 0;
  for (const m of masters) {
    const parsed = MasterChunkDocSchema.safeParse(m);
    if (!parsed.success) continue;
    const wanted = storeChunk(parsed.data.chunk, parsed.data.products);
    await couch.update<Doc>(DB.registry, wanted._id, (cur) => {
      if (cur && content(cur) === content(wanted)) return undefined;
      written++;
      return { ...wanted };
    });
  }
  return written;
}

/** Copies the product chunks into a store's database where they differ (as pushRulesTo does the rules). */
export async function pushProductsTo(couch: Couch, storeDb: string): Promise<void> {
  await copyWhereChanged(couch, storeDb, await couch.range(DB.registry, PRODUCT_RANGE));
}

/** A page of the master, by SKU from `after` (exclusive), optionally only SKUs starting with `prefix`. */
export async function listProducts(couch: Couch, opts: { prefix?: string | undefined; limit: number }): Promise<{ products: Product[]; total: number }> {
  const all: Product[] = [];
  for (const d of await couch.range(DB.registry, MASTER_RANGE, 1000)) {
    const parsed = MasterChunkDocSchema.safeParse(d);
    if (parsed.success) all.push(...parsed.data.products);
  }
  const matching = opts.prefix ? all.filter((p) => p.sku.startsWith(opts.prefix!)) : all;
  matching.sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
  return { products: matching.slice(0, opts.limit), total: matching.length };
}

/**
 * Every (category, brand) each SKU has had, as last read, per database client: the ingest
 * judges receipts with it, and it changes only through importProducts, which forgets it.
 */
const attributesRead = new WeakMap<Couch, Promise<Map<string, ProductAttributes[]>>>();

export function productAttributes(couch: Couch): Promise<Map<string, ProductAttributes[]>> {
  let read = attributesRead.get(couch);
  if (!read) {
    read = readAttributes(couch);
    attributesRead.set(couch, read);
    read.catch(() => attributesRead.get(couch) === read && attributesRead.delete(couch));
  }
  return read;
}

async function readAttributes(couch: Couch): Promise<Map<string, ProductAttributes[]>> {
  const out = new Map<string, ProductAttributes[]>();
  for (const d of await couch.range(DB.registry, MASTER_RANGE, 1000)) {
    const parsed = MasterChunkDocSchema.safeParse(d);
    if (parsed.success) for (const p of parsed.data.products) out.set(p.sku, attributesOf(p));
  }
  return out;
}
