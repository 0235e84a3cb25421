import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { MemberIndex, type SnapshotPart } from '../shared/member-index.ts';
import { AnyDocSchema, type AnyDoc } from '../shared/schemas/documents.ts';
import { ProductCatalog } from '../shared/products/catalog.ts';
import { PRODUCT_RANGE } from '../shared/products/master.ts';
import { AppError } from '../shared/errors.ts';
import type { StoreDb } from './store-db.ts';

export interface WriteResult {
  /** Ids that already existed: for immutable facts, somebody wrote the same fact first. */
  conflicts: string[];
}

interface PendingWrite {
  docs: AnyDoc[];
  resolve: (r: WriteResult) => void;
  reject: (err: unknown) => void;
}

const MAX_BATCH_DOCS = 500;
/** What follows the database's changes: the node's own writes to skip, the changes told and not folded yet. */
interface Follower {
  feed: PouchDB.Core.Changes<Record<string, unknown>>;
  ownWrites: Set<string>;
  queue: { id: string; seq: number | string }[];
  pumping: Promise<void> | undefined;
  /** Wakes a pump waiting for the rest of a write (toldOfCommitted). */
  told: (() => void) | undefined;
}

/** Documents the follower reads in one request. */
const FOLD_READ = 1000;

/** Progress of a long start-up, for the CLI to show. */
export type Progress = (phase: string, done: number, total: number) => void;

/**
 * The store's replica and its in-memory index, kept in step. Every write goes through `write`,
 * which stores the documents and then folds them into the index; the index's snapshot on disk
 * is only a cache (the database is the truth), so a crash costs a replay, never a fact.
 */
export class LiveIndex {
  private readonly queue: PendingWrite[] = [];
  private flushing: Promise<void> | undefined;
  /** Batches being stored: their documents may have sequence numbers but not be folded yet. */
  private inflight = 0;
  private gate: Promise<void> | undefined;
  private changesSinceSnapshot = 0;
  /** The product master's category and brand per SKU (decision 017), from the hub's chunks. */
  readonly products = new ProductCatalog();
  /** The database sequence the index is known to cover (after open; then as the follower goes). */
  private coveredSeq: number | string = 0;
  private follower: Follower | undefined;

  private constructor(
    readonly db: StoreDb,
    readonly index: MemberIndex,
    private readonly snapshotFile: string,
  ) {}

  /** Loads the snapshot (if any) and replays what the database holds beyond it. */
  static async open(db: StoreDb, snapshotFile: string, progress: Progress = () => {}): Promise<LiveIndex> {
    const snap = await readSnapshot(snapshotFile);
    const live = new LiveIndex(db, snap?.index ?? new MemberIndex(), snapshotFile);
    if (snap) await live.replayChanges(snap.seq, progress);
    else await live.rebuild(progress);
    // The product master is not in the snapshot: 64 documents at most, read at every start.
    const chunks = await db.allDocs({ ...PRODUCT_RANGE, include_docs: true });
    for (const row of chunks.rows) if ('doc' in row && row.doc) live.products.applyStored(row.doc);
    return live;
  }

  private async rebuild(progress: Progress): Promise<void> {
    const info = await this.db.info();
    let startkey: string | undefined;
    let done = 0;
    for (;;) {
      const page = await this.db.allDocs({ include_docs: true, limit: 5000, ...(startkey ? { startkey, skip: 1 } : {}) });
      if (page.rows.length === 0) break;
      for (const row of page.rows) if (row.doc) this.index.applyStored(row.doc);
      done += page.rows.length;
      startkey = page.rows[page.rows.length - 1]!.id;
      progress('rebuilding index', done, info.doc_count);
    }
    this.changesSinceSnapshot = done;
    this.coveredSeq = info.update_seq;
    if (done > 0) await this.persist(info.update_seq);
  }

  private async replayChanges(since: number | string, progress: Progress): Promise<void> {
    let seq = since;
    let done = 0;
    for (;;) {
      const page = await this.db.changes({ since: seq, include_docs: true, limit: 2000 });
      if (page.results.length === 0) break;
      for (const change of page.results) {
        if (change.deleted) this.applyDeleted(change.id);
        else if (change.doc) this.applyForeign(change.doc);
      }
      done += page.results.length;
      seq = page.last_seq;
      progress('replaying changes', done, done);
    }
    this.changesSinceSnapshot = done;
    this.coveredSeq = seq;
  }

  /**
   * Folds in what others write to the database: replication from the hub. Documents this class
   * wrote itself are recognised by id and skipped (they are folded when written); the rest are
   * read in batches, in sequence order, so `coveredSeq` always means "everything up to here".
   */
  follow(onSeq: (seq: number) => void = () => {}): void {
    if (this.follower) return;
    const feed = this.db.changes({ live: true, since: this.coveredSeq, return_docs: false } as PouchDB.Core.ChangesOptions);
    const f: Follower = { feed, ownWrites: new Set<string>(), queue: [], pumping: undefined, told: undefined };
    this.follower = f;
    feed.on('change', (c) => {
      f.queue.push({ id: c.id, seq: c.seq });
      onSeq(Number(c.seq) || 0);
      f.told?.();
      f.pumping ??= this.pump().finally(() => (f.pumping = undefined));
    });
  }

  private async pump(): Promise<void> {
    const f = this.follower!;
    while (f.queue.length > 0) {
      if (f.queue.some((c) => !f.ownWrites.has(c.id))) await this.toldOfCommitted(f);
      const batch = f.queue.splice(0);
      const foreign = batch.filter((c) => !f.ownWrites.delete(c.id)).map((c) => c.id);
      // Read first, folded after in one turn: a till sees the batch's writes whole or not at all.
      const rows = [];
      for (let i = 0; i < foreign.length; i += FOLD_READ) rows.push(...(await this.db.allDocs({ keys: foreign.slice(i, i + FOLD_READ), include_docs: true })).rows);
      for (const row of rows) {
        if ('doc' in row && row.doc) {
          this.applyForeign(row.doc);
          this.changesSinceSnapshot++;
        } else if ('value' in row && row.value?.deleted) {
          this.applyDeleted(row.id);
          this.changesSinceSnapshot++;
        }
      }
      this.coveredSeq = batch[batch.length - 1]!.seq;
    }
  }

  /**
   * Waits until the feed has told of every write committed now. A replicated batch is one
   * LevelDB write, but PouchDB stores it in id order (it sorts a new_edits: false write) and the
   * feed tells of its documents over several turns: folding them as they were told showed a till,
   * between two turns, a One-ID merge's `alias:` without the survivor's `member:` and `pts:` of
   * the same write, so the merged member with the merged-away side's points only. The last
   * change of a write is always told (the feed leaves out only changes superseded since).
   */
  private async toldOfCommitted(f: Follower): Promise<void> {
    const committed = Number((await this.db.info()).update_seq);
    const giveUp = Date.now() + 2000;
    while (Number(f.queue[f.queue.length - 1]?.seq ?? 0) < committed && Date.now() < giveUp) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        f.told = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      f.told = undefined;
    }
  }

  /** Folds a document another writer (the hub) stored; an erasure also has old revisions compacted away. */
  private applyForeign(doc: unknown): void {
    this.index.applyStored(doc);
    if ((doc as { type?: unknown }).type === 'products') this.products.applyStored(doc);
    const d = doc as { type?: unknown; erasedAt?: unknown };
    if (d.type === 'member' && typeof d.erasedAt === 'string') this.compactSoon();
  }

  /** The hub deletes identity keys only when it erases a member: the key finds no one here either. */
  private applyDeleted(id: string): void {
    if (!id.startsWith('idk:')) return;
    this.index.dropKey(id.slice('idk:'.length));
    this.compactSoon();
  }

  private compactTimer: NodeJS.Timeout | undefined;
  private compacting: Promise<void> | undefined;

  /**
   * After an erasure the replica still holds the revisions from before it, personal data
   * included, until the database is compacted (decision 014). One compaction a second at most:
   * an erasure brings a member document and several key deletions together.
   */
  compactSoon(): void {
    if (this.compactTimer) return;
    this.compactTimer = setTimeout(() => {
      this.compactTimer = undefined;
      this.compacting = (this.compacting ?? Promise.resolve()).then(() => this.db.compact().then(() => undefined)).catch(() => undefined);
    }, 1000);
    this.compactTimer.unref();
  }

  /** Waits for a compaction under way (a node stopping, a test). */
  async compacted(): Promise<void> {
    await this.compacting;
  }

  /**
   * Stores documents in one batch and folds them into the index. A document whose id exists is
   * reported as a conflict and not folded again; any other storage error rejects the write.
   *
   * Writes that arrive while a batch is being stored go together in the next one (group
   * commit): PouchDB stores one bulkDocs at a time, and at a thousand checkouts a second the
   * queue of single ones, not the disk, was the wait. Each writer's documents still land in one
   * LevelDB batch, all or none.
   */
  write(docs: AnyDoc[]): Promise<WriteResult> {
    // Nothing is stored that could not be read back: a document the schema refuses would be left
    // out of the index at the next start and make a retried receipt answer 500 (about 7 µs a checkout).
    for (const doc of docs) {
      const checked = AnyDocSchema.safeParse(doc);
      if (!checked.success) {
        const issue = checked.error.issues[0]!;
        return Promise.reject(new AppError('internal', `refusing to store ${doc._id}: ${issue.path.join('.')}: ${issue.message}; nothing was recorded`));
      }
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ docs, resolve, reject });
      if (!this.flushing) this.flushing = this.flush();
    });
  }

  private async flush(): Promise<void> {
    for (;;) {
      while (this.gate) await this.gate;
      if (this.queue.length === 0) {
        this.flushing = undefined;
        return;
      }
      const batch = this.takeBatch();
      const docs = batch.flatMap((w) => w.docs);
      this.inflight++;
      for (const d of docs) this.follower?.ownWrites.add(d._id);
      try {
        let results: (PouchDB.Core.Response | PouchDB.Core.Error)[];
        try {
          results = await this.db.bulkDocs(docs as PouchDB.Core.PutDocument<Record<string, unknown>>[]);
        } catch (err) {
          for (const d of docs) this.follower?.ownWrites.delete(d._id);
          for (const w of batch) w.reject(err);
          continue;
        }
        let i = 0;
        for (const w of batch) {
          const conflicts: string[] = [];
          let failure: AppError | undefined;
          for (const doc of w.docs) {
            const r = results[i++]!;
            if ('error' in r && r.error) {
              // The follower may have skipped a replicated document of this id as ours: fold what is stored.
              if (this.follower?.ownWrites.delete(doc._id) && r.status === 409) void this.db.get(doc._id).then((d) => this.index.applyStored(d), () => {});
              if (r.status === 409) conflicts.push(doc._id);
              else failure ??= new AppError('internal', `storage refused ${doc._id}: ${r.message ?? r.error}`);
            } else {
              this.index.apply(doc);
              this.changesSinceSnapshot++;
            }
          }
          if (failure) w.reject(failure);
          else w.resolve({ conflicts });
        }
      } finally {
        this.inflight--;
      }
    }
  }

  /**
   * Stores documents exactly as the hub stored them for this store (with their revisions, as
   * replication would bring them) and folds them in at once: a member the hub just found is
   * servable before replication delivers the same revisions, which then change nothing. The
   * follower is not told to skip them: a revision already here makes no change to see, and a
   * skip list entry would then hide a later real change of that id; the follower folding one
   * again is harmless, the fold being idempotent.
   */
  async applyFromHub(docs: Record<string, unknown>[]): Promise<void> {
    if (docs.length === 0) return;
    while (this.gate) await this.gate;
    this.inflight++;
    try {
      const results = await this.db.bulkDocs(docs as PouchDB.Core.PutDocument<Record<string, unknown>>[], { new_edits: false });
      const failed = results.find((r) => 'error' in r && r.error);
      if (failed) throw new AppError('internal', `storage refused a document from the hub: ${(failed as PouchDB.Core.Error).message ?? (failed as PouchDB.Core.Error).error}`);
      // What is stored now may be another revision that wins over the hub's: fold the winners.
      const stored = await this.db.allDocs({ keys: docs.map((d) => String(d._id)), include_docs: true });
      for (const row of stored.rows) {
        if ('doc' in row && row.doc) {
          this.index.applyStored(row.doc);
          this.changesSinceSnapshot++;
        }
      }
    } finally {
      this.inflight--;
    }
  }

  /** The waiting writes, up to about MAX_BATCH_DOCS documents (a single large write goes alone). */
  private takeBatch(): PendingWrite[] {
    let n = 0;
    let k = 0;
    while (k < this.queue.length && (k === 0 || n + this.queue[k]!.docs.length <= MAX_BATCH_DOCS)) n += this.queue[k++]!.docs.length;
    return this.queue.splice(0, k);
  }

  stopFollowing(): void {
    this.follower?.feed.cancel();
  }

  get pendingSnapshotChanges(): number {
    return this.changesSinceSnapshot;
  }

  /**
   * Saves the index with the database sequence it covers. Writes pause while that sequence is
   * read, so nothing at or below it can be missing from the index.
   */
  async persist(seqOverride?: number | string): Promise<void> {
    let seq = seqOverride;
    if (seq === undefined) {
      let open!: () => void;
      this.gate = new Promise<void>((resolve) => (open = resolve));
      try {
        while (this.inflight > 0) await new Promise((r) => setImmediate(r));
        // Followed: what the follower has folded (replicated documents come only through it).
        seq = this.follower ? this.coveredSeq : (await this.db.info()).update_seq;
      } finally {
        this.gate = undefined;
        open();
      }
    }
    this.changesSinceSnapshot = 0;
    await writeSnapshot(this.snapshotFile, seq, this.index);
  }
}

/*
 * The snapshot file is NDJSON: a line with the format and sequence, then one line per part of
 * the index. Written part by part with pauses for the event loop, it never holds the whole index
 * as one string, and checkouts go on while it is written. Format 3 keeps phone and name on the
 * member's record and phone keys bare; a node reads 2 as well (MemberIndex converts the records),
 * and an older node finds 3 unknown and rebuilds from its database rather than misreading it.
 */
const SNAPSHOT_FORMAT = 3;
const READABLE_FORMATS = new Set([2, SNAPSHOT_FORMAT]);

/** Saves an index as the snapshot covering the database up to `seq` (also for an index built elsewhere, as enroll does). */
export async function writeSnapshot(file: string, seq: number | string, index: MemberIndex): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  const out = createWriteStream(tmp, { mode: 0o600 });
  const closed = once(out, 'close');
  try {
    out.write(JSON.stringify({ format: SNAPSHOT_FORMAT, seq }) + '\n');
    for (const part of index.snapshotParts()) {
      if (!out.write(JSON.stringify(part) + '\n')) await once(out, 'drain');
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    out.end();
    await closed;
  }
  await rename(tmp, file);
}

async function readSnapshot(file: string): Promise<{ seq: number | string; index: MemberIndex } | undefined> {
  if (!existsSync(file)) return undefined;
  try {
    const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    let seq: number | string | undefined;
    const index = new MemberIndex();
    for await (const line of lines) {
      if (seq === undefined) {
        const head = JSON.parse(line) as { format: number; seq: number | string };
        if (!READABLE_FORMATS.has(head.format)) return undefined;
        seq = head.seq;
      } else if (line) {
        index.loadPart(JSON.parse(line) as SnapshotPart);
      }
    }
    return seq === undefined ? undefined : { seq, index };
  } catch {
    return undefined; // a damaged cache is rebuilt from the database
  }
}
