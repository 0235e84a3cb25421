import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMappings } from '../../hub/import/load-mapping.ts';
import { importFile as importRows } from '../../hub/import/pipeline.ts';
import type { SourceRecord } from '../../shared/one-id/record.ts';
import { CHANNELS, STORE_PHONE, writeChannelData, type ChannelData } from '../support/channel-data.ts';
import { scoreLinks } from '../support/one-id-score.ts';
import { removeDir, tempDir } from '../support/edge-node.ts';
import { adminClient, eventually, freePort, hubCliOk, readStoredIdentity, startHub, type HubProcess } from '../support/hub.ts';
import { unpackGolden, type PackedGolden } from '../../shared/one-id/stored-golden.ts';

/*
 * One-ID end to end: seeded channel exports with their ground truth, imported through the real
 * CLI into a real hub; linked members checked against the truth; re-import, quarantine, an
 * operator's split across a restart, and an import resumed after the hub was killed mid-file.
 */

let hubDir: string;
let dataDir: string;
let port: number;
let hub: HubProcess;
let data: ChannelData;
const admin = () => adminClient(hub);

/** record id → true person, from the generator's ground truth. */
let truth: Map<string, string>;
/** record id → the dirt the generator put in it. */
let dirt: Map<string, string>;

const importFile = async (source: string, file: string) => {
  const { stdout, stderr } = await hubCliOk(hub, ['import', source, file]);
  return { summary: JSON.parse(stdout) as Record<string, number | string>, stderr };
};
const memberOf = async (recordId: string) => (await admin().get(`/identity/records/${encodeURIComponent(recordId)}`)).body.memberId as string;

beforeAll(async () => {
  hubDir = tempDir('memberedge-hub-');
  dataDir = tempDir('memberedge-channels-');
  port = await freePort();
  hub = await startHub(hubDir, port);
  data = await writeChannelData({ dir: dataDir, records: 3000, seed: 7 });
  const rows = readFileSync(data.truthFile, 'utf8').trim().split('\n').map((l) => l.split('\t'));
  truth = new Map(rows.map(([record, person]) => [record!, person!]));
  dirt = new Map(rows.map(([record, , d]) => [record!, d ?? '']));
});

afterAll(async () => {
  await hub?.stop();
  removeDir(hubDir);
  removeDir(dataDir);
});

describe('One-ID', () => {
  it('imports every channel: bad rows to the rejects file with their row numbers, the rest linked into golden members', async () => {
    for (const source of CHANNELS) {
      const { summary } = await importFile(source, data.files[source]);
      expect(summary.rows).toBe(data.rows[source]);
      expect(Number(summary.accepted) + Number(summary.rejected) + Number(summary.duplicates)).toBe(summary.rows);
      const rejects = readFileSync(String(summary.rejectsFile), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { rowNo: number; reason: string });
      expect(rejects).toHaveLength(Number(summary.rejected));
      for (const r of rejects) expect(r).toMatchObject({ rowNo: expect.any(Number), reason: expect.any(String) });
    }
    const metrics = (await admin().get('/identity/metrics')).body.metrics;
    expect(metrics.identificationRate).toBeGreaterThan(0.2);
    expect(metrics.duplicatesRemoved).toBeGreaterThan(500);
    expect(metrics.averageCompleteness).toBeGreaterThan(0.5);

    // The links the hub made, scored against the truth over every accepted record (the same
    // files through the same pipeline here, for the records' keys; their members from the hub).
    const mappings = await loadMappings();
    const records: SourceRecord[] = [];
    for (const source of CHANNELS) await importRows({ mapping: mappings.get(source)!, file: data.files[source], onBatch: async (batch) => void records.push(...batch) });
    const members = new Map<string, string>();
    for (let i = 0; i < records.length; i += 25) {
      await Promise.all(records.slice(i, i + 25).map(async (r) => members.set(r.id, await memberOf(r.id))));
    }
    const score = scoreLinks(records, truth, (id) => members.get(id)!);
    expect(score.linkablePairs).toBeGreaterThan(500);
    expect(score.precision).toBeGreaterThanOrEqual(0.999);
    expect(score.recall).toBeGreaterThanOrEqual(0.99);
    expect(score.membersWithTwoPeople).toBe(0);
    // A member's merge history: the links that hold it together, one fewer than its records.
    const someone = [...members.values()].find((m, i, all) => all.indexOf(m) !== i)!;
    const golden = (await admin().get(`/identity/members/${someone}`)).body.member;
    expect(golden.links).toHaveLength(golden.records.length - 1);
    for (const l of golden.links) expect(l).toMatchObject({ a: expect.any(String), b: expect.any(String), key: expect.any(String), at: expect.any(String) });
  }, 120_000);

  it('importing a file again changes nothing', async () => {
    const before = (await admin().get('/identity/metrics')).body.metrics;
    const { stderr } = await importFile('crm', data.files.crm);
    expect(stderr).toMatch(/imported already/);
    expect((await admin().get('/identity/metrics')).body.metrics).toEqual(before);
  });

  it("quarantines the store's own phone typed for walk-in customers: it links no one", async () => {
    const keys = (await admin().get('/identity/quarantine')).body.keys as { key: string; reason: string }[];
    expect(keys.map((k) => k.key)).toContain(`phone:+86${STORE_PHONE}`);
    // The walk-ins who were given that phone are not merged with each other.
    const walkIns = [...dirt.entries()].filter(([, d]) => d.includes('store-phone')).map(([r]) => r);
    expect(walkIns.length).toBeGreaterThanOrEqual(2);
    const members = await Promise.all(walkIns.map(memberOf));
    const people = new Map<string, string>();
    for (const [i, m] of members.entries()) {
      const person = truth.get(walkIns[i]!)!;
      if (people.has(m)) expect(people.get(m)).toBe(person);
      people.set(m, person);
    }
  });

  it('suggests look-alike members that share no key; a rejected suggestion is not suggested again', async () => {
    const suggestions = (await admin().get('/identity/suggestions?limit=1000')).body.suggestions as { a: string; b: string; reason: string }[];
    expect(suggestions.length).toBeGreaterThan(0);
    const [first] = suggestions;
    for (const id of [first!.a, first!.b]) expect((await admin().get(`/identity/members/${id}`)).status).toBe(200);
    expect((await admin().post('/identity/suggestions/reject', { a: first!.a, b: first!.b })).status).toBe(200);
    const after = (await admin().get('/identity/suggestions?limit=1000')).body.suggestions as { a: string; b: string }[];
    expect(after.some((x) => x.a === first!.a && x.b === first!.b)).toBe(false);
    expect((await admin().post('/identity/suggestions/accept', { a: 'GNOPE', b: first!.b })).status).toBe(400);
  });

  it("an operator's split holds across a restart and a full re-resolution", async () => {
    const byPerson = new Map<string, string[]>();
    for (const [record, person] of truth) byPerson.set(person, [...(byPerson.get(person) ?? []), record]);
    let target: { id: string; records: string[] } | undefined;
    for (const records of byPerson.values()) {
      if (records.length < 2) continue;
      const id = await memberOf(records[0]!);
      const m = (await admin().get(`/identity/members/${id}`)).body.member;
      if (m?.records?.length >= 2) {
        target = m;
        break;
      }
    }
    expect(target).toBeDefined();
    const off = target!.records[target!.records.length - 1]!;
    const split = await admin().post(`/identity/members/${target!.id}/split`, { records: [off] });
    expect(split.status).toBe(200);
    const offMember = await memberOf(off);
    const rest = target!.records.filter((r) => r !== off);
    expect(offMember).not.toBe(await memberOf(rest[0]!));
    // Bad input changes nothing.
    expect((await admin().post(`/identity/members/${await memberOf(rest[0]!)}/split`, { records: ['nope:1'] })).status).toBe(400);

    await hub.stop();
    hub = await startHub(hubDir, port);
    const after = await eventually(async () => {
      const r = await admin().get(`/identity/records/${encodeURIComponent(off)}`);
      return r.status === 200 ? (r.body.memberId as string) : undefined;
    }, 30_000, 'One-ID loaded');
    expect(after).not.toBe(await memberOf(rest[0]!));
    expect((await admin().get(`/identity/members/${after}`)).body.member.records).toEqual([off]);
  }, 60_000);

  it('a record posted alone is linked at once and stored with its golden member, across a kill -9', async () => {
    // Two imported members, one with a phone and one with a unionId: the record carries both.
    const members = await Promise.all([...truth.keys()].slice(0, 400).map(async (r) => (await admin().get(`/identity/members/${await memberOf(r)}`)).body.member));
    const a = members.find((m) => m?.identities && m.identities.phones.length === 1 && m.identities.unionIds.length === 0)!;
    const b = members.find((m) => m?.identities && m.identities.unionIds.length === 1 && m.identities.phones.length === 0 && m.id !== a.id)!;
    expect(a && b).toBeTruthy();
    const record = (id: string, identities: Record<string, string>) => ({ id, source: 'wechat', observedAt: '2026-11-01T10:00:00.000Z', identities, profile: {} });
    const recordsBefore = (await admin().get('/identity/metrics')).body.metrics.records;
    expect((await admin().post('/identity/records', { ...record('api:bad', { phone: '12' }) })).status).toBe(400);
    expect((await admin().post('/identity/records', { ...record('api:x', {}), extra: 1 })).status).toBe(400);
    expect((await admin().get('/identity/metrics')).body.metrics.records).toBe(recordsBefore);

    const linked = await admin().post('/identity/records', record('api:both', { phone: a.identities.phones[0], unionId: b.identities.unionIds[0] }));
    expect(linked.status).toBe(201);
    // The golden id is the smallest record id's: 'api:both' names the merged member.
    const survivor = linked.body.memberId as string;
    const gone = [a.id, b.id].filter((id) => id !== survivor);
    expect(gone.length).toBeGreaterThan(0);
    expect(linked.body.merged.map((m: { loser: string }) => m.loser).sort()).toEqual(gone.sort());
    const fresh = await admin().post('/identity/records', record('api:new', { phone: '+8613957204861' }));
    expect(fresh.status).toBe(201);
    const whole = (await admin().get(`/identity/members/${survivor}`)).body.member;
    expect(whole.records).toEqual(expect.arrayContaining([...a.records, ...b.records, 'api:both']));
    for (const id of gone) expect((await admin().get(`/identity/members/${id}`)).body.member).toEqual({ mergedInto: survivor });

    // Stopped: a few changed members are stored one document each, over their buckets' entries.
    await hub.stop();
    await readStoredIdentity(hubDir, async (db) => {
      expect(unpackGolden(survivor, (await db.storedMember<PackedGolden>(survivor)) as PackedGolden)).toEqual(whole);
      for (const id of gone) expect(await db.storedMember(id)).toEqual({ gone: true, mergedInto: survivor });
      expect(await db.storedMember(fresh.body.memberId)).toMatchObject({ records: ['api:new'] });
    });

    // Killed right after the 201: the next start stores what the kill cut off.
    hub = await startHub(hubDir, port);
    const late = await eventually(async () => {
      const r = await admin().post('/identity/records', record('api:next', { phone: '+8613957204861', cardNo: 'LATE0001' }));
      return r.status === 201 ? r.body : undefined;
    }, 30_000, 'One-ID loaded');
    expect(late.memberId).toBe(fresh.body.memberId);
    await hub.kill();
    hub = await startHub(hubDir, port);
    await eventually(async () => ((await admin().get('/identity/metrics')).status === 200 ? true : undefined), 30_000, 'One-ID loaded');
    expect((await admin().get(`/identity/members/${late.memberId}`)).body.member.records).toEqual(['api:new', 'api:next']);
    await hub.stop();
    await readStoredIdentity(hubDir, async (db) => {
      expect(await db.storedMember(late.memberId)).toMatchObject({ records: ['api:new', 'api:next'] });
      expect(unpackGolden(survivor, (await db.storedMember<PackedGolden>(survivor)) as PackedGolden)).toEqual(whole);
    });
    hub = await startHub(hubDir, port);
  }, 90_000);
});

describe('One-ID import after a crash', () => {
  it('a hub killed mid-import resumes from its checkpoint: every row once, rejects once', async () => {
    const bigDir = tempDir('memberedge-channels-');
    const big = await writeChannelData({ dir: bigDir, records: 20_000, seed: 11 });
    const dir = tempDir('memberedge-hub-');
    const bigPort = await freePort();
    let h = await startHub(dir, bigPort);
    try {
      const started = hubCliOk(h, ['import', 'crm', big.files.crm]).catch((err: Error) => err);
      const a = adminClient(h);
      await eventually(async () => {
        const res = (await a.get('/identity/metrics')).body.metrics;
        return res?.records > 1000 ? true : undefined;
      }, 30_000, 'import under way', 50);
      await h.kill();
      expect(await started).toBeInstanceOf(Error); // the CLI saw its hub go away
      h = await startHub(dir, bigPort);
      const { stdout } = await hubCliOk(h, ['import', 'crm', big.files.crm]);
      const summary = JSON.parse(stdout) as { rows: number; accepted: number; rejected: number; duplicates: number; rejectsFile: string };
      expect(summary.rows).toBe(big.rows.crm);
      expect(summary.accepted + summary.rejected + summary.duplicates).toBe(summary.rows);
      expect(readFileSync(summary.rejectsFile, 'utf8').split('\n').filter(Boolean)).toHaveLength(summary.rejected);
      const metrics = (await adminClient(h).get('/identity/metrics')).body.metrics;
      expect(metrics.records).toBe(summary.accepted);
    } finally {
      await h.stop();
      removeDir(dir);
      removeDir(bigDir);
    }
  }, 180_000);
});
