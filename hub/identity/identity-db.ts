import type { SourceRecord } from '../../shared/one-id/record.ts';
import { idHash } from '../../shared/compact-facts.ts';
import type { Couch, Doc } from '../couch/couch.ts';
import { DB } from '../couch/databases.ts';

/*
 * How One-ID lives in CouchDB (databases hub-identity and hub-golden). The embedded server writes about 1,700
 * small documents a second but 8 MB a second in large ones, so what there are a million of is
 * stored in large documents:
 * - `src:<import>:<chunk>`: the source records of one batch of an import (about 1,000), written
 *   before the import's checkpoint moves past them, so a resumed import rewrites the same chunk
 *   (same id, same content) and a finished one is never imported twice;
 * - `rec:<record id>`: a record that arrived alone (the API, a store);
 * - `gm:<bucket>`, in hub-golden: the golden members whose id hashes to the bucket, rewritten
 *   whole (a database of their own: large bucket writes do not queue the small record writes);
 * - `imp:<import>`: an import's state and checkpoint; `dec:<time>:<n>`: an operator's decision.
 * docs/decisions/007-one-id-storage-and-merges.md says why.
 */

export const GOLDEN_BUCKETS = 8192;

export const bucketOf = (memberId: string) => idHash(memberId) % GOLDEN_BUCKETS;
const bucketId = (b: number) => `gm:${String(b).padStart(5, '0')}`;
export const chunkId = (importId: string, n: number) => `src:${importId}:${String(n).padStart(6, '0')}`;

export interface ChunkDoc extends Doc {
  type: 'src';
  importId: string;
  records: SourceRecord[];
  orders?: unknown[];
}

export class IdentityDb {
  /** Bucket id → its current revision (undefined: not written yet). */
  private readonly bucketRevs = new Map<string, string | undefined>();

  constructor(private readonly couch: Couch) {}

  async ensure(): Promise<void> {
    await this.couch.ensureDb(DB.identity);
    await this.couch.ensureDb(DB.golden);
  }

  get<T extends Doc>(id: string): Promise<T | undefined> {
    return this.couch.get<T>(DB.identity, id);
  }

  update<T extends Doc>(id: string, change: (current: T | undefined) => T | undefined) {
    return this.couch.update<T>(DB.identity, id, change);
  }

  /** A batch of an import; writing it again (a resumed import) finds it there and changes nothing. */
  async writeChunk(importId: string, n: number, records: SourceRecord[], orders: unknown[]): Promise<void> {
    const doc: ChunkDoc = { _id: chunkId(importId, n), type: 'src', importId, records, ...(orders.length ? { orders } : {}) };
    await this.couch.insertNew(DB.identity, [doc]);
  }

  /** Every stored source record, a page at a time: imports' chunks (`pageSize` of them, ~1,000 records each), then single records. */
  async *records(pageSize = 20): AsyncGenerator<SourceRecord[]> {
    for await (const chunks of this.couch.pages<ChunkDoc>(DB.identity, { startkey: 'src:', endkey: 'src:\ufff0' }, pageSize)) yield chunks.flatMap((d) => d.records);
    for await (const singles of this.couch.pages<Doc & { record: SourceRecord }>(DB.identity, { startkey: 'rec:', endkey: 'rec:\ufff0' })) yield singles.map((d) => d.record);
  }

  /**
   * Writes the golden members of the buckets given, whole: `members(bucket)` lists what a bucket
   * holds now, so members merged away or split off leave their old bucket in the same write.
   * The hub is the only writer of buckets, so their revisions are remembered rather than read
   * before each write; a bucket another process changed is read again and written again.
   */
  async writeBuckets<M>(buckets: Iterable<number>, members: (bucket: number) => Record<string, M>, batch = 200): Promise<void> {
    const all = [...new Set(buckets)];
    for (let i = 0; i < all.length; i += batch) {
      let part = all.slice(i, i + batch);
      for (let attempt = 0; part.length > 0; attempt++) {
        const ids = part.map(bucketId);
        const unknown = ids.filter((id) => !this.bucketRevs.has(id));
        if (unknown.length > 0) for (const [k, rev] of (await this.revs(unknown)).entries()) this.bucketRevs.set(unknown[k]!, rev);
        const docs: Doc[] = part.map((b, k) => {
          const rev = this.bucketRevs.get(ids[k]!);
          return { _id: ids[k]!, ...(rev ? { _rev: rev } : {}), type: 'gm', members: members(b) };
        });
        const results = await this.couch.db(DB.golden).bulk({ docs });
        const retry: number[] = [];
        results.forEach((r, k) => {
          if (!r.error) this.bucketRevs.set(ids[k]!, r.rev!);
          else if (r.error === 'conflict' && attempt < 5) {
            this.bucketRevs.delete(ids[k]!);
            retry.push(part[k]!);
          } else throw new Error(`writing golden members: ${r.error} ${r.reason ?? ''}`);
        });
        part = retry;
      }
    }
  }

  private async revs(ids: string[]): Promise<(string | undefined)[]> {
    const res = await this.couch.db(DB.golden).fetchRevs({ keys: ids });
    return res.rows.map((r) => ('value' in r && r.value && !(r.value as { deleted?: boolean }).deleted ? (r.value as { rev: string }).rev : undefined));
  }
}
