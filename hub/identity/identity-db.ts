import type { OrderSummary } from '../../shared/one-id/order.ts';
import type { SourceRecord } from '../../shared/one-id/record.ts';
import { chunkOrders, chunkRecords, packChunk, type PackedChunk } from '../../shared/one-id/stored-chunk.ts';
import { idHash } from '../../shared/compact-facts.ts';
import { own } from '../../shared/own.ts';
import type { Couch, Doc } from '../couch/couch.ts';
import { DB } from '../couch/databases.ts';

/*
 * How One-ID lives in CouchDB (databases hub-identity and hub-golden). The embedded server writes about 1,700
 * small documents a second but 8 MB a second in large ones, so what there are a million of is
 * stored in large documents:
 * - `src:<import>:<chunk>`: the source records of one batch of an import (about 1,000), written
 *   before the import's checkpoint moves past them, so a resumed import rewrites the same chunk
 *   (same id, same content) and a finished one is never imported twice; packed as rows of
 *   values (decision 042);
 * - `rec:<record id>`: a record that arrived alone (the API, a store);
 * - `gm:<bucket>`, in hub-golden: the golden members whose id hashes to the bucket, rewritten
 *   whole (a database of their own: large bucket writes do not queue the small record writes);
 * - `golden:<member id>`, in hub-golden: one golden member changed by a few records since its
 *   bucket was written (a single record rewriting a 70 KB bucket would cost the embedded server
 *   ten times what this costs). It wins over the bucket's entry, and it is removed when the
 *   bucket is next written. `{ gone: true, mergedInto? }` says the member is no more.
 * - `imp:<import>`: an import's state and checkpoint; `dec:<time>:<n>`: an operator's decision.
 * docs/decisions/007-one-id-storage-and-merges.md says why.
 */

export const GOLDEN_BUCKETS = 8192;

export const bucketOf = (memberId: string) => idHash(memberId) % GOLDEN_BUCKETS;
const bucketId = (b: number) => `gm:${String(b).padStart(5, '0')}`;
const goldenId = (memberId: string) => `golden:${memberId}`;

/** What `golden:<id>` holds for a member merged away or split up. */
export interface GoneGolden {
  gone: true;
  mergedInto?: string;
}
export const chunkId = (importId: string, n: number) => `src:${importId}:${String(n).padStart(6, '0')}`;

/** A chunk as stored: packed (decision 042), or records and orders whole as written before it. */
export type ChunkDoc = Doc & { type: 'src'; importId: string } & (PackedChunk | { records: SourceRecord[]; orders?: OrderSummary[] });

/** A golden document's body by its place in the ids written (undefined: delete it). */
type GoldenBody = (k: number) => Record<string, unknown> | undefined;
type GoldenPart = { id: string; k: number };
type GoldenBatch = { docs: Doc[]; sent: GoldenPart[]; attempt: number };

export class IdentityDb {
  /** Id of a bucket or golden member document → its current revision (absent: not known yet). */
  private readonly revs = new Map<string, string | undefined>();
  /**
   * `memberDocIds` has read every `golden:` document's revision, so a member's document not in
   * `revs` is not there: it is written without a read first (a stream of single records paid a
   * read of documents that were not there at every write). One that is there after all
   * conflicts, and is read at the next attempt.
   */
  private memberDocsKnown = false;

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

  /** Every import's document, in id order (`imp:<source>-<hash>`). */
  imports<T extends Doc>(limit: number): Promise<T[]> {
    return this.couch.range<T>(DB.identity, { startkey: 'imp:', endkey: 'imp:\ufff0' }, limit);
  }

  /** A batch of an import; writing it again (a resumed import) finds it there and changes nothing. */
  async writeChunk(importId: string, n: number, records: SourceRecord[], orders: OrderSummary[]): Promise<void> {
    const doc: ChunkDoc = { _id: chunkId(importId, n), type: 'src', importId, ...packChunk(records, orders) };
    await this.couch.insertNew(DB.identity, [doc]);
  }

  /** Every stored source record, a page at a time: imports' chunks (`pageSize` of them, ~1,000 records each), then single records. */
  async *records(pageSize = 20): AsyncGenerator<SourceRecord[]> {
    for await (const chunks of this.couch.pages<ChunkDoc>(DB.identity, { startkey: 'src:', endkey: 'src:\ufff0' }, pageSize)) yield chunks.flatMap(chunkRecords);
    for await (const singles of this.couch.pages<Doc & { record: SourceRecord }>(DB.identity, { startkey: 'rec:', endkey: 'rec:\ufff0' })) yield singles.map((d) => d.record);
  }

  /**
   * Writes records over as `replace` gives them (an erasure), wherever they are stored: in the
   * chunks of imports (each read once; a rare, whole-database pass) and as single records.
   * Answers how many stored documents changed.
   */
  async rewriteRecords(ids: ReadonlySet<string>, replace: (r: SourceRecord) => SourceRecord): Promise<number> {
    let changed = 0;
    for await (const chunks of this.couch.pages<ChunkDoc>(DB.identity, { startkey: 'src:', endkey: 'src:\ufff0' }, 20)) {
      for (const chunk of chunks) {
        if (!chunkRecords(chunk).some((r) => ids.has(r.id))) continue;
        await this.couch.update<ChunkDoc>(DB.identity, chunk._id, (cur) =>
          cur ? { _id: cur._id, type: 'src', importId: cur.importId, ...packChunk(chunkRecords(cur).map((r) => (ids.has(r.id) ? replace(r) : r)), chunkOrders(cur)) } : undefined,
        );
        changed++;
      }
    }
    const singles = await this.couch.fetchDocs<Doc & { record: SourceRecord }>(DB.identity, [...ids].map((id) => `rec:${id}`));
    for (const single of singles) {
      if (!single) continue;
      await this.couch.update<Doc & { record: SourceRecord }>(DB.identity, single._id, (cur) => (cur ? { ...cur, record: replace(cur.record) } : undefined));
      changed++;
    }
    return changed;
  }

  /** Drops the bodies of old revisions of One-ID's documents (after an erasure). */
  async compact(): Promise<void> {
    await this.couch.compact(DB.identity);
    await this.couch.compact(DB.golden);
  }

  /**
   * Writes the golden members of the buckets given, whole: `members(bucket)` lists what a bucket
   * holds now, so members merged away or split off leave their old bucket in the same write.
   */
  writeBuckets<M>(buckets: Iterable<number>, members: (bucket: number) => Record<string, M>, batch = 200): Promise<void> {
    const all = [...new Set(buckets)];
    return this.writeGolden(
      all.map(bucketId),
      (k) => ({ type: 'gm', members: members(all[k]!) }),
      batch,
    );
  }

  /** Golden members changed since their bucket was written, one document each (or gone). */
  writeMembers<M>(members: [string, M | GoneGolden][], batch = 500): Promise<void> {
    return this.writeGolden(
      members.map(([id]) => goldenId(id)),
      (k) => ({ type: 'golden', member: members[k]![1] }),
      batch,
    );
  }

  /** Members whose bucket now holds them as they are: their own documents go. */
  dropMembers(memberIds: string[], batch = 500): Promise<void> {
    return this.writeGolden(memberIds.map(goldenId), () => undefined, batch);
  }

  /** Ids of the members that have a document of their own (`golden:<id>`). */
  async memberDocIds(): Promise<string[]> {
    const out: string[] = [];
    for await (const page of this.couch.pages<Doc>(DB.golden, { startkey: 'golden:', endkey: 'golden:\ufff0' }, 5000)) {
      for (const d of page) {
        this.revs.set(d._id, d._rev);
        out.push(d._id.slice('golden:'.length));
      }
    }
    this.memberDocsKnown = true;
    return out;
  }

  /** A golden member as stored: its own document if it has one, else its bucket's entry. */
  async storedMember<M>(memberId: string): Promise<M | GoneGolden | undefined> {
    const single = await this.couch.get<Doc & { member: M | GoneGolden }>(DB.golden, goldenId(memberId));
    if (single) return single.member;
    const bucket = await this.couch.get<Doc & { members: Record<string, M> }>(DB.golden, bucketId(bucketOf(memberId)));
    return own(bucket?.members, memberId);
  }

  /**
   * Writes (or, where `body` gives undefined, deletes) golden documents in batches. The hub is
   * the only writer of hub-golden, so revisions are remembered rather than read before each
   * write; a document another process changed is read again and written again. The next batch
   * is built (the hub's thread) while the last is written (the database's): one after the other,
   * at 8M records the hub used ~71% of a core and the database ~46% while an import stored.
   */
  private async writeGolden(ids: string[], body: GoldenBody, batch: number): Promise<void> {
    let writing: Promise<void> = Promise.resolve();
    try {
      for (let i = 0; i < ids.length; i += batch) {
        const next = await this.goldenDocs(
          ids.slice(i, i + batch).map((id, j) => ({ id, k: i + j })),
          body,
          0,
        );
        await writing;
        writing = this.writeGoldenBatch(next, body);
        writing.catch(() => undefined); // awaited at the next batch or at the end, not unhandled meanwhile
        // The request goes out on a later turn of the event loop: let it, before the next batch is built.
        await new Promise((r) => setImmediate(r));
      }
    } catch (err) {
      // A batch that could not be built (its revisions unread) ends the call only once the write
      // under way has: the caller's next write must not run beside it.
      await writing.catch(() => undefined);
      throw err;
    }
    await writing;
  }

  /** A batch's documents as they are to be written now: revisions read for the ids not known. */
  private async goldenDocs(part: GoldenPart[], body: GoldenBody, attempt: number): Promise<GoldenBatch> {
    // The bodies first: a read of revisions waits behind the write under way at the database.
    const bodies = part.map((p) => body(p.k));
    const unknown = part.filter((p) => !this.revs.has(p.id) && !(attempt === 0 && this.memberDocsKnown && p.id.startsWith('golden:'))).map((p) => p.id);
    if (unknown.length > 0) for (const [k, rev] of (await this.currentRevs(unknown)).entries()) this.revs.set(unknown[k]!, rev);
    const docs: Doc[] = [];
    const sent: GoldenPart[] = [];
    for (const [i, p] of part.entries()) {
      const rev = this.revs.get(p.id);
      const b = bodies[i];
      if (b === undefined && rev === undefined) continue; // nothing there to delete
      docs.push(b === undefined ? { _id: p.id, _rev: rev!, _deleted: true } : { _id: p.id, ...(rev ? { _rev: rev } : {}), ...b });
      sent.push(p);
    }
    return { docs, sent, attempt };
  }

  /** Writes a batch, and again those of its documents that met a conflict (read afresh), up to five times. */
  private async writeGoldenBatch(batch: GoldenBatch, body: GoldenBody): Promise<void> {
    for (let b = batch; b.docs.length > 0; ) {
      const results = await this.couch.bulk(DB.golden, b.docs);
      const retry: GoldenPart[] = [];
      results.forEach((r, k) => {
        const p = b.sent[k]!;
        if (!r.error) this.revs.set(p.id, b.docs[k]!._deleted ? undefined : r.rev!);
        else if (r.error === 'conflict' && b.attempt < 5) {
          this.revs.delete(p.id);
          retry.push(p);
        } else throw new Error(`writing golden members: ${r.error} ${r.reason ?? ''}`);
      });
      if (retry.length === 0) return;
      b = await this.goldenDocs(retry, body, b.attempt + 1);
    }
  }

  private async currentRevs(ids: string[]): Promise<(string | undefined)[]> {
    const res = await this.couch.db(DB.golden).fetchRevs({ keys: ids });
    return res.rows.map((r) => ('value' in r && r.value && !(r.value as { deleted?: boolean }).deleted ? (r.value as { rev: string }).rev : undefined));
  }
}
