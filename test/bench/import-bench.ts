import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMappings } from '../../hub/import/load-mapping.ts';
import { importFile } from '../../hub/import/pipeline.ts';
import { CHANNELS, writeChannelData } from '../support/channel-data.ts';

/**
 * `npx tsx test/bench/import-bench.ts [records] [--keep]`: generates the channel files (default
 * 1,000,000 records over six channels), imports each with the shipped mapping and a no-op onBatch,
 * and prints a Markdown report: the import's own speed, without storage or resolution.
 */
const records = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const keep = process.argv.includes('--keep');

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);
const mb = (n: number) => (n / 2 ** 20).toFixed(0);
const f = (n: number, d = 1) => n.toFixed(d);

const dir = await mkdtemp(join(tmpdir(), 'import-bench-'));
try {
  let t = performance.now();
  const data = await writeChannelData({ dir, records });
  const genSeconds = (performance.now() - t) / 1000;
  const genPeak = peakRss;
  peakRss = 0;

  const mappings = await loadMappings();
  const rows: string[] = [];
  let all = 0;
  let importSeconds = 0;
  for (const source of CHANNELS) {
    const file = data.files[source];
    const mapping = mappings.get(source)!;
    const size = (await stat(file)).size;
    t = performance.now();
    let batches = 0;
    const s = await importFile({ mapping, file, batchSize: 2000, onBatch: async () => void batches++ });
    const secs = (performance.now() - t) / 1000;
    importSeconds += secs;
    all += s.rows;
    rows.push(`| ${source} | ${mapping.format} | ${mb(size)} MB | ${s.rows.toLocaleString('en')} | ${s.accepted.toLocaleString('en')} | ${s.cleaned.toLocaleString('en')} | ${s.rejected.toLocaleString('en')} | ${s.duplicates.toLocaleString('en')} | ${f(100 * s.completenessAvg, 0)}% | ${f(secs, 2)} s | ${Math.round(s.rows / secs).toLocaleString('en')} |`);
  }
  clearInterval(sampler);
  const dirt = Object.entries(data.dirt).map(([k, v]) => `${k} ${v.toLocaleString('en')}`).join(', ');
  console.log([
    `### Import (${records.toLocaleString('en')} records, ${data.people.toLocaleString('en')} people, ${f((100 * data.multiChannelPeople) / data.people, 0)}% in two or more channels)`,
    '',
    `- generate: ${f(genSeconds)} s (peak RSS ${mb(genPeak)} MB); dirt: ${dirt}`,
    `- import, no storage: ${all.toLocaleString('en')} rows in ${f(importSeconds)} s = ${Math.round(all / importSeconds).toLocaleString('en')} rows/s; peak RSS ${mb(peakRss)} MB`,
    '',
    '| source | format | size | rows | accepted | cleaned | rejected | duplicates | completeness | time | rows/s |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n'));
  if (keep) console.log(`\nfiles kept in ${dir}`);
} finally {
  clearInterval(sampler);
  if (!keep) await rm(dir, { recursive: true, force: true });
}
