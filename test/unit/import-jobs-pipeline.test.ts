import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLog } from '../../shared/cli/log.ts';
import type { SourceRecord } from '../../shared/one-id/record.ts';
import type { IdentityDb } from '../../hub/identity/identity-db.ts';
import { ImportJobs, type ImportDoc } from '../../hub/identity/import-jobs.ts';

const dir = mkdtempSync(join(tmpdir(), 'import-pipeline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ROWS = 3500; // four batches of 1,000 rows, the last short
const file = join(dir, 'crm.csv');
writeFileSync(
  file,
  ['会员编号,会员卡号,手机号,姓名,性别,生日,省份,城市,注册时间,注册门店,更新时间', ...Array.from({ length: ROWS }, (_, i) => `M${String(i).padStart(8, '0')},,+86139${String(10_000_000 + i)},,,,,,2020-02-28 11:27:30,S001,2020-06-16 11:27:30`)].join('\n'),
);

/** hub-identity in memory, a chunk's write slower than reading a batch, the events in order. */
function fakeDb(events: string[], failChunk?: number) {
  const docs = new Map<string, ImportDoc>();
  const chunks: number[] = [];
  const db = {
    get: async (id: string) => docs.get(id),
    update: async (id: string, change: (cur: ImportDoc | undefined) => ImportDoc | undefined) => {
      await new Promise((r) => setTimeout(r, 2));
      const next = change(docs.get(id));
      if (next) docs.set(id, structuredClone(next));
      return next;
    },
    imports: async () => [...docs.values()],
    writeChunk: async (_import: string, n: number) => {
      events.push(`write ${n}`);
      await new Promise((r) => setTimeout(r, 60));
      if (n === failChunk) throw new Error('disk full');
      chunks.push(n);
      events.push(`written ${n}`);
    },
  };
  return { db: db as unknown as IdentityDb, docs, chunks };
}

function jobsWith(db: IdentityDb, events: string[]) {
  const added: SourceRecord[] = [];
  let batches = 0;
  const jobs = new ImportJobs({
    db,
    log: createLog('test', true),
    clock: () => new Date(),
    dataDir: dir,
    mappingsDir: join(import.meta.dirname, '../../deploy/mappings'),
    threadBytes: Number.POSITIVE_INFINITY,
    sink: {
      add: (records) => {
        events.push(`add ${batches++}`);
        added.push(...records);
      },
      finish: async () => ({}),
      whenLoaded: async () => undefined,
      importing: () => undefined,
    },
  });
  return { jobs, added };
}

describe('an import stores its batches while it links them', () => {
  it('writes every chunk in order, links each batch after its chunk, and ends with the last checkpoint', async () => {
    const events: string[] = [];
    const store = fakeDb(events);
    const { jobs, added } = jobsWith(store.db, events);
    const doc = await jobs.start('crm', file);
    await jobs.idle();
    const done = store.docs.get(`imp:${doc.id}`)!;
    expect(done.state).toBe('done');
    expect(done.chunks).toBe(4);
    expect(done.checkpoint?.rowNo).toBe(ROWS);
    expect(store.chunks).toEqual([0, 1, 2, 3]);
    expect(added.map((r) => r.id)).toEqual(Array.from({ length: ROWS }, (_, i) => `crm:M${String(i).padStart(8, '0')}`));
    expect(events.filter((e) => e.startsWith('add'))).toEqual(['add 0', 'add 1', 'add 2', 'add 3']);
    for (let n = 0; n < 4; n++) expect(events.indexOf(`add ${n}`)).toBeGreaterThan(events.indexOf(`written ${n}`));
    // The database is not left waiting while a batch is linked: the next chunk's write has gone out first.
    for (let n = 0; n < 3; n++) expect(events.indexOf(`write ${n + 1}`)).toBeLessThan(events.indexOf(`add ${n}`));
  });

  it('fails on a chunk the database refuses: nothing after it is linked, and the checkpoint is of a stored chunk', async () => {
    const events: string[] = [];
    const store = fakeDb(events, 2);
    const { jobs, added } = jobsWith(store.db, events);
    const doc = await jobs.start('crm', file);
    await jobs.idle();
    const failed = store.docs.get(`imp:${doc.id}`)!;
    expect(failed.state).toBe('failed');
    expect(failed.error).toMatch(/disk full/);
    expect(store.chunks).toEqual([0, 1]);
    expect(added).toHaveLength(2000);
    expect(failed.chunks).toBe(2);
    expect(failed.checkpoint?.rowNo).toBe(2000);
  });
});
