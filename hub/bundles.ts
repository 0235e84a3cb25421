import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { createGunzip, createGzip } from 'node:zlib';
import { schedule, type ScheduledTask } from 'node-cron';
import type { Log } from '../shared/cli/log.ts';
import type { Couch } from './couch/couch.ts';
import { storeDbName } from './couch/databases.ts';
import type { StoreDoc } from './stores.ts';

/*
 * Replica bundles: a gzipped NDJSON copy of a store's database (a header line with the
 * sequence it covers, then one document per line, with revisions), built in the background and
 * handed to `edge enroll`. Reading 400,000 documents out of pouchdb-server takes minutes
 * (4,000 a second); a node writes them from a bundle in seconds, then replicates from the
 * bundle's sequence. A bundle is a cache: any hub can rebuild it from the database.
 */

export const BUNDLE_FORMAT = 1;
const PAGE = 5000;
/** Rebuilt when the database has grown by this share of documents since the bundle. */
const STALE_SHARE = 0.1;
export const BUNDLE_SCHEDULE = '*/10 * * * *';

export interface BundleHeader {
  format: number;
  storeId: string;
  seq: string | number;
  docs: number;
  builtAt: string;
}

export class Bundles {
  private building: Promise<void> | undefined;
  private readonly queue = new Set<string>();
  private task: ScheduledTask | undefined;

  constructor(
    private readonly couch: Couch,
    private readonly dir: string,
    private readonly stores: () => Promise<StoreDoc[]>,
    private readonly log: Log,
  ) {}

  file(storeId: string): string {
    return join(this.dir, 'bundles', `${storeId.toLowerCase()}.ndjson.gz`);
  }

  /** The bundle's file and size, or undefined when there is none yet. */
  async find(storeId: string): Promise<{ file: string; bytes: number } | undefined> {
    const file = this.file(storeId);
    return existsSync(file) ? { file, bytes: (await stat(file)).size } : undefined;
  }

  /** Checks every store now and then; a run is skipped while the previous one is going. */
  start(): void {
    this.task = schedule(BUNDLE_SCHEDULE, () => this.refreshStale(), { noOverlap: true });
  }

  stop(): void {
    void this.task?.stop();
  }

  /** Builds the bundles that are missing or stale, one at a time; one failure does not stop the rest. */
  async refreshStale(): Promise<void> {
    for (const store of await this.stores()) {
      if (store.disabled) continue;
      const info = await this.couch.db(store.db).info();
      const header = await this.header(store.id);
      if (!header || info.doc_count - header.docs > Math.max(1000, header.docs * STALE_SHARE)) this.request(store.id);
    }
    await this.idle();
  }

  /** Asks for a build (after a bulk projection, say); builds run one after another. */
  request(storeId: string): void {
    this.queue.add(storeId);
    this.building ??= this.drain().finally(() => (this.building = undefined));
  }

  async idle(): Promise<void> {
    while (this.building) await this.building;
  }

  private async drain(): Promise<void> {
    for (const storeId of this.queue) {
      this.queue.delete(storeId);
      const t0 = Date.now();
      try {
        const docs = await this.build(storeId);
        this.log.info('replica bundle built', { storeId, docs, ms: Date.now() - t0 });
      } catch (err) {
        this.log.warn('replica bundle failed', { storeId, err: String(err) });
      }
    }
  }

  private async build(storeId: string): Promise<number> {
    const db = this.couch.db(storeDbName(storeId));
    const info = await db.info();
    await mkdir(join(this.dir, 'bundles'), { recursive: true, mode: 0o700 });
    const file = this.file(storeId);
    const tmp = `${file}.${process.pid}.tmp`;
    const gzip = createGzip({ level: 3 });
    const out = gzip.pipe(createWriteStream(tmp, { mode: 0o600 }));
    const write = async (line: string) => {
      if (!gzip.write(line + '\n')) await once(gzip, 'drain');
    };
    // The sequence is read before the documents: replication from it brings anything written meanwhile.
    await write(JSON.stringify({ format: BUNDLE_FORMAT, storeId, seq: info.update_seq, docs: info.doc_count, builtAt: new Date().toISOString() } satisfies BundleHeader));
    let n = 0;
    for await (const docs of this.couch.pages(storeDbName(storeId), {}, PAGE)) {
      for (const doc of docs) if (!doc._id.startsWith('_design/')) await write(JSON.stringify(doc));
      n += docs.length;
    }
    gzip.end();
    await once(out, 'close');
    await rename(tmp, file);
    return n;
  }

  async header(storeId: string): Promise<BundleHeader | undefined> {
    const found = await this.find(storeId);
    if (!found) return undefined;
    const lines = createInterface({ input: createReadStream(found.file).pipe(createGunzip()) });
    for await (const line of lines) {
      lines.close();
      return JSON.parse(line) as BundleHeader;
    }
    return undefined;
  }
}
