import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMappings } from '../../hub/import/load-mapping.ts';
import { importFile } from '../../hub/import/pipeline.ts';
import { type ChannelData, CHANNELS, writeChannelData } from '../support/channel-data.ts';

let dir: string;
let data: ChannelData;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'channels-'));
  data = await writeChannelData({ dir: join(dir, 'a'), records: 3000, seed: 7 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeChannelData', () => {
  it('writes exactly the rows asked for, over six channels, with about 30% of people in several', () => {
    expect(Object.values(data.rows).reduce((a, b) => a + b, 0)).toBe(3000);
    for (const c of CHANNELS) expect(data.rows[c], c).toBeGreaterThan(100);
    expect(data.multiChannelPeople / data.people).toBeGreaterThan(0.25);
    expect(data.multiChannelPeople / data.people).toBeLessThan(0.35);
  });

  it('is deterministic for a seed', async () => {
    const again = await writeChannelData({ dir: join(dir, 'b'), records: 3000, seed: 7 });
    expect(await readFile(again.truthFile, 'utf8')).toBe(await readFile(data.truthFile, 'utf8'));
    expect(await readFile(again.files.crm, 'utf8')).toBe(await readFile(data.files.crm, 'utf8'));
  });

  it('imports with the shipped mappings: every record is in the truth, and the rejects are the planted ones', async () => {
    const truth = new Map((await readFile(data.truthFile, 'utf8')).trim().split('\n').map((l) => {
      const [id, person, dirt] = l.split('\t');
      return [id!, { person: person!, dirt: dirt ?? '' }];
    }));
    const mappings = await loadMappings();
    let rejected = 0;
    let duplicates = 0;
    for (const source of CHANNELS) {
      const ids: string[] = [];
      const s = await importFile({ mapping: mappings.get(source)!, file: data.files[source], onBatch: async (records) => void ids.push(...records.map((r) => r.id)) });
      for (const id of ids) expect(truth.has(id), id).toBe(true);
      rejected += s.rejected;
      duplicates += s.duplicates;
    }
    expect(rejected).toBeLessThanOrEqual(data.dirt['impossible-phone'] ?? 0);
    expect(rejected).toBeGreaterThan(0);
    expect(duplicates).toBe(data.dirt['duplicate-row']);
    expect(data.dirt['store-phone'] ?? 0).toBeGreaterThan(0);
    expect(data.dirt['shared-card'] ?? 0).toBeGreaterThan(0);
  });
});
