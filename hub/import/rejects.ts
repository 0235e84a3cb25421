import { createReadStream } from 'node:fs';
import { type FileHandle, open, stat, truncate } from 'node:fs/promises';
import { createInterface } from 'node:readline';

/*
 * The rows an import could not take, one NDJSON line each: { rowNo, reason, row }. Lines are
 * buffered and written at each checkpoint, so the file's size at a checkpoint says exactly which
 * rejects it holds; resuming truncates the file back to that size, and the rows after the
 * checkpoint are rejected again without duplicates.
 */

export interface RejectsFile {
  add(rowNo: number, reason: string, row: unknown): void;
  /** Writes what was added and syncs it; returns the file's size, for the checkpoint. */
  flush(): Promise<number>;
  close(): Promise<void>;
}

/** Opens `file` for appending after truncating it to `resumeAt` bytes (0 starts afresh). */
export async function openRejects(file: string, resumeAt = 0): Promise<RejectsFile> {
  const size = await stat(file).then((s) => s.size, () => 0);
  if (resumeAt > size) throw new Error(`rejects file ${file} is shorter (${size} bytes) than its checkpoint (${resumeAt}); start the import afresh`);
  if (size > resumeAt) await truncate(file, resumeAt);
  const handle: FileHandle = await open(file, 'a', 0o600);
  let bytes = resumeAt;
  let pending: string[] = [];
  return {
    add(rowNo, reason, row) {
      pending.push(JSON.stringify({ rowNo, reason, row }) + '\n');
    },
    async flush() {
      if (pending.length === 0) return bytes;
      const text = pending.join('');
      pending = [];
      await handle.write(text);
      await handle.datasync();
      bytes += Buffer.byteLength(text);
      return bytes;
    },
    async close() {
      await handle.close();
    },
  };
}

/** One line of a rejects file. */
export interface Reject {
  rowNo: number;
  reason: string;
  row: unknown;
}

/**
 * `limit` rejects after the first `skip`, read line by line (a page never holds the whole file),
 * and whether more follow. A file not written yet (an import that rejected nothing so far) is empty.
 */
export async function readRejects(file: string, skip: number, limit: number): Promise<{ rejects: Reject[]; more: boolean }> {
  if (!(await stat(file).catch(() => undefined))) return { rejects: [], more: false };
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  const rejects: Reject[] = [];
  let n = 0;
  let more = false;
  try {
    for await (const line of lines) {
      if (line === '') continue;
      if (n++ < skip) continue;
      if (rejects.length === limit) {
        more = true;
        break;
      }
      rejects.push(JSON.parse(line) as Reject);
    }
  } finally {
    lines.close();
  }
  return { rejects, more };
}
