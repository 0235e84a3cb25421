import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createLog } from '../../shared/cli/log.ts';
import { KEEP_MS, SegmentExports, type ExportJob } from '../../hub/segments/export-jobs.ts';
import { removeDir, tempDir } from '../support/edge-node.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach(removeDir));
const log = createLog('test', true);

function job(id: string, over: Partial<ExportJob> = {}): ExportJob {
  return { id, segmentId: 'seg-1', segmentVersion: 1, format: 'csv', state: 'running', done: 0, total: 3, rows: 0, owner: 'token:admin', scope: null, masked: false, startedAt: '2026-11-30T10:00:00.000Z', ...over };
}

function exportsDir(): string {
  const dir = join(tempDir('memberedge-exports-'), 'exports');
  dirs.push(dir);
  return dir;
}

it('a job is written to its file part by part and becomes downloadable only once complete', async () => {
  const dir = exportsDir();
  const exports = new SegmentExports(dir, () => new Date('2026-11-30T10:00:00Z'), log);
  await exports.load();
  const j = job('exp-a');
  await exports.add(j);
  const out = exports.writer(j);
  await out.write('golden_id\n');
  await out.write('G1\nG2\n');
  expect(existsSync(join(dir, 'exp-a.csv'))).toBe(false);
  await out.close(true);
  await exports.finish(j);
  expect(readdirSync(dir).sort()).toEqual(['exp-a.csv', 'exp-a.json']);
  const { size, stream } = await exports.open(j);
  let text = '';
  for await (const chunk of stream) text += chunk;
  expect([size, text]).toEqual([text.length, 'golden_id\nG1\nG2\n']);
  expect(JSON.parse(readFileSync(join(dir, 'exp-a.json'), 'utf8'))).toMatchObject({ state: 'done', finishedAt: '2026-11-30T10:00:00.000Z' });
});

it('at start, a job the last run left running is failed with the reason, its part deleted; files without a record go', async () => {
  const dir = exportsDir();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'exp-run.json'), JSON.stringify(job('exp-run')));
  writeFileSync(join(dir, 'exp-run.csv.part'), 'golden_id\nG1\n');
  writeFileSync(join(dir, 'exp-done.json'), JSON.stringify(job('exp-done', { state: 'done', finishedAt: '2026-11-30T10:00:00.000Z' })));
  writeFileSync(join(dir, 'exp-done.csv'), 'golden_id\n');
  writeFileSync(join(dir, 'exp-lost.csv'), 'golden_id\nG9\n');
  writeFileSync(join(dir, 'not-a-job.json'), '{');
  const exports = new SegmentExports(dir, () => new Date('2026-11-30T10:10:00Z'), log);
  await exports.load();
  expect(exports.get('exp-run')).toMatchObject({ state: 'failed', error: 'the hub stopped before the export finished; export again', finishedAt: '2026-11-30T10:10:00.000Z' });
  expect(JSON.parse(readFileSync(join(dir, 'exp-run.json'), 'utf8')).state).toBe('failed');
  expect(exports.get('exp-done')?.state).toBe('done');
  expect(readdirSync(dir).sort()).toEqual(['exp-done.csv', 'exp-done.json', 'exp-run.json']);
});

it('an hour after it finished a job reads as gone, and its files are deleted at the next job', async () => {
  const dir = exportsDir();
  let now = new Date('2026-11-30T10:00:00Z');
  const exports = new SegmentExports(dir, () => now, log);
  await exports.load();
  const old = job('exp-old');
  await exports.add(old);
  const out = exports.writer(old);
  await out.close(true);
  await exports.finish(old);
  now = new Date(now.getTime() + KEEP_MS + 1000);
  expect(exports.get('exp-old')).toBeUndefined();
  expect(exports.all()).toEqual([]);
  expect(existsSync(join(dir, 'exp-old.csv'))).toBe(true);
  await exports.add(job('exp-new'));
  expect(readdirSync(dir).sort()).toEqual(['exp-new.json']);
});
