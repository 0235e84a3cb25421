import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { writeFileAtomic } from '../../shared/cli/write-file-atomic.ts';
import type { Log } from '../../shared/cli/log.ts';

export const EXPORT_FORMATS = ['csv', 'audience'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportJob {
  id: string;
  segmentId: string;
  segmentVersion: number;
  format: ExportFormat;
  state: 'running' | 'done' | 'failed';
  done: number;
  total: number;
  rows: number;
  owner: string;
  scope: string | null;
  masked: boolean;
  startedAt: string;
  finishedAt?: string;
  error?: string;
}

/** A finished file waits this long for its download, then it is deleted. */
export const KEEP_MS = 60 * 60 * 1000;
const MAX_JOBS = 20;
const JOB_ID = /^exp-[A-Za-z0-9-]{1,80}$/;

/**
 * Segment exports on disk, under `<hub dir>/exports/`: each job's state in `<id>.json` and its
 * file in `<id>.csv` (written as `.part` and renamed when complete), both readable by the hub's
 * user only. A file of a million members is a hundred megabytes: on disk, not in the hub's
 * memory for the hour it waits. A hub that stops while a job runs finds it at the next start and
 * marks it failed, saying why (the operator exports again); finished files and their records
 * are deleted an hour after they were made, at start and as new jobs come.
 */
export class SegmentExports {
  private readonly jobs = new Map<string, ExportJob>();

  constructor(
    private readonly dir: string,
    private readonly clock: () => Date,
    private readonly log: Log,
  ) {}

  async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const names = await readdir(this.dir);
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      const job = await readFile(join(this.dir, name), 'utf8')
        .then((t) => JSON.parse(t) as ExportJob)
        .catch(() => undefined);
      if (!job || !JOB_ID.test(job.id) || `${job.id}.json` !== name) continue;
      if (job.state === 'running') {
        Object.assign(job, { state: 'failed', error: 'the hub stopped before the export finished; export again', finishedAt: this.clock().toISOString() });
        await this.save(job);
        this.log.warn('segments: an export left running by the last run is marked failed', { job: job.id });
      }
      this.jobs.set(job.id, job);
    }
    // Parts of jobs that never finished, and files whose record is gone.
    for (const name of names) {
      const id = name.replace(/\.(csv|csv\.part|json)$/, '');
      if (!this.jobs.has(id) || name.endsWith('.part')) await rm(join(this.dir, name), { force: true });
    }
    await this.sweep();
  }

  /** A job, unless its hour is over (its files go at the next sweep). */
  get(id: string): ExportJob | undefined {
    const j = this.jobs.get(id);
    return j && !this.expired(j) ? j : undefined;
  }

  all(): ExportJob[] {
    return [...this.jobs.values()].filter((j) => !this.expired(j));
  }

  private expired(j: ExportJob): boolean {
    return j.finishedAt !== undefined && this.clock().getTime() - Date.parse(j.finishedAt) > KEEP_MS;
  }

  /** A new job: recorded at once, so a restart knows of it. The oldest finished jobs make room. */
  async add(job: ExportJob): Promise<void> {
    await this.sweep();
    for (const old of [...this.jobs.values()]) {
      if (this.jobs.size < MAX_JOBS) break;
      if (old.state !== 'running') await this.forget(old.id);
    }
    this.jobs.set(job.id, job);
    await this.save(job);
  }

  /** Where the job's rows go: appended in order; `close` makes the file the job's (or drops it). */
  writer(job: ExportJob): { write(text: string): Promise<void>; close(ok: boolean): Promise<void> } {
    const part = join(this.dir, `${job.id}.csv.part`);
    const out = createWriteStream(part, { mode: 0o600 });
    const failed = new Promise<never>((_, reject) => out.once('error', reject));
    failed.catch(() => undefined);
    return {
      write: async (text) => {
        if (!out.write(text)) await Promise.race([once(out, 'drain'), failed]);
      },
      close: async (ok) => {
        out.end();
        await Promise.race([once(out, 'close'), failed]);
        if (ok) await rename(part, this.file(job.id));
        else await rm(part, { force: true });
      },
    };
  }

  async finish(job: ExportJob, error?: unknown): Promise<void> {
    Object.assign(job, error === undefined ? { state: 'done' } : { state: 'failed', error: String(error) }, { finishedAt: this.clock().toISOString() });
    await this.save(job);
  }

  /** The finished file: its size and a stream of it. */
  async open(job: ExportJob): Promise<{ size: number; stream: ReadStream }> {
    const file = this.file(job.id);
    return { size: (await stat(file)).size, stream: createReadStream(file) };
  }

  private file(id: string): string {
    return join(this.dir, `${id}.csv`);
  }

  private save(job: ExportJob): Promise<void> {
    return writeFileAtomic(join(this.dir, `${job.id}.json`), JSON.stringify(job) + '\n');
  }

  private async sweep(): Promise<void> {
    for (const j of [...this.jobs.values()]) if (this.expired(j)) await this.forget(j.id);
  }

  private async forget(id: string): Promise<void> {
    this.jobs.delete(id);
    for (const name of [`${id}.csv`, `${id}.json`]) await rm(join(this.dir, name), { force: true });
  }
}
