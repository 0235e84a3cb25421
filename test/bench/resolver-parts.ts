import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMappings } from '../../hub/import/load-mapping.ts';
import { importFile } from '../../hub/import/pipeline.ts';
import { DEFAULT_ONE_ID_OPTIONS } from '../../hub/identity/options.ts';
import { heldBytes } from '../../shared/one-id/compact.ts';
import { Resolver } from '../../shared/one-id/resolver.ts';
import { CHANNELS, type ChannelData } from '../support/channel-data.ts';

/*
 * `BENCH_ONE_ID_DATA=<dir> npx tsx test/bench/resolver-parts.ts [records]`: the resolver's bytes a
 * record, part by part, fed the one-id bench's channel files of that size (written by a run of
 * `npm run bench -- one-id` with the same BENCH_ONE_ID_DATA) through the import pipeline, as the
 * hub reads them. "Held" counts the arrays' room to grow; "used" is what a snapshot writes.
 */

const RECORDS = process.argv[2] ?? '500000';
const dir = join(process.env.BENCH_ONE_ID_DATA ?? '/var/tmp/one-id-data', RECORDS);
const data = JSON.parse(readFileSync(join(dir, 'channel-data.json'), 'utf8')) as ChannelData;
const mappings = await loadMappings();
const rejects = mkdtempSync(join(tmpdir(), 'resolver-parts-'));
const r = new Resolver(DEFAULT_ONE_ID_OPTIONS);
try {
  for (const source of CHANNELS) {
    await importFile({ mapping: mappings.get(source)!, file: data.files[source], rejectsFile: join(rejects, source), onBatch: async (batch) => void batch.forEach((x) => r.add(x)) });
  }
} finally {
  rmSync(rejects, { recursive: true, force: true });
}

const n = r.size;
const perRecord = (bytes: number) => (bytes / n).toFixed(1).padStart(7);
// A part is named by the first of these its path matches (the store's and pools' field names).
const PARTS: [string, RegExp][] = [
  ['keys: pool, kind, count, head', /keyPool|keyKind|keyCount|keyHead/],
  ['key slots', /slotKey|slotRec|slotNext/],
  ['record ids', /idPool/],
  ['three Float64 times', /observedMs|addedMs|seniorityMs/],
  ['observedAt text', /\.times\./],
  ['member ids, emails, registration times', /exact|memberCode|registered|email/],
  ['profile text', /\.text\./],
  ['union-find and spanning edges', /^clusters\./],
];
const held = new Map<string, number>();
const total = heldBytes(r, (path, bytes) => {
  const part = PARTS.find(([, re]) => re.test(path))?.[0] ?? 'other (member table, source, flags, consent, slot range)';
  held.set(part, (held.get(part) ?? 0) + bytes);
});
let used = 0;
for (const a of r.exportState().arrays.values()) used += a.byteLength;

console.log(`${n.toLocaleString('en')} records, ${r.memberCount.toLocaleString('en')} golden members; bytes a record:`);
console.log('');
console.log('| part | held |');
console.log('| --- | ---: |');
for (const [part, bytes] of [...held].sort((a, b) => b[1] - a[1])) console.log(`| ${part} | ${perRecord(bytes)} |`);
console.log(`| **total held / used (the snapshot's arrays)** | **${perRecord(total).trim()} / ${perRecord(used).trim()}** |`);
