import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ImportCheckpoint, importFile, type ImportOptions } from '../../hub/import/pipeline.ts';
import { type Mapping, MappingSchema } from '../../shared/one-id/mapping.ts';
import type { OrderSummary } from '../../shared/one-id/order.ts';
import type { SourceRecord } from '../../shared/one-id/record.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'import-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const members: Mapping = MappingSchema.parse({
  source: 'crm', format: 'csv', kind: 'members', idField: 'no',
  columns: { phone: 'mobile', name: 'name', gender: 'sex', birthday: 'birthday', cardNo: 'card' },
});
const fixed = { observedAt: '2026-01-01T00:00:00.000Z', today: '2026-01-01' };

const CSV = [
  '\ufeffno,mobile,name,sex,birthday,card',
  '1,13800138000,"Li, Ming",M,1990-03-05,',
  '2,12345,Bad Phone,F,,',
  '3,+86 139 0000 0000,"张\n三",女,05/03/1991,VIP-3',
  '1,13800138000,"Li, Ming",M,1990-03-05,',
  '4,13700000000,x,y',
  '5,,no identity,,,',
  '6,13600000000,王五,1,19850101,',
  '7,13500000000,赵六,2,2099-01-01,',
].join('\r\n') + '\r\n';

type Run = { records: SourceRecord[]; orders: OrderSummary[]; checkpoints: ImportCheckpoint[] };

function collector(): Run & { onBatch: ImportOptions['onBatch'] } {
  const run: Run = { records: [], orders: [], checkpoints: [] };
  return {
    ...run,
    onBatch: async (records, orders, checkpoint) => {
      run.records.push(...records);
      run.orders.push(...orders);
      run.checkpoints.push(checkpoint);
    },
    get records() { return run.records; },
    get orders() { return run.orders; },
    get checkpoints() { return run.checkpoints; },
  };
}

async function rejectLines(file: string) {
  return (await readFile(file, 'utf8')).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { rowNo: number; reason: string });
}

describe('importFile', () => {
  it('maps, cleans, de-duplicates and rejects with row numbers', async () => {
    const file = join(dir, 'a.csv');
    await writeFile(file, CSV);
    const c = collector();
    const summary = await importFile({ mapping: members, file, onBatch: c.onBatch, batchSize: 3, ...fixed });
    // Row 1 was clean already; 3, 6 and 7 needed repairs.
    expect(summary).toMatchObject({ rows: 8, accepted: 4, rejected: 3, duplicates: 1, cleaned: 3 });
    // phone, name, gender, birthday (+ card for 3; 7's birthday is in the future).
    expect(summary.completenessAvg).toBe((4 + 5 + 4 + 3) / 4 / 8);
    expect(c.records.map((r) => r.id)).toEqual(['crm:1', 'crm:3', 'crm:6', 'crm:7']);
    expect(c.records[1]!.profile).toEqual({ name: '张三', gender: 'F', birthday: '1991-03-05' });
    expect(c.records[3]!.profile.birthday).toBeUndefined();
    const rejects = await rejectLines(summary.rejectsFile);
    expect(rejects.map((r) => [r.rowNo, r.reason.split(':')[0]])).toEqual([[2, 'phone'], [5, 'expected 6 fields, found 4'], [6, 'no identity key (phone, card, unionId, openId, buyerNick or JD PIN)']]);
    // A batch every 3 rows and one for the rest; the last checkpoint is the end of the file.
    expect(c.checkpoints.map((k) => k.rowNo)).toEqual([3, 6, 8]);
    expect(c.checkpoints.at(-1)!.byteOffset).toBe(Buffer.byteLength(CSV));
  });

  it('gives the same records, rejects and counts when resumed from any checkpoint', async () => {
    const file = join(dir, 'b.csv');
    await writeFile(file, CSV);
    const whole = collector();
    const summary = await importFile({ mapping: members, file, onBatch: whole.onBatch, batchSize: 2, ...fixed, rejectsFile: join(dir, 'whole.rejects') });
    const wholeRejects = await readFile(join(dir, 'whole.rejects'), 'utf8');

    for (const k of whole.checkpoints.slice(0, -1)) {
      // A crash after checkpoint k: the first run stored up to k, then wrote more rejects and died.
      const rejectsFile = join(dir, `resume-${k.rowNo}.rejects`);
      const first = collector();
      await importFile({
        mapping: members, file, batchSize: 2, ...fixed, rejectsFile,
        onBatch: async (records, orders, checkpoint) => {
          if (checkpoint.rowNo > k.rowNo) throw new Error('crash');
          await first.onBatch(records, orders, checkpoint);
        },
      }).catch(() => undefined);
      const second = collector();
      const resumed = await importFile({ mapping: members, file, batchSize: 2, ...fixed, rejectsFile, checkpoint: first.checkpoints.at(-1)!, onBatch: second.onBatch });
      expect(resumed).toEqual({ ...summary, rejectsFile });
      expect([...first.records, ...second.records]).toEqual(whole.records);
      expect(await readFile(rejectsFile, 'utf8')).toBe(wholeRejects);
    }
  });

  it('is idempotent: a second import yields the same records', async () => {
    const file = join(dir, 'c.csv');
    await writeFile(file, CSV);
    const a = collector();
    const b = collector();
    await importFile({ mapping: members, file, onBatch: a.onBatch, ...fixed });
    await importFile({ mapping: members, file, onBatch: b.onBatch, ...fixed });
    expect(b.records).toEqual(a.records);
    expect((await rejectLines(`${file}.rejects.ndjson`)).length).toBe(3);
  });

  it('imports NDJSON orders, rejecting a broken line and a float-only amount', async () => {
    const mapping = MappingSchema.parse({
      source: 'tmall-orders', format: 'ndjson', kind: 'orders', idField: 'tid',
      columns: { orderNo: 'tid', orderAt: 'created', totalAmount: 'total_fee', paidAmount: 'payment', buyerNick: 'buyer_nick', phone: 'receiver_mobile' },
      lines: { column: 'orders', sku: 'sku', qty: 'num', unitPrice: 'price' },
    });
    const file = join(dir, 'o.ndjson');
    await writeFile(file, [
      JSON.stringify({ tid: 'T1', created: '2025-11-11 00:00:01', total_fee: '88.50', payment: 88.5, buyer_nick: 'A**', receiver_mobile: '13800138000', orders: [{ sku: 'S', num: 1, price: '88.50' }] }),
      '{"tid": "T2", "created": ',
      JSON.stringify({ tid: 'T3', created: '2025-11-11', total_fee: '0.1', payment: '0.123', buyer_nick: 'bob', orders: [] }),
      JSON.stringify({ tid: 'T4', created: '2025-11-11', buyer_nick: 'Bob', orders: [{ sku: 'S', num: 3, price: '0.29' }] }),
    ].join('\n'));
    const c = collector();
    const summary = await importFile({ mapping, file, onBatch: c.onBatch, ...fixed });
    expect(summary).toMatchObject({ rows: 4, accepted: 2, rejected: 2 });
    expect(c.orders.map((o) => [o.id, o.totalCents, o.paidCents])).toEqual([['tmall-orders:T1', 8850, 8850], ['tmall-orders:T4', 87, 87]]);
    expect(c.records.map((r) => r.identities)).toEqual([{ phone: '+8613800138000' }, { buyerNick: 'bob' }]);
    expect((await rejectLines(summary.rejectsFile)).map((r) => r.rowNo)).toEqual([2, 3]);
  });
});

describe('recentHashes', () => {
  it('finds a hash within one window, and forgets it after two', async () => {
    const { recentHashes } = await import('../../hub/import/recent-hashes.ts');
    const seen = recentHashes(3);
    expect(seen.add('a')).toBe(true);
    expect(seen.add('a')).toBe(false);
    for (const h of ['b', 'c', 'd', 'e', 'f']) seen.add(h);
    expect(seen.add('d')).toBe(false);
    for (const h of ['g', 'h', 'i']) seen.add(h);
    expect(seen.add('a')).toBe(true);
  });
});
