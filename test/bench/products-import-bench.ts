import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, tempDir } from '../support/edge-node.ts';
import { adminClient, freePort, startHub } from '../support/hub.ts';

/*
 * How long a product master import takes (decision 017), as the console's form waits for it:
 * N rows of a CSV with its own column names and a mapping, into a hub with two stores, then the
 * same file again (nothing changes). The form adds only the upload and a temporary file.
 *
 *   npx tsx test/bench/products-import-bench.ts [ROWS=50000]
 */

const N = Number(process.argv[2] ?? 50_000);
const dir = tempDir('memberedge-products-bench-');
const hub = await startHub(dir, await freePort());
try {
  const admin = adminClient(hub);
  for (const id of ['S001', 'S002']) await admin.post('/stores', { id, name: id });
  const csv = join(dir, 'products.csv');
  const rows = ['code,title,cat,maker,fen'];
  for (let i = 0; i < N; i++) rows.push(`SKU-${i},Product ${i},Food > Group ${i % 300} > Sub ${i % 7},Brand ${i % 500},${100 + (i % 9000)}`);
  writeFileSync(csv, rows.join('\n'));
  const mapping = { format: 'csv', columns: { sku: 'code', name: 'title', category: 'cat', brand: 'maker', price: { column: 'fen', transform: 'cents' } }, categorySeparator: '>' };
  for (const run of ['first import', 'the same again']) {
    const t0 = performance.now();
    const r = await admin.post('/products/imports', { path: csv, mapping });
    const { rejects: _, ...summary } = r.body.import ?? r.body;
    console.log(`${run}: ${N} rows, ${r.status} ${JSON.stringify(summary)}, ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  }
} finally {
  await hub.stop();
  removeDir(dir);
}
