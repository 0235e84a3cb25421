import { randomUUID } from 'node:crypto';
import { AppError } from '../../shared/errors.ts';
import type { ProductMapping } from '../../shared/products/mapping.ts';
import type { Log } from '../../shared/cli/log.ts';
import type { Couch } from '../couch/couch.ts';
import { importProductsUpload, type ProductImportSummary } from './service.ts';

/*
 * The console's product imports while they run (decision 017): an upload is imported in the
 * background, and the form's answer waits a moment for it, so a small file answers with its
 * summary at once and a large one with a page that shows how far it is and then its summary.
 * Kept in memory (the last few): an import is one request's work, and a hub that stops ends it
 * (rows are upserted by SKU, so importing the file again is safe).
 */

export interface ProductImportJob {
  id: string;
  /** The uploaded file's name, as the operator's browser gave it. */
  file: string;
  by: string;
  startedAt: string;
  state: 'running' | 'done' | 'failed';
  /** Rows read so far, and bytes of the file read of `totalBytes`. */
  rows: number;
  bytes: number;
  totalBytes: number;
  summary?: ProductImportSummary;
  error?: { code: string; message: string; details?: Record<string, unknown> };
  finishedAt?: string;
}

const KEPT = 20;

export class ProductImportJobs {
  private readonly jobs = new Map<string, ProductImportJob>();
  private readonly finished = new Map<string, Promise<void>>();

  constructor(private readonly deps: { couch: Couch; storeDbs: () => Promise<string[]>; clock: () => Date; log: Pick<Log, 'info' | 'warn'> }) {}

  /** Starts importing an upload; answers the job at once (it runs on). */
  start(bytes: Uint8Array, mapping: ProductMapping, meta: { file: string; by: string }): ProductImportJob {
    const job: ProductImportJob = { id: randomUUID().slice(0, 13), file: meta.file, by: meta.by, startedAt: this.deps.clock().toISOString(), state: 'running', rows: 0, bytes: 0, totalBytes: bytes.byteLength };
    this.jobs.set(job.id, job);
    for (const id of [...this.jobs.keys()].slice(0, Math.max(0, this.jobs.size - KEPT))) {
      if (this.jobs.get(id)?.state !== 'running') this.jobs.delete(id);
    }
    const run = (async () => {
      try {
        const storeDbs = await this.deps.storeDbs();
        job.summary = await importProductsUpload(this.deps.couch, storeDbs, bytes, mapping, {
          allColumns: true,
          onProgress: (rows, read) => {
            job.rows = rows;
            job.bytes = read;
          },
        });
        job.rows = job.summary.rows;
        job.bytes = job.totalBytes;
        job.state = 'done';
        this.deps.log.info('products imported from the console', { import: job.id, file: job.file, rows: job.rows, imported: job.summary.imported, rejected: job.summary.rejected, by: job.by });
      } catch (err) {
        job.state = 'failed';
        job.error = err instanceof AppError ? { code: err.code, message: err.message, details: err.details } : { code: 'internal', message: 'the import failed; the hub log says why' };
        if (!(err instanceof AppError)) this.deps.log.warn('product import failed', { import: job.id, err: String(err) });
      } finally {
        job.finishedAt = this.deps.clock().toISOString();
        this.finished.delete(job.id);
      }
    })();
    this.finished.set(job.id, run);
    return job;
  }

  /** Waits up to `ms` for the job to finish; answers it as it is then. */
  async settled(id: string, ms: number): Promise<ProductImportJob | undefined> {
    const run = this.finished.get(id);
    if (run) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([run, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
      clearTimeout(timer);
    }
    return this.jobs.get(id);
  }

  get(id: string): ProductImportJob | undefined {
    return this.jobs.get(id);
  }
}
