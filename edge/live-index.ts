import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { MemberIndex, type SnapshotPart } from '../shared/member-index.ts';
import { AnyDocSchema, type AnyDoc } from '../shared/schemas/documents.ts';
import { AppError } from '../shared/errors.ts';
import type { StoreDb } from './store-db.ts';

export interface WriteResult {
  /** Ids that already existed: for immutable facts, somebody wrote the same fact first. */
  conflicts: string[];
}

/** Progress of a long start-up, for the CLI to show. */
export type Progress = (phase: string, done: number, total: number) => void;

/**
 * The store's replica and its in-memory index, kept in step. Every write goes through `write`,
 * which stores the documents and then folds them into the index; the index's snapshot on disk
 * is only a cache (the database is the truth), so a crash costs a replay, never a fact.
 */
export class LiveIndex {
  private inflight = 0;
  private gate: Promise<void> | undefined;
  private changesSinceSnapshot = 0;

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
    return live;
  }

  private async rebuild(progress: Progress): Promise<void> {
    const info = await this.db.info();
    let startkey: string | undefined;
    let done = 0;
    for (;;) {
      const page = await this.db.allDocs({ include_docs: true, limit: 5000, ...(startkey ? { startkey, skip: 1 } : {}) });
      if (page.rows.length === 0) break;
      for (const row of page.rows) if (row.doc) this.applyStored(row.doc);
      done += page.rows.length;
      startkey = page.rows[page.rows.length - 1]!.id;
      progress('rebuilding index', done, info.doc_count);
    }
    this.changesSinceSnapshot = done;
    if (done > 0) await this.persist(info.update_seq);
  }

  private async replayChanges(since: number | string, progress: Progress): Promise<void> {
    let seq = since;
    let done = 0;
    for (;;) {
      const page = await this.db.changes({ since: seq, include_docs: true, limit: 2000 });
      if (page.results.length === 0) break;
      for (const change of page.results) if (change.doc && !change.deleted) this.applyStored(change.doc);
      done += page.results.length;
      seq = page.last_seq;
      progress('replaying changes', done, done);
    }
    this.changesSinceSnapshot = done;
  }

  private applyStored(doc: unknown): void {
    const parsed = AnyDocSchema.safeParse(doc);
    if (parsed.success) this.index.apply(parsed.data);
  }

  /**
   * Stores documents in one batch and folds them into the index. A document whose id exists is
   * reported as a conflict and not folded again. Throws on any other storage error.
   */
  async write(docs: AnyDoc[]): Promise<WriteResult> {
    while (this.gate) await this.gate;
    this.inflight++;
    try {
      const results = await this.db.bulkDocs(docs as PouchDB.Core.PutDocument<Record<string, unknown>>[]);
      const conflicts: string[] = [];
      results.forEach((r, i) => {
        if ('error' in r && r.error) {
          if (r.status === 409) conflicts.push(docs[i]!._id);
          else throw new AppError('internal', `storage refused ${docs[i]!._id}: ${r.message ?? r.error}`);
        } else {
          this.index.apply(docs[i]!);
          this.changesSinceSnapshot++;
        }
      });
      return { conflicts };
    } finally {
      this.inflight--;
    }
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
        seq = (await this.db.info()).update_seq;
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
 * as one string, and checkouts go on while it is written.
 */
const SNAPSHOT_FORMAT = 2;

async function writeSnapshot(file: string, seq: number | string, index: MemberIndex): Promise<void> {
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
        if (head.format !== SNAPSHOT_FORMAT) return undefined;
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
