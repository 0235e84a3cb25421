import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, removeDir, startEdge, tempDir, type EdgeProcess } from '../support/edge-node.ts';
import { adminClient, enrollStore, eventually, freePort, hubCliOk, startHub, type HubProcess } from '../support/hub.ts';
import { newOperator, OperatorSession } from '../support/operator-session.ts';

/*
 * Segments (issue 12, decision 023) against a real hub: the members are built by the test (CRM
 * records with a home store, and members registered and buying at S002's till through a real
 * edge node), the profile engine computes them, and a segment's count, members, CSV export and
 * audience file must hold exactly them; a store manager scoped to S002 exports only S002's.
 */

let hub: HubProcess;
let hubPort: number;
const HUB_FLAGS = ['--login-rate', '600', '--login-burst', '200'];
let edge: EdgeProcess;
const dirs: string[] = [];
const admin = () => adminClient(hub);
const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/** CRM members: golden id → phone, by home store. */
const crm = { S001: new Map<string, string>(), S002: new Map<string, string>() };
/** Registered at S002's till: golden id → phone; the first one bought there. */
const till = new Map<string, string>();
let buyer = '';

let named = 0;
const operator = (role: string, scope?: string) => newOperator(hub, `${role.replace(/_/g, '-')}-${++named}`, role, { scope: scope || undefined });

/** Downloads a finished export, as the caller (token or session) that started it. */
async function download(job: string, session?: OperatorSession): Promise<{ status: number; text: string; type: string | null }> {
  const token = readFileSync(join(hub.dir, 'admin-token'), 'utf8').trim();
  const headers: Record<string, string> = session ? { cookie: `memberedge_session=${session.cookie}` } : { authorization: `Bearer ${token}` };
  const res = await fetch(`${hub.url}/admin/v1/segments/exports/${job}/file`, { headers });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

/** Exports a segment and waits for the job; the file's lines, header first. */
async function exportOf(get: (p: string) => Promise<{ status: number; body: any }>, id: string, format: 'csv' | 'audience', session?: OperatorSession): Promise<string[]> {
  const started = await get(`/segments/${id}/export?format=${format}`);
  expect([200, 202], JSON.stringify(started.body)).toContain(started.status);
  const job = started.body.id as string;
  const done = await eventually(async () => {
    const j = (await get(`/segments/exports/${job}`)).body;
    return j.state === 'done' ? j : undefined;
  }, 20_000, 'the export job');
  expect(done.progress).toBe(1);
  const file = await download(job, session);
  expect(file.status).toBe(200);
  expect(file.type).toContain('text/csv');
  return file.text.trim().split('\n');
}

const csvRows = (lines: string[]) => {
  const header = lines[0]!.split(',');
  return lines.slice(1).map((l) => new Map(l.split(',').map((v, i) => [header[i]!, v])));
};

beforeAll(async () => {
  const dir = tempDir('memberedge-segments-');
  hubPort = await freePort();
  hub = await startHub(dir, hubPort, HUB_FLAGS);
  dirs.push(dir);
  await hubCliOk(hub, ['org', 'city', 'add', 'CityA', '--region', 'East']);
  await hubCliOk(hub, ['org', 'city', 'add', 'CityB', '--region', 'West']);
  const s1 = await enrollStore(hub, 'S001');
  const s2 = await enrollStore(hub, 'S002');
  dirs.push(s1.dir, s2.dir);
  await hubCliOk(hub, ['store', 'move', 'S001', '--city', 'CityA']);
  await hubCliOk(hub, ['store', 'move', 'S002', '--city', 'CityB']);

  for (const [store, n] of [['S001', 4], ['S002', 2]] as const) {
    for (let i = 0; i < n; i++) {
      const phone = `+86138${store === 'S001' ? '1' : '2'}000000${i}`;
      const r = await admin().post('/identity/records', { id: `crm:SEG-${store}-${i}`, source: 'crm', observedAt: new Date().toISOString(), identities: { phone }, profile: { name: `Member ${store} ${i}`, homeStoreId: store } });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      crm[store].set(r.body.memberId, phone);
    }
  }

  edge = await startEdge(s2.dir, ['--heartbeat-interval', '1']);
  const pos = client(edge.url, s2.token);
  const memberIds: string[] = [];
  for (const phone of ['+8613930000001', '+8613930000002']) {
    const reg = await pos.post('/v1/members', { phone, name: 'Till Member' });
    expect(reg.status, JSON.stringify(reg.body)).toBe(201);
    memberIds.push(reg.body.member.id);
  }
  expect((await pos.post('/v1/checkouts', { receiptNo: 'SEG1', memberId: memberIds[0], lines: [{ sku: 'TEA', qty: 2, unitPrice: 5000 }] })).status).toBe(201);
  for (const [i, id] of memberIds.entries()) {
    const golden = await eventually(async () => {
      const r = await admin().get(`/identity/members/${id}`);
      return r.status === 200 ? (r.body.member.id as string) : undefined;
    }, 30_000, 'the till registration in One-ID');
    till.set(golden, `+861393000000${i + 1}`);
    if (i === 0) buyer = golden;
  }
  // The profiles follow the facts: wait until every member and the receipt are in.
  await eventually(async () => {
    const r = await admin().post('/segments/count', { rule: { all: [{ field: 'isMember', op: 'eq', value: 1 }] } });
    const orders = await admin().post('/segments/count', { rule: { field: 'orders', op: 'gte', value: 1 } });
    return r.body.count === 8 && orders.body.count === 1 ? true : undefined;
  }, 40_000, 'eight members and one buyer in the profiles');
}, 240_000);

afterAll(async () => {
  await edge?.stop();
  await hub?.stop();
  dirs.forEach(removeDir);
});

describe('segments at the admin API', () => {
  it('refuse an unknown field and a wrong operator, each condition at its path; nothing is written', async () => {
    const bad = await admin().post('/segments', { name: 'bad', rule: { all: [{ field: 'shoeSize', op: 'gt', value: 1 }, { field: 'tags', op: 'gt', value: 1 }] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    expect(bad.body.error.issues.map((i: any) => i.path)).toEqual(['rule.all.0.field', 'rule.all.1.op']);
    expect((await admin().get('/segments')).body.segments).toEqual([]);
  });

  it('count, members and the CSV export hold exactly the members the test built', async () => {
    const made = await admin().post('/segments', { name: 'CityA members', rule: { all: [{ field: 'homeStore', op: 'within', values: ['city:CityA'] }, { field: 'isMember', op: 'eq', value: 1 }] } });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const id = made.body.id;
    expect((await admin().get(`/segments/${id}/count`)).body).toMatchObject({ count: 4, of: 8 });
    const page1 = await admin().get(`/segments/${id}/members?limit=3`);
    const page2 = await admin().get(`/segments/${id}/members?limit=3&cursor=${page1.body.next}`);
    expect(page1.body.total).toBe(4);
    expect(page2.body.next).toBeNull();
    const listed = [...page1.body.members, ...page2.body.members];
    expect(listed.map((m: any) => m.goldenId).sort()).toEqual([...crm.S001.keys()].sort());
    expect(listed.map((m: any) => m.phone).sort()).toEqual([...crm.S001.values()].sort()); // the token reveals

    const rows = csvRows(await exportOf((p) => admin().get(p), id, 'csv'));
    expect(rows.map((r) => r.get('golden_id')).sort()).toEqual([...crm.S001.keys()].sort());
    for (const r of rows) {
      expect(r.get('phone')).toBe(crm.S001.get(r.get('golden_id')!));
      expect(r.get('home_store')).toBe('S001');
    }

    const buyers = await admin().post('/segments/count', { rule: { all: [{ field: 'orders', op: 'gte', value: 1 }, { field: 'storesVisited', op: 'within', values: ['region:West'] }, { field: 'spend', op: 'eq', value: 10000 }] } });
    expect(buyers.body.count).toBe(1);
    const notBuyers = await admin().post('/segments/count', { rule: { not: { field: 'orders', op: 'gte', value: 1 } } });
    expect(notBuyers.body.count).toBe(7);
  });

  it("the audience file holds the SHA-256 of each member's E.164 phone, once", async () => {
    const made = await admin().post('/segments', { name: 'West', rule: { any: [{ field: 'homeStore', op: 'within', values: ['region:West'] }, { field: 'storesVisited', op: 'within', values: ['store:S002'] }] } });
    const lines = await exportOf((p) => admin().get(p), made.body.id, 'audience');
    expect(lines[0]).toBe('phone_sha256');
    const want = [...crm.S002.values(), ...till.values()].map(sha).sort();
    expect(lines.slice(1).sort()).toEqual(want);
    expect(lines.slice(1).every((h) => /^[0-9a-f]{64}$/.test(h))).toBe(true);
  });

  it("a store manager's count and export hold only members of their scope, masked", async () => {
    const made = await admin().post('/segments', { name: 'Everyone', rule: { field: 'isMember', op: 'eq', value: 1 } });
    const id = made.body.id;
    const manager = await operator('store_manager', 'store:S002');
    expect((await manager.get(`/segments/${id}/count`)).body).toMatchObject({ count: 4, of: 4 });
    expect((await manager.post('/segments/count', { rule: { field: 'isMember', op: 'eq', value: 1 } })).status).toBe(403); // the live count is for editors
    const rows = csvRows(await exportOf((p) => manager.get(p), id, 'csv', manager));
    const inScope = new Map([...crm.S002, ...till]);
    expect(rows.map((r) => r.get('golden_id')).sort()).toEqual([...inScope.keys()].sort());
    for (const r of rows) {
      const phone = inScope.get(r.get('golden_id')!)!;
      expect(r.get('phone')).toBe(`${phone.slice(3, 6)}****${phone.slice(10)}`);
      expect(r.get('name')).not.toContain('Member S002');
    }
    // Another caller cannot read the manager's job.
    const jobs = (await manager.get('/segments/exports')).body.exports;
    expect(jobs.length).toBe(1);
    expect((await admin().get(`/segments/exports/${jobs[0].id}`)).status).toBe(404);
    expect((await download(jobs[0].id)).status).toBe(404);
    // The full count for the token: everyone.
    expect((await admin().get(`/segments/${id}/count`)).body.count).toBe(8);
  });

  it('versions with a stale check, snapshots of the exact members, retire and delete', async () => {
    const made = await admin().post('/segments', { name: 'Buyers', rule: { field: 'orders', op: 'gte', value: 1 } });
    const id = made.body.id;
    const marketer = await operator('marketer');
    const v2 = await marketer.call('PUT', `/admin/v1/segments/${id}`, { name: 'Buyers', rule: { field: 'orders', op: 'gte', value: 1 }, baseVersion: 1 });
    expect(v2.status, JSON.stringify(v2.body)).toBe(200);
    expect(v2.body.version).toBe(2);
    const stale = await admin().put(`/segments/${id}`, { name: 'Buyers!', rule: { field: 'orders', op: 'gte', value: 2 }, baseVersion: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('stale_version');
    expect((await admin().get(`/segments/${id}`)).body).toMatchObject({ name: 'Buyers', version: 2 });
    expect((await admin().get(`/segments/${id}/versions`)).body.versions.map((v: any) => v.version)).toEqual([2, 1]);

    const snap = await marketer.post(`/segments/${id}/snapshots`);
    expect(snap.status, JSON.stringify(snap.body)).toBe(201);
    expect(snap.body).toMatchObject({ count: 1, segmentVersion: 2 });
    expect((await admin().get(`/segments/${id}/snapshots`)).body.snapshots.map((s: any) => s.id)).toEqual([snap.body.id]);
    expect((await admin().get(`/segments/${id}/snapshots/${snap.body.id}`)).body).toMatchObject({ members: [buyer], next: null });

    const analyst = await operator('analyst');
    expect((await analyst.post(`/segments/${id}/snapshots`)).status).toBe(403);
    expect((await analyst.call('DELETE', `/admin/v1/segments/${id}`)).status).toBe(403);
    expect((await admin().del(`/segments/${id}`)).body.error.code).toBe('segment_in_use');
    expect((await admin().post(`/segments/${id}/retire`)).body.retired).toBe(true);
    const other = await admin().post('/segments', { name: 'Gone', rule: { field: 'age', op: 'gt', value: 1 } });
    expect((await admin().del(`/segments/${other.body.id}`)).status).toBe(200);
    expect((await admin().get(`/segments/${other.body.id}`)).status).toBe(404);
    const audit = (await admin().get('/audit?limit=200')).body.entries as any[];
    expect(audit.some((e) => e.route === '/admin/v1/segments/exports/:job/file' && e.actor.name.startsWith('store-manager'))).toBe(true);
  });

  it("a finished export outlives a restart of the hub: still listed, its file the same, kept on disk for the hub's user only", async () => {
    const made = await admin().post('/segments', { name: 'Restart', rule: { field: 'isMember', op: 'eq', value: 1 } });
    const lines = await exportOf((p) => admin().get(p), made.body.id, 'csv');
    expect(lines).toHaveLength(9);
    const job = ((await admin().get('/segments/exports')).body.exports as any[]).find((j) => j.segmentId === made.body.id);
    const file = join(hub.dir, 'exports', `${job.id}.csv`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(hub.dir, 'exports')).mode & 0o777).toBe(0o700);
    await hub.stop();
    hub = await startHub(hub.dir, hubPort, HUB_FLAGS);
    const again = (await admin().get(`/segments/exports/${job.id}`)).body;
    expect(again).toMatchObject({ id: job.id, state: 'done', rows: 8, progress: 1 });
    const downloaded = await download(job.id);
    expect(downloaded.status).toBe(200);
    expect(downloaded.text.trim().split('\n')).toEqual(lines);
  });
});
