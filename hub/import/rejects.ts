import { type FileHandle, open, stat, truncate } from 'node:fs/promises';

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
