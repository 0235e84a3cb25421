import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../shared/errors.ts';
import { MappingSchema, type Mapping } from '../../shared/one-id/mapping.ts';
import type { OrderSummary } from '../../shared/one-id/order.ts';
import type { SourceRecord } from '../../shared/one-id/record.ts';
import type { Log } from '../../shared/cli/log.ts';
import type { Doc } from '../couch/couch.ts';
import { importFileInThread } from '../import/import-thread.ts';
import { importFile, type ImportCheckpoint, type ImportSummary } from '../import/pipeline.ts';
import { readRejects, type Reject } from '../import/rejects.ts';
import type { IdentityDb } from './identity-db.ts';

export interface ImportProgress {
  /** `queued`: waiting for the import before it (one runs at a time). */
  phase: 'queued' | 'reading' | 'resolving' | 'storing';
  rows: number;
  bytes: number;
  totalBytes: number;
  rowsPerSec: number;
  etaSec?: number;
}

/** An import's state, in hub-identity as `imp:<id>`: the checkpoint is what makes it resumable. */
export interface ImportDoc extends Doc {
  type: 'import';
  id: string;
  source: string;
  path: string;
  sha256: string;
  bytes: number;
  state: 'running' | 'done' | 'failed';
  /** Batches stored so far; the next is chunk `chunks`. */
  chunks: number;
  checkpoint?: ImportCheckpoint;
  rejectsFile: string;
  startedAt: string;
  finishedAt?: string;
  summary?: ImportSummary & Record<string, unknown>;
  error?: string;
  /** The mapping given with the import (absent: the source's file in the mappings dir), for resuming it. */
  mapping?: unknown;
}

export interface ImportSink {
  /** Records of a stored batch, for the resolver (a record seen again replaces itself). */
  add(records: SourceRecord[]): void;
  /** After the last batch: store golden members; returns what to add to the summary. */
  finish(progress: (phase: ImportProgress['phase']) => void): Promise<Record<string, unknown>>;
  /** Resolves once the sink takes records: a start's full pass must not meet an import's (it stays queued). */
  whenLoaded(): Promise<void>;
  /** Imports are under way: from the first one's reading to the end of the last one queued with it. */
  importing(under: boolean): void;
}

const BATCH = 1000;
/** The imports a listing reads at most (newest first after sorting): one per source and file. */
const LISTED = 1000;

/** A source the hub has a mapping for: what the console's upload form offers. */
export interface MappedSource {
  source: string;
  format: Mapping['format'];
  kind: Mapping['kind'];
  description?: string;
}

/** Import files from this size on are read on a worker thread (decision 037): at 6.5 MB the thread still cost more than it saved. */
export const IMPORT_THREAD_BYTES = 8 * 2 ** 20;

/**
 * Runs imports one at a time in the hub: a file is read once, its batches stored as chunks
 * before the checkpoint moves past them, so a crash resumes where the last stored batch ended
 * and the same file imported again (same source, same bytes) is recognised and changes nothing.
 */
export class ImportJobs {
  private readonly live = new Map<string, ImportProgress>();
  private queue: Promise<unknown>;
  /** Imports queued behind the one running: while there are any, resolving and storing wait for the last. */
  private waiting = 0;
  /** Imports read and stored as records, waiting for that last resolve and store. */
  private unfinished: { doc: ImportDoc; summary: ImportSummary; started: number }[] = [];

  constructor(
    /** threadBytes: files from this size on are read on a worker thread (decision 037). */
    private readonly deps: { db: IdentityDb; log: Log; clock: () => Date; dataDir: string; mappingsDir: string; threadBytes: number; sink: ImportSink },
  ) {
    this.queue = deps.sink.whenLoaded();
  }

  async mapping(source: string, given?: unknown): Promise<Mapping> {
    let raw = given;
    if (raw === undefined) {
      raw = await readFile(join(this.deps.mappingsDir, `${source}.json`), 'utf8').then(
        (t) => JSON.parse(t) as unknown,
        () => {
          throw new AppError('mapping_not_found', `no mapping for source '${source}' in ${this.deps.mappingsDir}; pass one with --mapping`);
        },
      );
    }
    const parsed = MappingSchema.safeParse(raw);
    if (!parsed.success) throw new AppError('validation_failed', `mapping: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    if (parsed.data.source !== source) throw new AppError('validation_failed', `mapping is for source '${parsed.data.source}', not '${source}'`);
    return parsed.data;
  }

  /** Starts (or resumes, or recognises as done) the import of a file; returns at once. */
  async start(source: string, path: string, givenMapping?: unknown): Promise<ImportDoc> {
    const mapping = await this.mapping(source, givenMapping);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) throw new AppError('file_not_readable', `the hub cannot read ${path} (the file must be on the hub's machine)`);
    await mkdir(join(this.deps.dataDir, 'rejects'), { recursive: true });
    const sha256 = await fileSha256(path);
    const id = `${source}-${sha256.slice(0, 16)}`;
    const existing = await this.deps.db.get<ImportDoc>(`imp:${id}`);
    if (existing && (existing.state === 'done' || this.live.has(id))) return existing;
    const doc = await this.deps.db.update<ImportDoc>(`imp:${id}`, (cur) => ({
      ...(cur ?? { _id: `imp:${id}`, type: 'import', id, source, sha256, bytes: info.size, chunks: 0, rejectsFile: join(this.deps.dataDir, 'rejects', `${id}.ndjson`), startedAt: this.deps.clock().toISOString() }),
      path,
      state: 'running',
      ...(givenMapping !== undefined ? { mapping: givenMapping } : {}),
    }));
    this.live.set(id, { phase: 'queued', rows: doc!.checkpoint?.rowNo ?? 0, bytes: doc!.checkpoint?.byteOffset ?? 0, totalBytes: info.size, rowsPerSec: 0 });
    this.waiting++;
    const run = this.queue.then(() => {
      this.waiting--;
      return this.run(doc!, mapping);
    });
    this.queue = run.catch(() => undefined);
    return doc!;
  }

  /** The mappings of `mappingsDir` that validate, by source name; a broken file is left out (the CLI names its faults). */
  async sources(): Promise<MappedSource[]> {
    const names = await readdir(this.deps.mappingsDir).catch(() => [] as string[]);
    const out: MappedSource[] = [];
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      const parsed = MappingSchema.safeParse(await readFile(join(this.deps.mappingsDir, name), 'utf8').then((t) => JSON.parse(t) as unknown, () => undefined));
      if (parsed.success && `${parsed.data.source}.json` === name) out.push({ source: parsed.data.source, format: parsed.data.format, kind: parsed.data.kind, ...(parsed.data.description ? { description: parsed.data.description } : {}) });
    }
    return out;
  }

  /**
   * Starts the import of a file sent to the hub (the console's upload): kept in DIR/uploads under
   * its content's hash, so a resumed import finds it again and the same file sent twice is one.
   */
  async receive(source: string, bytes: Uint8Array): Promise<ImportDoc> {
    const mapping = await this.mapping(source);
    const dir = join(this.deps.dataDir, 'uploads');
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${source}-${createHash('sha256').update(bytes).digest('hex')}.${mapping.format}`);
    if (!(await stat(file).catch(() => undefined))) await writeFile(file, bytes, { mode: 0o600 });
    return this.start(source, file, mapping);
  }

  /** Every import, newest first, with the live progress of the running ones. */
  async list(): Promise<(ImportDoc & { progress?: ImportProgress })[]> {
    const docs = await this.deps.db.imports<ImportDoc>(LISTED);
    return docs
      .map((doc) => {
        const progress = this.live.get(doc.id);
        return { ...doc, ...(progress && doc.state === 'running' ? { progress } : {}) };
      })
      .sort((a, b) => b.startedAt.localeCompare(a.startedAt) || (a.id < b.id ? -1 : 1));
  }

  /** A page of an import's rejected rows, in file order, and whether more follow. */
  async rejects(id: string, skip: number, limit: number): Promise<{ rejects: Reject[]; more: boolean }> {
    const doc = await this.view(id);
    return readRejects(doc.rejectsFile, skip, limit);
  }

  async view(id: string): Promise<ImportDoc & { progress?: ImportProgress }> {
    const doc = await this.deps.db.get<ImportDoc>(`imp:${id}`);
    if (!doc) throw new AppError('import_not_found', `no import ${id}`);
    const progress = this.live.get(id);
    return { ...doc, ...(progress && doc.state === 'running' ? { progress } : {}) };
  }

  /**
   * Imports a stopped or dead hub left running, started again from their checkpoints (the hub's
   * start, once One-ID has loaded): an import the hub's death cut off finishes without anyone
   * sending it again (decision 028). One whose file is gone or changed is marked failed, saying so.
   */
  async resumeInterrupted(): Promise<string[]> {
    const left = (await this.deps.db.imports<ImportDoc>(LISTED)).filter((d) => d.state === 'running' && !this.live.has(d.id));
    const resumed: string[] = [];
    for (const doc of left) {
      try {
        const sha256 = await fileSha256(doc.path).catch(() => undefined);
        if (sha256 === undefined) throw new Error(`${doc.path} cannot be read any more`);
        if (sha256 !== doc.sha256) throw new Error(`${doc.path} is not the file this import read (its content changed)`);
        await this.start(doc.source, doc.path, doc.mapping);
        resumed.push(doc.id);
        this.deps.log.warn('resuming an import the last run left unfinished', { import: doc.id, fromRow: doc.checkpoint?.rowNo ?? 0, chunks: doc.chunks });
      } catch (err) {
        const error = `not resumed at the hub's start: ${String((err as Error)?.message ?? err)}`;
        this.deps.log.error('an import the last run left unfinished cannot be resumed', { import: doc.id, error });
        await this.deps.db.update<ImportDoc>(`imp:${doc.id}`, (cur) => (cur && cur.state === 'running' && !this.live.has(doc.id) ? { ...cur, state: 'failed', error } : undefined));
      }
    }
    return resumed;
  }

  /** The imports under way, one line each (the hub's breadcrumb, hub/last-words.ts). */
  running(): string[] {
    return [...this.live].map(([id, p]) => `import ${id}: ${p.phase}, row ${p.rows}, ${Math.round((100 * p.bytes) / Math.max(p.totalBytes, 1))}% of ${Math.round(p.totalBytes / 1048576)} MB`);
  }

  /** Resolves when the imports started so far have ended (tests, shutdown). */
  idle(): Promise<unknown> {
    return this.queue;
  }

  private async run(doc: ImportDoc, mapping: Mapping): Promise<void> {
    const { db, log, sink } = this.deps;
    const progress = this.live.get(doc.id)!;
    progress.phase = 'reading';
    sink.importing(true);
    const started = Date.now();
    const startRows = progress.rows;
    const startBytes = progress.bytes;
    let chunks = doc.chunks;
    // The file is read ahead (on a thread of its own when large, import-thread.ts) while batches
    // are stored. Chunks are written one after another; a batch's records reach the resolver once
    // its chunk is stored, and its checkpoint the database after them. The linking of one batch
    // (the hub's thread) and the write of the next chunk (the database) happen at the same time,
    // and checkpoints that queue meanwhile are written as one, the latest.
    let written: Promise<void> = Promise.resolve();
    let linked: Promise<void> = Promise.resolve();
    let failure: unknown;
    let latest: { n: number; checkpoint: ImportCheckpoint } | undefined;
    let saving: Promise<void> | undefined;
    const saveCheckpoints = async () => {
      try {
        for (let next = latest; next; next = latest) {
          latest = undefined;
          const { n, checkpoint } = next;
          await db.update<ImportDoc>(`imp:${doc.id}`, (cur) => ({ ...cur!, chunks: n + 1, checkpoint }));
          const secs = (Date.now() - started) / 1000;
          progress.rows = checkpoint.rowNo;
          progress.bytes = checkpoint.byteOffset;
          progress.rowsPerSec = Math.round((progress.rows - startRows) / Math.max(secs, 0.001));
          const bytesPerSec = (progress.bytes - startBytes) / Math.max(secs, 0.001);
          if (bytesPerSec > 0) progress.etaSec = Math.ceil((progress.totalBytes - progress.bytes) / bytesPerSec);
        }
      } catch (err) {
        failure ??= err;
      } finally {
        saving = undefined;
      }
    };
    const onBatch = async (records: SourceRecord[], orders: OrderSummary[], checkpoint: ImportCheckpoint) => {
      if (failure) throw failure;
      const n = chunks++;
      const before = linked;
      written = written.then(() => db.writeChunk(doc.id, n, records, orders));
      linked = Promise.all([before, written]).then(async () => {
        // After the next chunk's write has gone out, not before it.
        await new Promise((resolve) => setImmediate(resolve));
        sink.add(records);
        latest = { n, checkpoint };
        saving ??= saveCheckpoints();
      });
      linked.catch(() => undefined); // awaited at the next batch or at the end, not unhandled meanwhile
      await before; // the batch before linked: a failure fails the import here
    };
    /** Every chunk linked and every checkpoint stored, or the first failure thrown. */
    const stored = async () => {
      await linked.catch((err: unknown) => void (failure ??= err));
      while (saving) await saving;
      if (failure) throw failure;
    };
    try {
      // A thread's start (tsx's loader in it) costs more than it gives back on a small file.
      const read = doc.bytes >= this.deps.threadBytes ? importFileInThread : importFile;
      const summary = await read({
        mapping,
        file: doc.path,
        rejectsFile: doc.rejectsFile,
        batchSize: BATCH,
        ...(doc.checkpoint ? { checkpoint: doc.checkpoint } : {}),
        onBatch,
      });
      await stored();
      this.unfinished.push({ doc, summary, started });
      // Files queued together (a nightly drop of every channel) are resolved and stored once.
      if (this.waiting > 0) {
        progress.phase = 'resolving';
        return;
      }
      const batch = this.unfinished;
      this.unfinished = [];
      const resolved = await sink.finish((phase) => {
        for (const b of batch) if (this.live.has(b.doc.id)) this.live.get(b.doc.id)!.phase = phase;
      });
      for (const b of batch) {
        await db.update<ImportDoc>(`imp:${b.doc.id}`, (cur) => ({ ...cur!, state: 'done', finishedAt: this.deps.clock().toISOString(), summary: { ...b.summary, ...resolved, seconds: Math.round((Date.now() - b.started) / 100) / 10 } }));
        this.live.delete(b.doc.id);
        log.info('import done', { import: b.doc.id, rows: b.summary.rows, rejected: b.summary.rejected });
      }
    } catch (err) {
      await stored().catch(() => undefined);
      log.error('import failed', { import: doc.id, error: String((err as Error)?.message ?? err) });
      const failed = [...this.unfinished.map((u) => u.doc), ...(this.unfinished.some((u) => u.doc.id === doc.id) ? [] : [doc])];
      this.unfinished = [];
      for (const d of failed) {
        await db.update<ImportDoc>(`imp:${d.id}`, (cur) => ({ ...cur!, state: 'failed', error: String((err as Error)?.message ?? err) })).catch(() => undefined);
        this.live.delete(d.id);
      }
    } finally {
      if (this.waiting === 0) sink.importing(false);
    }
  }
}

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Uint8Array);
  return hash.digest('hex');
}
