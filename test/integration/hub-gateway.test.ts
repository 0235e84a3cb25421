import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { edgeCli, edgeCliOk, removeDir, tempDir } from '../support/edge-node.ts';
import { DB } from '../../hub/couch/databases.ts';
import { adminClient, enrollStore, eventually, freePort, startHub, withStoredDatabases, type HubProcess } from '../support/hub.ts';

/*
 * Provisioning and the replication gateway: a store's credentials reach its own database, only
 * through the endpoints replication uses, and write only what a store may write.
 */

let hub: HubProcess;
const dirs: string[] = [];
let s1: { dir: string; token: string; enrollOutput: string };
let s2: { dir: string; token: string };
let creds1: { username: string; password: string; db: string };
let creds2: { username: string; password: string; db: string };

const basic = (c: { username: string; password: string }) => `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
const gw = (path: string, init: RequestInit & { as?: { username: string; password: string } } = {}) =>
  fetch(`${hub.url}/couch${path}`, { ...init, headers: { ...(init.as ? { authorization: basic(init.as) } : {}), 'content-type': 'application/json', ...(init.headers as Record<string, string>) } });

beforeAll(async () => {
  const hubDir = tempDir('memberedge-hub-');
  dirs.push(hubDir);
  hub = await startHub(hubDir, await freePort());
  s1 = await enrollStore(hub, 'S001', { members: 10, cli: true });
  s2 = await enrollStore(hub, 'S002', { members: 10, first: 100 });
  dirs.push(s1.dir, s2.dir);
  creds1 = JSON.parse(readFileSync(join(s1.dir, 'hub.json'), 'utf8'));
  creds2 = JSON.parse(readFileSync(join(s2.dir, 'hub.json'), 'utf8'));
});
afterAll(async () => {
  await hub?.stop();
  dirs.forEach(removeDir);
});

describe('provisioning', () => {
  it('enroll pulls the replica and prints a health summary; credentials are saved with mode 0600', () => {
    expect(s1.enrollOutput).toMatch(/store S001 enrolled with http:\/\/127\.0\.0\.1:\d+ in [\d.]+ s/);
    expect(s1.enrollOutput).toContain('10 members');
    expect(s1.enrollOutput).toContain('rules v1, 3 coupon templates');
    expect(statSync(join(s1.dir, 'hub.json')).mode & 0o777).toBe(0o600);
    expect(creds1.password.length).toBeGreaterThan(30);
    expect(hub.output()).not.toContain(creds1.password);
  });

  it('a used code, an unknown code and an expired code are refused with clear errors', async () => {
    const admin = adminClient(hub);
    const added = await admin.post('/stores', { id: 'S009', name: 'Nine', ttlHours: 1 });
    const code = added.body.enrollment.code as string;
    const a = tempDir();
    const b = tempDir();
    dirs.push(a, b);
    await edgeCliOk(['enroll', '--hub', hub.url, '--code', code, '--data', a]);
    const used = await edgeCli(['enroll', '--hub', hub.url, '--code', code, '--data', b]);
    expect(used.code).toBe(1);
    expect(used.stderr).toContain('enrollment_code_used');
    const unknown = await edgeCli(['enroll', '--hub', hub.url, '--code', 'AAAA-BBBB-CCCC-DDDD', '--data', tempDir()]);
    expect(unknown.stderr).toContain('enrollment_code_invalid');
    // The same node running enroll again (say after a crash half-way) is safe: it resumes.
    const again = await edgeCliOk(['enroll', '--hub', hub.url, '--code', code, '--data', a]);
    expect(again).toContain('resumed: store S009 enrolled');
    expect((await admin.post('/stores', { id: 's009', name: 'dup' })).body.error.code).toBe('store_exists');
    const short = await admin.post('/stores/S009/codes', { ttlHours: 0.0001 });
    await new Promise((r) => setTimeout(r, 600));
    const expired = await edgeCli(['enroll', '--hub', hub.url, '--code', short.body.enrollment.code, '--data', tempDir()]);
    expect(expired.stderr).toContain('enrollment_code_expired');
  });

  it('doctor checks the hub, credentials, clock, disk and replication', async () => {
    const out = await edgeCliOk(['doctor', '--data', s1.dir]);
    for (const check of ['hub reachable', 'credentials', 'clock', 'disk space', 'replication']) expect(out).toMatch(new RegExp(`ok  +${check}`));
  });
});

describe('the replication gateway', () => {
  it('lets a store read its own database', async () => {
    const res = await gw(`/${creds1.db}/`, { as: creds1 });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { doc_count: number }).doc_count).toBeGreaterThan(40);
  });

  it("refuses another store's database, the central ones, and anyone without credentials", async () => {
    expect((await gw(`/${creds2.db}/`, { as: creds1 })).status).toBe(403);
    expect((await gw(`/${creds2.db}/_changes`, { as: creds1 })).status).toBe(403);
    expect((await gw('/hub-members/', { as: creds1 })).status).toBe(403);
    expect((await gw('/hub-facts/_all_docs', { as: creds1 })).status).toBe(403);
    expect((await gw('/_all_dbs', { as: creds1 })).status).toBe(403);
    expect((await gw(`/${creds1.db}/`)).status).toBe(401);
    expect((await gw(`/${creds1.db}/`, { as: { username: 'S001', password: 'wrong' } })).status).toBe(401);
    expect((await gw(`/${creds1.db}/`, { as: { username: 'S002', password: creds1.password } })).status).toBe(401);
    const admin = await fetch(`${hub.url}/admin/v1/stores`, { headers: { authorization: basic(creds1) } });
    expect(admin.status).toBe(401);
  });

  it('refuses what replication does not need: filtered changes, design documents, deleting the database', async () => {
    const filtered = await gw(`/${creds1.db}/_changes?feed=longpoll&filter=_selector`, { as: creds1, method: 'POST', body: JSON.stringify({ selector: {} }) });
    expect(filtered.status).toBe(403);
    expect(await filtered.json()).toMatchObject({ error: 'forbidden', reason: expect.stringContaining('filtered') });
    expect((await gw(`/${creds1.db}/`, { as: creds1, method: 'DELETE' })).status).toBe(403);
    expect((await gw(`/${creds1.db}/_design/x`, { as: creds1 })).status).toBe(403);
    expect((await gw(`/${creds1.db}/_compact`, { as: creds1, method: 'POST', body: '{}' })).status).toBe(403);
    // The hub is alive after all that (pouchdb-server dies on a filtered long-poll).
    expect((await fetch(`${hub.url}/healthz`)).status).toBe(200);
  });

  it("writes a store's own facts and refuses hub documents and other stores' facts per document", async () => {
    const docs = [
      { _id: 'event:S001:MSEED00000001:x', type: 'event', kind: 'test', memberId: 'MSEED00000001', storeId: 'S001', at: '2026-01-01T00:00:00.000Z', day: '2026-01-01' },
      { _id: 'rules:loyalty', type: 'rules', rules: {} },
      { _id: 'coupon:FREE-MONEY', type: 'coupon', code: 'FREE-MONEY' },
      { _id: 'event:S002:MSEED00000001:x', type: 'event', kind: 'test', memberId: 'MSEED00000001', storeId: 'S002', at: '2026-01-01T00:00:00.000Z', day: '2026-01-01' },
    ];
    const res = await gw(`/${creds1.db}/_bulk_docs`, { as: creds1, method: 'POST', body: JSON.stringify({ docs }) });
    expect(res.status).toBe(201);
    const results = (await res.json()) as { id: string; ok?: boolean; error?: string }[];
    expect(results.find((r) => r.id === 'event:S001:MSEED00000001:x')?.ok).toBe(true);
    for (const id of ['rules:loyalty', 'coupon:FREE-MONEY', 'event:S002:MSEED00000001:x']) expect(results.find((r) => r.id === id)?.error).toBe('forbidden');
    const rules = await gw(`/${creds1.db}/rules:loyalty`, { as: creds1 });
    expect(((await rules.json()) as { rules: { version: number } }).rules.version).toBe(1);
  });

  it('member lookups are for stores only, and bounded per store (no enumerating phones at HQ)', async () => {
    const lookup = (as?: { username: string; password: string }, phone = '+8613900000003') =>
      fetch(`${hub.url}/v1/lookup`, { method: 'POST', headers: { 'content-type': 'application/json', ...(as ? { authorization: basic(as) } : {}) }, body: JSON.stringify({ phone }) });
    expect((await lookup()).status).toBe(401);
    const found = await lookup(creds1);
    expect(found.status).toBe(200);
    expect(((await found.json()) as { member: { id: string; phoneMasked: string } }).member).toMatchObject({ id: 'MSEED00000003', phoneMasked: '139****0003' });
    // A burst of 100, then 10 a second: how many pass before the first 429 depends on how fast
    // this machine sends them, so the bound is computed from the elapsed time.
    const started = Date.now();
    let passed = 0;
    let status = 0;
    for (let i = 0; i < 1000; i++) {
      status = (await lookup(creds1, `+86137${String(i).padStart(8, '0')}`)).status;
      if (status !== 404) break;
      passed++;
    }
    const refilled = ((Date.now() - started) / 1000) * 10;
    expect(status).toBe(429);
    expect(passed).toBeGreaterThanOrEqual(98);
    expect(passed).toBeLessThanOrEqual(100 + Math.ceil(refilled));
  });

  it("refuses another store's heartbeat; a store whose clock is off is an incident, measured from its requests", async () => {
    const write = async (doc: Record<string, unknown>) =>
      (await (await gw(`/${creds1.db}/_bulk_docs`, { as: creds1, method: 'POST', body: JSON.stringify({ docs: [doc] }) })).json()) as { error?: string }[];
    expect((await write({ _id: 'heartbeat:S002', type: 'heartbeat' }))[0]!.error).toBe('forbidden');
    // No node serves S001 in this file: its requests are these. A heartbeat's clock is not
    // believed (written offline, it arrives late); the clock each request carries is.
    const hourAhead = () => new Date(Date.now() + 3600_000).toISOString();
    const heartbeat = { _id: 'heartbeat:S001', type: 'heartbeat', storeId: 'S001', version: '0.1.0', clock: hourAhead(), sync: { state: 'online', lastPushAt: null, lastPullAt: null, pendingUp: 0, pendingDown: 0, lastError: null }, members: 10 };
    expect((await write(heartbeat))[0]!.error).toBeUndefined();
    await new Promise((r) => setTimeout(r, 1500));
    expect((await adminClient(hub).get('/incidents?kind=clock_skew')).body.incidents).toEqual([]);
    expect((await gw(`/${creds1.db}/`, { as: creds1, headers: { 'x-memberedge-clock': hourAhead() } })).status).toBe(200);
    const incident = await eventually(async () => (await adminClient(hub).get('/incidents?kind=clock_skew')).body.incidents[0], 10_000, 'a clock incident');
    expect(incident.storeId).toBe('S001');
    expect(incident.details.skewMs).toBeGreaterThan(3_500_000);
    // Another store's clock is not this one's; and a header that is not a time is ignored.
    expect((await gw(`/${creds2.db}/`, { as: creds2, headers: { 'x-memberedge-clock': 'tomorrow' } })).status).toBe(200);
  });

  it("a restarted hub keeps the store's clock it had learnt over a late first request", async () => {
    // Learnt before the restart: S001 an hour ahead. The first request after the restart spent
    // 30 s on the wire: taken alone it would make every S001 fact 30 s later.
    const port = Number(new URL(hub.url).port);
    expect((await gw(`/${creds1.db}/`, { as: creds1, headers: { 'x-memberedge-clock': new Date(Date.now() + 3600_000).toISOString() } })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1500));
    await hub.stop();
    hub = await startHub(hub.dir, port);
    expect((await gw(`/${creds1.db}/`, { as: creds1, headers: { 'x-memberedge-clock': new Date(Date.now() + 3600_000 - 30_000).toISOString() } })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1500));
    await hub.stop();
    const stored = await withStoredDatabases(hub.dir, (couch) => couch.get(DB.registry, 'clock:S001'));
    hub = await startHub(hub.dir, port);
    expect(Number(stored?.skewMs)).toBeGreaterThan(3_595_000);
  });

  it('a disabled store is locked out at once', async () => {
    const admin = adminClient(hub);
    expect((await gw(`/${creds2.db}/`, { as: creds2 })).status).toBe(200);
    expect((await admin.post('/stores/S002/disable')).status).toBe(200);
    expect((await gw(`/${creds2.db}/`, { as: creds2 })).status).toBe(401);
    expect((await admin.post('/stores/S002/enable')).status).toBe(200);
    expect((await gw(`/${creds2.db}/`, { as: creds2 })).status).toBe(200);
  });
});

describe('a store box is the least trusted machine: what its credentials cannot do', () => {
  const push = async (docs: unknown[]) => (await (await gw(`/${creds1.db}/_bulk_docs`, { as: creds1, method: 'POST', body: JSON.stringify({ docs }) })).json()) as { id: string; ok?: boolean; error?: string; reason?: string }[];
  const admin = () => adminClient(hub);
  const now = () => new Date().toISOString();
  const today = () => now().slice(0, 10);
  const incident = (kind: string, id: string) =>
    eventually(async () => ((await admin().get(`/incidents?kind=${kind}`)).body.incidents as { details: { id: string; reason: string } }[]).find((i) => i.details.id === id), 15_000, `a ${kind} incident for ${id}`);

  it("mints no points for another store's member out of an order that does not exist", async () => {
    const victim = 'MSEED00000105'; // S002's member
    const before = (await admin().get(`/members/${victim}`)).body.member.points.balance as number;
    const forged = { _id: `pts:${victim}:earn:S001:T1:NOPE`, type: 'pts', memberId: victim, delta: 100_000, reason: 'earn', ref: 'order:S001:T1:NOPE', storeId: 'S001', at: now(), day: today() };
    expect((await push([forged]))[0]!.ok).toBe(true); // well-formed: the gateway cannot tell, the ingest can
    const q = await incident('quarantined_fact', forged._id);
    expect(q.details.reason).toMatch(/not served at S001|does not have/);
    expect((await admin().get(`/members/${victim}`)).body.member.points.balance).toBe(before);
    expect(((await admin().get(`/members/${victim}`)).body.facts as { id: string }[]).map((f) => f.id)).not.toContain(forged._id);
    const atS002 = await gw(`/${creds2.db}/${encodeURIComponent(forged._id)}`, { as: creds2 });
    expect(atS002.status).toBe(404);
  });

  it("mints no points for its own member either: an order the rules do not price so, and points without an order", async () => {
    const m = 'MSEED00000002'; // S001's own member
    const before = (await admin().get(`/members/${m}`)).body.member.points.balance as number;
    const order = {
      _id: 'order:S001:T1:FORGED1', type: 'order', storeId: 'S001', terminalId: 'T1', receiptNo: 'FORGED1', memberId: m, at: now(), day: today(),
      lines: [{ sku: 'TEA', qty: 1, unitPriceCents: 1000, totalCents: 1000, discountCents: 0, payableCents: 1000 }],
      totalCents: 1000, couponDiscountCents: 0, pointsCashCents: 0, payableCents: 1000, pointsEarned: 1_000_000, pointsRedeemed: 0, coupons: [], tier: 'L1', rulesVersion: 1, requestHash: 'x',
    };
    const pts = { _id: `pts:${m}:earn:S001:T1:FORGED1`, type: 'pts', memberId: m, delta: 1_000_000, reason: 'earn', ref: order._id, storeId: 'S001', at: now(), day: today() };
    const tier = { ...order, _id: 'order:S001:T1:FORGED2', receiptNo: 'FORGED2', tier: 'L4', pointsEarned: 20 };
    expect((await push([order, pts, tier])).every((r) => r.ok)).toBe(true);
    expect((await incident('quarantined_fact', order._id)).details.reason).toMatch(/pointsEarned/);
    expect((await incident('quarantined_fact', pts._id)).details.reason).toMatch(/does not have/);
    expect((await incident('quarantined_fact', tier._id)).details.reason).toMatch(/tier L4/);
    expect((await admin().get(`/members/${m}`)).body.member.points.balance).toBe(before);
  });

  it("cannot point an identity key at another store's member", async () => {
    const key = { _id: 'idk:card:EVILCARD1', type: 'idk', key: 'card:EVILCARD1', memberId: 'MSEED00000105' };
    expect((await push([key]))[0]!.ok).toBe(true);
    expect((await incident('quarantined_fact', key._id)).details.reason).toMatch(/not registered at S001/);
    const lookup = await fetch(`${hub.url}/v1/lookup`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basic(creds2) }, body: JSON.stringify({ cardNo: 'EVILCARD1' }) });
    expect(lookup.status).toBe(404);
  });

  it('refuses malformed facts per document, and records each refusal', async () => {
    const base = { type: 'pts', memberId: 'MSEED00000003', reason: 'earn', ref: 'order:S001:T1:X', storeId: 'S001', at: now(), day: today() };
    const docs = [
      { ...base, _id: 'pts:MSEED00000003:earn:S001:T1:LOTS', delta: 'lots' },
      { ...base, _id: 'pts:MSEED00000003:earn:S001:T1:NODELTA' },
      { _id: 'order:S001:T1:HUGE', type: 'order', storeId: 'S001', terminalId: 'T1', receiptNo: 'HUGE', at: now(), day: today(), lines: [{ sku: 'X', qty: 1, unitPriceCents: 1, totalCents: 1, discountCents: 0, payableCents: 1 }], totalCents: 1, couponDiscountCents: 0, pointsCashCents: 0, payableCents: 1e300, pointsEarned: 0, pointsRedeemed: 0, coupons: [], requestHash: 'x' },
    ];
    const results = await push(docs);
    for (const d of docs) {
      const r = results.find((x) => x.id === d._id);
      expect(r?.error, d._id).toBe('forbidden');
      expect((await incident('refused_document', d._id)).details.reason).toBeTruthy();
    }
    for (const d of docs) expect((await gw(`/${creds1.db}/${encodeURIComponent(d._id)}`, { as: creds1 })).status).toBe(404);
  });
});
