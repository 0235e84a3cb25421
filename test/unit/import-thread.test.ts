import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importFileInThread } from '../../hub/import/import-thread.ts';
import { importFile, type ImportCheckpoint } from '../../hub/import/pipeline.ts';
import { MappingSchema, type Mapping } from '../../shared/one-id/mapping.ts';
import type { SourceRecord } from '../../shared/one-id/record.ts';

/* The import pipeline on a worker thread (decision 037): what `importFile` gives, in the same order. */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'import-thread-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const members: Mapping = MappingSchema.parse({ source: 'crm', format: 'csv', kind: 'members', idField: 'no', columns: { phone: 'mobile', name: 'name' } });
const fixed = { observedAt: '2026-01-01T00:00:00.000Z', today: '2026-01-01' };
const rows = (n: number) => ['no,mobile,name', ...Array.from({ length: n }, (_, i) => (i % 7 === 3 ? `${i},123,bad` : `${i},1380013${String(i).padStart(4, '0')},名${i}`))].join('\n') + '\n';

async function run(importer: typeof importFile, file: string, slow = false) {
  const got: { records: SourceRecord[]; checkpoints: ImportCheckpoint[] } = { records: [], checkpoints: [] };
  let inside = false;
  const summary = await importer({
    mapping: members,
    file,
    rejectsFile: `${file}.${importer === importFile ? 'here' : 'thread'}.rejects`,
    batchSize: 10,
    ...fixed,
    onBatch: async (records, _orders, checkpoint) => {
      if (inside) throw new Error('a batch given before the last was stored');
      inside = true;
      if (slow) await new Promise((r) => setTimeout(r, 2));
      got.records.push(...records);
      got.checkpoints.push(checkpoint);
      inside = false;
    },
  });
  return { ...got, summary: { ...summary, rejectsFile: undefined } };
}

describe('importFileInThread', () => {
  it('gives the batches, checkpoints and counts importFile gives, one batch at a time', async () => {
    const file = join(dir, 'a.csv');
    await writeFile(file, rows(250));
    const here = await run(importFile, file);
    const thread = await run(importFileInThread, file, true);
    expect(thread).toEqual(here);
    expect(thread.records).toHaveLength(250 - 36);
    expect(thread.checkpoints.map((c) => c.rowNo)).toEqual([...Array.from({ length: 25 }, (_, i) => (i + 1) * 10)]);
  });

  it('ends with the error of a batch the caller refused, and gives it no later batch', async () => {
    const file = join(dir, 'b.csv');
    await writeFile(file, rows(200));
    const seen: number[] = [];
    const err = await importFileInThread({
      mapping: members,
      file,
      batchSize: 10,
      ...fixed,
      onBatch: async (_records, _orders, checkpoint) => {
        seen.push(checkpoint.rowNo);
        if (checkpoint.rowNo === 30) throw new Error('database gone');
      },
    }).catch((e: Error) => e);
    expect((err as Error).message).toBe('database gone');
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([10, 20, 30]);
  });

  it("ends with the pipeline's own error (a checkpoint past the file's end)", async () => {
    const file = join(dir, 'c.csv');
    await writeFile(file, rows(5));
    const checkpoint: ImportCheckpoint = { rowNo: 99, byteOffset: 1_000_000, rejectsBytes: 0, counts: { rows: 99, accepted: 99, cleaned: 0, rejected: 0, duplicates: 0, completenessSum: 0 } };
    await expect(importFileInThread({ mapping: members, file, checkpoint, ...fixed, onBatch: async () => undefined })).rejects.toThrow(/past the end/);
  });
});
