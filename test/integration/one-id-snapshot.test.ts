import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMappings } from '../../hub/import/load-mapping.ts';
import { importFile as importRows } from '../../hub/import/pipeline.ts';
import { DEFAULT_ONE_ID_OPTIONS } from '../../hub/identity/options.ts';
import { SNAPSHOT_NAME } from '../../hub/identity/snapshot-file.ts';
import type { SourceRecord } from '../../shared/one-id/record.ts';
import { Resolver } from '../../shared/one-id/resolver.ts';
import { writeChannelData, type ChannelData } from '../support/channel-data.ts';
import { removeDir, ROOT, spawnReady, tempDir } from '../support/edge-node.ts';
import { adminClient, eventually, freePort, hubCliOk, type HubProcess } from '../support/hub.ts';

/*
 * Issue 14, decision 030: a hub writes One-ID's snapshot after an import and at a clean stop,
 * and a restarted hub starts from it, reading only what was stored after it (a record posted
 * before a kill -9 included). A record linked after the restart lands in the golden member it
 * would have without one (the same records resolved in this process). A corrupted snapshot is
 * refused, said so, and every record is read: the same answers.
 */

const SOURCES = ['crm', 'wechat'] as const;
let hubDir: string;
let dataDir: string;
let port: number;
let hub: HubProcess;
let data: ChannelData;
let imported: SourceRecord[];
const admin = () => adminClient(hub);

/** The hub without --quiet: its info lines say where One-ID loaded from. */
async function start(): Promise<HubProcess> {
  const p = await spawnReady(['--import', 'tsx', join(ROOT, 'hub', 'cli.ts'), 'serve', '--data', hubDir, '--port', String(port), '--sweep-interval', '1']);
  return { ...p, dir: hubDir };
}

const logLines = (h: HubProcess) =>
  h
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, any>);

const loaded = (h: HubProcess) => eventually(async () => logLines(h).find((l) => l.msg === 'one-id loaded'), 60_000, 'one-id loaded');
const memberOf = async (recordId: string) => (await admin().get(`/identity/records/${encodeURIComponent(recordId)}`)).body.memberId as string;

/** Who every record (a sample, to keep it quick) belongs to, as the hub answers. */
async function answers(ids: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < ids.length; i += 25) await Promise.all(ids.slice(i, i + 25).map(async (id) => out.set(id, await memberOf(id))));
  return out;
}

const apiRecord = (id: string, phone: string): SourceRecord => ({ id, source: 'wechat', observedAt: '2026-11-01T10:00:00.000Z', identities: { phone }, profile: { name: 'Snap Shot' } });

beforeAll(async () => {
  hubDir = tempDir('memberedge-hub-');
  dataDir = tempDir('memberedge-channels-');
  port = await freePort();
  data = await writeChannelData({ dir: dataDir, records: 3000, seed: 14 });
  const mappings = await loadMappings();
  imported = [];
  for (const source of SOURCES) await importRows({ mapping: mappings.get(source)!, file: data.files[source], onBatch: async (batch) => void imported.push(...batch) });
  hub = await start();
}, 60_000);

afterAll(async () => {
  if (hub && hub.child.exitCode === null && hub.child.signalCode === null) await hub.stop();
  removeDir(hubDir);
  removeDir(dataDir);
});

describe('One-ID from its snapshot', () => {
  let sample: string[];
  let before: Map<string, string>;
  let phoneOf: (i: number) => string;

  it('writes a snapshot after an import, and a restarted hub starts from it with the same answers', async () => {
    await loaded(hub);
    for (const source of SOURCES) await hubCliOk(hub, ['import', source, data.files[source]]);
    const snap = join(hubDir, 'snapshots', SNAPSHOT_NAME);
    await eventually(async () => logLines(hub).find((l) => l.msg === 'one-id snapshot written' && l.reason === 'import finished'), 30_000, 'snapshot after the import');
    expect(statSync(snap).size).toBeGreaterThan(1000);
    sample = imported.filter((_, i) => i % 7 === 0).map((r) => r.id);
    before = await answers(sample);

    await hub.stop();
    hub = await start();
    const line = await loaded(hub);
    expect(line).toMatchObject({ from: 'snapshot', snapshotRecords: imported.length, records: imported.length });
    expect(await answers(sample)).toEqual(before);
  }, 120_000);

  it('reads what was stored after the snapshot (a record posted before a kill -9), and links a new record as a hub that never restarted would', async () => {
    const phones = imported.flatMap((r) => (r.identities.phone ? [r.identities.phone] : []));
    phoneOf = (i) => phones[i * 13]!;
    const x = apiRecord('wechat:snap-x', phoneOf(1));
    expect((await admin().post('/identity/records', x)).status).toBe(201);
    const xMember = await memberOf(x.id);
    await hub.kill(); // no clean stop: the snapshot is the import's, without x
    await new Promise((r) => setTimeout(r, 1000));
    hub = await start();
    const line = await loaded(hub);
    expect(line).toMatchObject({ from: 'snapshot', snapshotRecords: imported.length, records: imported.length + 1 });
    expect(line.changedDocs).toBeGreaterThanOrEqual(1);
    expect(await memberOf(x.id)).toBe(xMember);

    const y = apiRecord('wechat:snap-y', phoneOf(2));
    const posted = await admin().post('/identity/records', y);
    expect(posted.status).toBe(201);
    // The same records, resolved here without any restart.
    const reference = new Resolver(DEFAULT_ONE_ID_OPTIONS);
    for (const r of [...imported, x, y]) reference.add(r);
    reference.resolveAll();
    expect(posted.body.memberId).toBe(reference.memberOf(y.id));
    expect(await memberOf(x.id)).toBe(reference.memberOf(x.id));
    for (const id of sample) expect(await memberOf(id)).toBe(reference.memberOf(id));
  }, 120_000);

  it('refuses a corrupted snapshot, says so, reads every record, and answers the same', async () => {
    // One run of this test (of four) timed out here, cause not seen: if it does again, the hubs' last lines say where.
    const old = hub;
    const stuck = setTimeout(() => console.error('stop and start take over 60 s; the hubs said:', old.output().slice(-3000), hub === old ? '' : hub.output().slice(-3000)), 60_000);
    await hub.stop(); // a clean stop writes the snapshot again, with x and y
    const snap = join(hubDir, 'snapshots', SNAPSHOT_NAME);
    const bytes = new Uint8Array(readFileSync(snap));
    bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0xff;
    writeFileSync(snap, bytes);
    hub = await start();
    const line = await loaded(hub);
    clearTimeout(stuck);
    expect(line).toMatchObject({ from: 'database', records: imported.length + 2 });
    expect(logLines(hub).find((l) => l.msg === 'one-id: snapshot not used; reading every record')).toMatchObject({ level: 'warn', why: 'its checksum does not match' });
    const after = await answers(sample);
    for (const id of sample) expect(after.get(id)).toBe(await memberOf(id));
    const reference = new Resolver(DEFAULT_ONE_ID_OPTIONS);
    for (const r of [...imported, apiRecord('wechat:snap-x', phoneOf(1)), apiRecord('wechat:snap-y', phoneOf(2))]) reference.add(r);
    reference.resolveAll();
    for (const id of [...sample, 'wechat:snap-x', 'wechat:snap-y']) expect(await memberOf(id)).toBe(reference.memberOf(id));
  }, 120_000);
});
