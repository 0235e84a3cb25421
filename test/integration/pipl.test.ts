import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import PouchDB from 'pouchdb-node';
import { seedMemberId as seedId } from '../../shared/seed-members.ts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Couch } from '../../hub/couch/couch.ts';
import { startEmbeddedCouch } from '../../hub/couch/embedded.ts';
import { createLog } from '../../shared/cli/log.ts';
import { chunkRecords } from '../../shared/one-id/stored-chunk.ts';
import { client, startEdge } from '../support/edge-node.ts';
import { startTwoStoreFleet, stopFleet, type FleetStore } from '../support/fleet.ts';
import { adminClient, eventually, hubCliOk, startHub, type HubProcess } from '../support/hub.ts';
import { OperatorSession } from '../support/operator-session.ts';

/*
 * Personal data rights (PIPL, decision 014) on a real hub and two real stores: consent recorded
 * at a till and at HQ, the member's data export, and erasure — the member's personal data gone
 * from every current document at the hub and in both stores' replicas (source records, merged
 * members and aliases included), old revisions compacted away, the phone and card finding no one
 * at either till, while the member's facts stay as anonymous facts: sales and other members'
 * balances unchanged.
 */


let hubDir: string;
let hubPort: number;
let hub: HubProcess;
let stores: FleetStore[] = [];
const pos = (i: number) => client(stores[i]!.edge!.url, stores[i]!.token);
const admin = () => adminClient(hub);

const PHONE = '+8613812345678';
const PHONE2 = '+8613812345679';
const CARD = 'PIPLCARD0001';
const NAME = 'Xiaoming Erasable';
const NAME2 = 'Second Erasable';
const EMAIL = 'xiaoming.erasable@example.com';
const SECRETS = [PHONE, PHONE2, CARD, NAME, NAME2, EMAIL, '13812345678', '13812345679'];
const other = seedId(3);
const EDGE_FLAGS = ['--heartbeat-interval', '1', '--identify-rate', '100000', '--identify-burst', '1000'];
/** Someone else in the same import file: their record must survive the erasure untouched. */
const KEEP = 'Keep Me Intact';

beforeAll(async () => {
  ({ hubDir, hubPort, hub, stores } = await startTwoStoreFleet(EDGE_FLAGS));
}, 120_000);

afterAll(() => stopFleet(hub, hubDir, stores));

const hubMember = async (id: string) => (await admin().get(`/members/${id}`)).body;
const storeBalance = async (i: number, id: string) => (await pos(i).get(`/v1/members/${id}/points`)).body.balance as number;
const pointsDaily = async () => (await admin().get('/points/daily?days=3')).body.days;

it('consent per channel: at the till (register and later), at HQ; latest by time wins, history kept; the hub refuses a consent for a member the store does not serve', { timeout: 120_000 }, async () => {
  const reg = await pos(0).post('/v1/members', { phone: '+8613700000001', name: 'Consent Person', consent: { sms: true, email: false } });
  expect(reg.status, JSON.stringify(reg.body)).toBe(201);
  const id = reg.body.member.id as string;
  const later = await pos(0).post(`/v1/members/${id}/consent`, { channel: 'sms', granted: false });
  expect(later.status, JSON.stringify(later.body)).toBe(201);
  expect(later.body.consents.find((c: { channel: string }) => c.channel === 'sms')).toMatchObject({ granted: false, source: 'till', storeId: 'S001' });
  expect((await pos(0).post(`/v1/members/${id}/consent`, { channel: 'fax', granted: true })).status).toBe(400);
  expect((await pos(0).post(`/v1/members/${id}/consent`, { channel: 'sms', granted: 'yes' })).status).toBe(400);

  // The till's facts reach the hub: the latest wins, the history has all three.
  const atHub = await eventually(async () => {
    const r = await admin().get(`/members/${id}/consent`);
    return r.status === 200 && r.body.history.length === 3 ? r.body : undefined;
  }, 20_000, 'consent at the hub');
  const byChannel = (list: { channel: string; granted: boolean | null }[]) => new Map(list.map((c) => [c.channel, c]));
  expect(byChannel(atHub.channels).get('sms')).toMatchObject({ granted: false, source: 'till' });
  expect(byChannel(atHub.channels).get('email')).toMatchObject({ granted: false });
  expect(byChannel(atHub.channels).get('wechat')).toMatchObject({ granted: null });

  // HQ changes it; the till sees the hub's fact too (projected), and it is the latest.
  const hq = await admin().post(`/members/${id}/consent`, { channel: 'wechat', granted: true });
  expect(hq.status, JSON.stringify(hq.body)).toBe(201);
  expect(byChannel(hq.body.channels).get('wechat')).toMatchObject({ granted: true, source: 'console', storeId: 'HQ' });
  expect((await admin().post(`/members/${id}/consent`, { channel: 'wechat' })).status).toBe(400);
  expect((await admin().post('/members/MNOBODY000000/consent', { channel: 'sms', granted: true })).status).toBe(404);
  await eventually(async () => {
    const r = await pos(0).get(`/v1/members/${id}/consent`);
    return byChannel(r.body.consents).get('wechat')?.granted === true ? true : undefined;
  }, 20_000, 'the HQ consent at the till');

  // An import's consent columns reach the member through One-ID, dated by the record: an old
  // 'yes' on SMS does not win over the till's later 'no'; a recent 'yes' on phone calls counts.
  const hour = (h: number) => new Date(Date.now() + h * 3600_000).toISOString();
  expect((await admin().post('/identity/records', { id: 'crm:consent-1', source: 'crm', observedAt: hour(-1), identities: { phone: '+8613700000001' }, profile: {}, consent: { sms: true, phone: true } })).status).toBe(201);
  const imported = await eventually(async () => {
    const r = (await admin().get(`/members/${id}/consent`)).body;
    return r.history.length === 6 ? r : undefined;
  }, 20_000, 'the imported consent');
  expect(byChannel(imported.channels).get('phone')).toMatchObject({ granted: true, source: 'import' });
  expect(byChannel(imported.channels).get('sms')).toMatchObject({ granted: false, source: 'till' });
  expect((await admin().post('/identity/records', { id: 'crm:consent-2', source: 'crm', observedAt: hour(-1), identities: { phone: '+8613700000002' }, profile: {}, consent: { sms: 'maybe' } })).status).toBe(400);

  // A store that does not serve the member: its till does not know them, and a consent pushed
  // with the store's credentials anyway (a tampered node) is quarantined, not taken in.
  expect((await pos(1).post(`/v1/members/${id}/consent`, { channel: 'sms', granted: true })).status).toBe(404);
  const at = new Date().toISOString();
  const forged = { _id: `consent:${id}:sms:S002:${at}`, type: 'consent', memberId: id, channel: 'sms', granted: true, source: 'till', storeId: 'S002', at };
  const auth = `Basic ${Buffer.from(`S002:${storeSecret(1)}`).toString('base64')}`;
  const pushed = await fetch(`${hub.url}/couch/store-s002/_bulk_docs`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify({ docs: [forged] }) });
  expect(pushed.status).toBe(201);
  await eventually(async () => {
    const list = (await admin().get('/incidents?kind=quarantined_fact&store=S002')).body.incidents as { details: { id: string } }[];
    return list.some((i) => i.details.id === forged._id) ? true : undefined;
  }, 20_000, 'the forged consent quarantined');
  expect((await admin().get(`/members/${id}/consent`)).body.history).toHaveLength(6);
});

it('export, consent and erasure follow the operator\'s scope and role: out of scope is not found, without the permission forbidden, nothing written', { timeout: 120_000 }, async () => {
  const login = async (role: string, scope?: string) => {
    const name = `${role.replace(/_/g, '-')}-${Math.random().toString(36).slice(2, 7)}`;
    const added = await admin().post('/operators', { name, role, ...(scope ? { scope } : {}) });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    const session = new OperatorSession(hub.url);
    expect((await session.call('POST', '/console/api/session', { name, password: added.body.password })).status).toBe(200);
    expect((await session.call('POST', '/console/api/password', { current: added.body.password, next: `${name} chose this` })).status).toBe(200);
    return session;
  };
  const s1Member = seedId(6);
  const s2Member = seedId(106);
  const analyst = await login('analyst', 'store:S002');
  expect((await analyst.call('GET', `/admin/v1/members/${s2Member}/export`)).status).toBe(200);
  const out = await analyst.call('GET', `/admin/v1/members/${s1Member}/export`);
  expect([out.status, out.body.error.code]).toEqual([404, 'member_not_found']);
  expect((await analyst.call('POST', `/admin/v1/members/${s2Member}/erase`, { reason: 'not mine to do' })).status).toBe(403);
  const manager = await login('store_manager', 'store:S002');
  expect((await manager.call('POST', `/admin/v1/members/${s2Member}/consent`, { channel: 'email', granted: true })).status).toBe(201);
  expect((await manager.call('POST', `/admin/v1/members/${s1Member}/consent`, { channel: 'email', granted: true })).status).toBe(404);
  expect((await manager.call('GET', `/admin/v1/members/${s2Member}/export`)).status).toBe(403);
  expect((await admin().get(`/members/${s1Member}/consent`)).body.history).toEqual([]);
  expect((await admin().get(`/members/${s2Member}/consent`)).body.history).toHaveLength(1);
  expect((await admin().get(`/members/${s2Member}/export`)).body.erasure).toBeNull();
});

/** The store's hub password as its node saved it. */
function storeSecret(i: number): string {
  return (JSON.parse(readFileSync(join(stores[i]!.dir, 'hub.json'), 'utf8')) as { password: string }).password;
}

let erased: string;
let merged: string;
let oldMemberRev: string;

it('export: everything about the member as one JSON file, audited; erasure: personal data gone everywhere, facts stay anonymous', { timeout: 300_000 }, async () => {
  // A member at S001 with a card, served at S002 too, with receipts at both stores, a coupon,
  // consent, a source record from another channel, and a second store member (S002) One-ID
  // merges into them through the card.
  const reg = await pos(0).post('/v1/members', { phone: PHONE, name: NAME, cardNo: CARD, consent: { sms: true } });
  expect(reg.status, JSON.stringify(reg.body)).toBe(201);
  erased = reg.body.member.id;
  expect((await pos(0).post('/v1/checkouts', { receiptNo: 'P1', memberId: erased, lines: [{ sku: 'A', qty: 2, unitPrice: 5_000 }] })).status).toBe(201);
  // S002 registers someone with another phone and the same card (it does not know the card yet):
  // One-ID finds them one person and merges the S002 member into the first.
  const second = await pos(1).post('/v1/members', { phone: PHONE2, name: NAME2, cardNo: CARD });
  expect(second.status, JSON.stringify(second.body)).toBe(201);
  merged = second.body.member.id;
  await eventually(async () => ((await pos(1).post('/v1/members/identify', { phone: PHONE })).status === 200 ? true : undefined), 20_000, 'the member found at S002');
  expect((await pos(1).post('/v1/checkouts', { receiptNo: 'P2', memberId: erased, lines: [{ sku: 'B', qty: 1, unitPrice: 12_000 }] })).status).toBe(201);
  expect((await admin().post('/coupons', { memberId: erased, templateId: 'CASH20' })).status).toBe(201);
  expect((await admin().post('/identity/records', { id: 'ecom:pipl-1', source: 'ecom', observedAt: '2026-11-01T10:00:00.000Z', identities: { phone: PHONE, cardNo: CARD }, profile: { name: NAME, email: EMAIL } })).status).toBe(201);
  await eventually(async () => ((await hubMember(merged)).member?.id === erased ? true : undefined), 30_000, 'the S002 member merged into the first');
  expect((await pos(1).post('/v1/checkouts', { receiptNo: 'P3', memberId: merged, lines: [{ sku: 'C', qty: 1, unitPrice: 3_000 }] })).status).toBe(201);

  // An import file with the person and someone else: both in one stored chunk of source records.
  const file = join(hubDir, 'ecom-export.csv');
  writeFileSync(file, `user_id,mobile,card,real_name,email,updated_at\npipl-imp,${PHONE},${CARD},${NAME},${EMAIL},2026-11-02 10:00\nkeep-imp,+8613600000009,,${KEEP},keep@example.com,2026-11-02 10:00\n`);
  const mapping = { source: 'ecom', format: 'csv', kind: 'members', idField: 'user_id', columns: { phone: 'mobile', cardNo: 'card', name: 'real_name', email: 'email' }, observedAtField: 'updated_at' };
  const started = await admin().post('/imports', { source: 'ecom', path: file, mapping });
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  await eventually(async () => ((await admin().get(`/imports/${started.body.import.id}`)).body.import.state === 'done' ? true : undefined), 30_000, 'the import');
  await eventually(async () => ((await admin().get('/identity/records/ecom%3Apipl-imp')).body.memberId === (await admin().get(`/identity/records/pos%3A${erased}`)).body.memberId ? true : undefined), 10_000, 'the imported record linked');

  // Every store agrees on the balances, the other member's too, before and after.
  const settled = async () => {
    const h = (await hubMember(erased)).member.points.balance as number;
    const a = await storeBalance(0, erased);
    const b = await storeBalance(1, erased);
    return h === a && a === b ? h : undefined;
  };
  const balance = await eventually(settled, 30_000, 'balances agree');
  const otherBefore = [(await hubMember(other)).member.points.balance, await storeBalance(0, other)];
  const dailyBefore = await pointsDaily();

  // The export: profile, keys, One-ID records, merges, facts, what each store holds.
  const exp = await fetch(`${hub.url}/admin/v1/members/${erased}/export`, { headers: { authorization: `Bearer ${adminToken()}` } });
  expect(exp.status).toBe(200);
  expect(exp.headers.get('content-disposition')).toContain(`member-${erased}.json`);
  const data = (await exp.json()) as any;
  expect(data.memberId).toBe(erased);
  expect(data.profile.map((p: { id: string }) => p.id).sort()).toEqual([erased, merged].sort());
  expect(data.profile.find((p: { id: string }) => p.id === erased)).toMatchObject({ phone: PHONE, name: NAME, cardNo: CARD });
  expect(data.identities.map((k: { key: string }) => k.key)).toEqual(expect.arrayContaining([`phone:${PHONE}`, `phone:${PHONE2}`, `card:${CARD}`]));
  expect(data.oneId.records.map((r: { id: string }) => r.id)).toEqual(expect.arrayContaining(['ecom:pipl-1', 'ecom:pipl-imp', `pos:${erased}`, `pos:${merged}`]));
  expect(data.merges).toEqual([expect.objectContaining({ from: merged, to: erased })]);
  expect(data.facts.orders.map((o: { receiptNo: string }) => o.receiptNo).sort()).toEqual(['P1', 'P2', 'P3']);
  expect(data.facts.coupons).toHaveLength(1);
  expect(data.facts.ledger.length).toBeGreaterThanOrEqual(5);
  expect(data.consent.find((c: { channel: string }) => c.channel === 'sms')).toMatchObject({ granted: true });
  expect(data.stores.map((s: { storeId: string }) => s.storeId)).toEqual(['S001', 'S002']);
  for (const s of data.stores) expect(s.documents).toContain(`member:${erased}`);
  const salesBefore = data.facts.orders.reduce((sum: number, o: { payableCents: number }) => sum + o.payableCents, 0);
  const audit = (await admin().get('/audit?limit=20')).body.entries as { route: string; target?: string; status: number }[];
  expect(audit.some((e) => e.route.endsWith('/members/:id/export') && e.target === erased && e.status === 200)).toBe(true);

  // The same from the hub's CLI.
  const cli = JSON.parse((await hubCliOk(hub, ['member', 'export', other])).stdout) as { memberId: string; profile: { phone: string }[] };
  expect(cli.memberId).toBe(other);
  expect(cli.profile[0]!.phone).toBe('+8613900000003');

  // Who may: export needs members:export; erasure members:erase (admin only), with a reason.
  expect((await admin().post(`/members/${erased}/erase`, {})).status).toBe(400);
  expect((await admin().post(`/members/${erased}/erase`, { reason: 'x' })).status).toBe(400);
  expect((await admin().post('/members/MNOBODY000000/erase', { reason: 'member asked by letter' })).status).toBe(404);

  oldMemberRev = await eventually(async () => revOf(0, `member:${erased}`), 5_000, 'rev');
  // S002's node is down while the member is erased: it learns of it when it is back.
  await stores[1]!.edge!.stop();
  const first = await admin().post(`/members/${merged}/erase`, { reason: 'member asked by letter on 2026-11-30' });
  expect(first.status, JSON.stringify(first.body)).toBe(201);
  expect(first.body.erasure).toMatchObject({ memberId: erased, ids: [erased, merged], reason: 'member asked by letter on 2026-11-30', by: 'token', stores: expect.arrayContaining(['S001', 'S002']) });
  const again = await admin().post(`/members/${erased}/erase`, { reason: 'again' });
  expect(again.status).toBe(200);
  expect(again.body.erasure).toEqual(first.body.erasure);
  expect(((await admin().get('/audit?limit=5')).body.entries as { route: string }[]).filter((e) => e.route.endsWith('/members/:id/erase')).length).toBeGreaterThanOrEqual(2);

  stores[1]!.edge = await startEdge(stores[1]!.dir, EDGE_FLAGS);

  // The phone, the second phone and the card identify no one at either till (nor at the hub).
  for (const i of [0, 1]) {
    for (const body of [{ phone: PHONE }, { phone: PHONE2 }, { cardNo: CARD }]) {
      await eventually(async () => ((await pos(i).post('/v1/members/identify', body)).status === 404 ? true : undefined), 20_000, `${JSON.stringify(body)} not found at store ${i}`);
    }
  }

  // The facts stay: the same balance at the hub and both stores, the same sales, the other
  // member's balance and the day's points unchanged.
  expect(await eventually(settled, 20_000, 'balances after erasure')).toBe(balance);
  expect([(await hubMember(other)).member.points.balance, await storeBalance(0, other)]).toEqual(otherBefore);
  expect(await pointsDaily()).toEqual(dailyBefore);
  const after = (await (await fetch(`${hub.url}/admin/v1/members/${erased}/export`, { headers: { authorization: `Bearer ${adminToken()}` } })).json()) as any;
  expect(after.facts.orders.reduce((sum: number, o: { payableCents: number }) => sum + o.payableCents, 0)).toBe(salesBefore);
  expect(after.facts.orders).toHaveLength(3);
  expect(after.profile.every((p: { phone: string; erasedAt?: string }) => p.phone === '' && p.erasedAt)).toBe(true);
  expect(after.identities).toEqual([]);
  expect(after.erasure).toMatchObject({ memberId: erased, doneAt: expect.any(String) });
  for (const s of SECRETS) expect(JSON.stringify(after)).not.toContain(s);
  // The tills' replicas have the erased profile, and no longer the old revision.
  for (const i of [0, 1]) {
    expect((await pos(i).post(`/v1/members/${erased}/consent`, { channel: 'sms', granted: true })).status).toBe(404);
    const profile = await pos(i).get(`/v1/members/${erased}`);
    expect(profile.status).toBe(200);
    expect(profile.body.member.points.balance).toBe(balance);
    for (const s of [...SECRETS, '5678', 'Xiaoming']) expect(JSON.stringify(profile.body)).not.toContain(s);
  }
  await new Promise((r) => setTimeout(r, 2_500)); // the nodes compact a second after the erasure arrives
});

it('after erasure no current document anywhere holds the personal data, and old revisions are gone (hub and both replicas); an erasure a stopped hub had begun is finished at its next start', { timeout: 180_000 }, async () => {
  for (const s of stores) await s.edge?.stop();
  await hub.stop();
  const stopped = stores.map((s) => ({ ...s, edge: undefined }));
  for (const s of stopped) {
    const snapshot = readFileSync(join(s.dir, 'index.snapshot.json'), 'utf8');
    for (const secret of SECRETS) expect(snapshot.includes(secret), `${s.id}'s index snapshot holds ${secret}`).toBe(false);
  }
  const edges = stopped.map((s) => new PouchDB(join(s.dir, 'db')));
  try {
    for (const [i, db] of edges.entries()) {
      await expectClean(`store ${i}`, allDocsOf(db), changesOf(db));
      const member = (await db.get(`member:${erased}`, { revs: true, open_revs: 'all' } as never)) as unknown as { ok?: { _revisions: { start: number; ids: string[] } } }[];
      expect(member).toHaveLength(1);
      await expect(db.get(`member:${erased}`, { rev: oldMemberRev })).rejects.toMatchObject({ status: 404 });
      // Every earlier revision of both members' documents is compacted away on the node (S002's
      // after it came back and caught up).
      for (const id of [erased, merged]) {
        const doc = (await db.get(`member:${id}`, { revs_info: true })) as unknown as { erasedAt?: string; _revs_info: { rev: string; status: string }[] };
        expect(doc.erasedAt).toBeTruthy();
        expect(doc._revs_info.length, `store ${i} member:${id}`).toBeGreaterThan(1);
        expect(doc._revs_info.slice(1).every((r) => r.status === 'missing'), `store ${i} member:${id} ${JSON.stringify(doc._revs_info)}`).toBe(true);
      }
    }
  } finally {
    for (const db of edges) await db.close();
  }
  const couch = await startEmbeddedCouch(hubDir, createLog('test', true));
  try {
    const c = new Couch(couch.url);
    for (const name of await c.server.db.list()) {
      if (name.startsWith('_')) continue;
      const db = c.db(name);
      const all = (await db.list({ include_docs: true })).rows.map((r) => r.doc as Record<string, unknown>);
      const changes = (await db.changes({ style: 'all_docs' } as never)).results.map((r) => ({ id: r.id, deleted: Boolean(r.deleted) }));
      await expectClean(`hub ${name}`, Promise.resolve(all), Promise.resolve(changes));
    }
    // The other person of the import file is still there, in the chunk the erasure rewrote.
    const chunks = (await c.db('hub-identity').list({ include_docs: true, startkey: 'src:', endkey: 'src:\ufff0' })).rows.map((r) => chunkRecords(r.doc as Record<string, unknown>));
    const rewritten = chunks.find((rs) => rs.some((r) => r.id === 'ecom:pipl-imp'));
    expect(rewritten?.find((r) => r.id === 'ecom:keep-imp')).toMatchObject({ identities: { phone: '+8613600000009' }, profile: { name: KEEP } });
    for (const name of ['hub-members', 'store-s001', 'store-s002']) {
      await expect(c.db(name).get(`member:${erased}`, { rev: oldMemberRev })).rejects.toMatchObject({ statusCode: 404 });
      const doc = await c.db(name).get(`member:${merged}`, { revs_info: true });
      const older = (doc._revs_info ?? []).slice(1);
      expect(older.length).toBeGreaterThan(0);
      expect(older.every((r) => r.status === 'missing')).toBe(true);
    }
    // An erasure a hub stopped in the middle of: its intent is there, the work is not done.
    await c.db('hub-members').insert({ _id: `erasure:${seedId(5)}`, type: 'erasure', memberId: seedId(5), ids: [seedId(5)], reason: 'asked at the counter', by: 'token', requestedAt: new Date().toISOString() });
  } finally {
    await couch.stop();
  }
  // The next start finishes it.
  hub = await startHub(hubDir, hubPort);
  const finished = await eventually(async () => {
    const r = await admin().get(`/members/${seedId(5)}/export`);
    return r.body.erasure?.doneAt ? r.body : undefined;
  }, 60_000, 'the erasure finished at start');
  expect(finished.profile[0]).toMatchObject({ id: seedId(5), phone: '', erasedAt: expect.any(String) });
  expect(finished.identities).toEqual([]);
});

function adminToken(): string {
  return readFileSync(join(hub.dir, 'admin-token'), 'utf8').trim();
}

/** The current revision of a document in a store's database at the hub, read through the gateway with the store's credentials. */
async function revOf(i: number, id: string): Promise<string | undefined> {
  const auth = `Basic ${Buffer.from(`${stores[i]!.id}:${storeSecret(i)}`).toString('base64')}`;
  const res = await fetch(`${hub.url}/couch/store-${stores[i]!.id.toLowerCase()}/${encodeURIComponent(id)}`, { headers: { authorization: auth } });
  return res.ok ? ((await res.json()) as { _rev: string })._rev : undefined;
}

const allDocsOf = async (db: PouchDB.Database) => (await db.allDocs({ include_docs: true })).rows.map((r) => r.doc as unknown as Record<string, unknown>);
const changesOf = async (db: PouchDB.Database) => (await db.changes({ style: 'all_docs' })).results.map((r) => ({ id: r.id, deleted: Boolean(r.deleted) }));

/**
 * No live document holds a personal value, in its id or its body. A deleted identity key keeps
 * its id (`idk:phone:…`) as a tombstone: neither PouchDB's LevelDB store nor pouchdb-server can
 * purge (decision 014 says so); every other deleted document must not name a personal value.
 */
async function expectClean(where: string, docs: Promise<Record<string, unknown>[]>, changes: Promise<{ id: string; deleted: boolean }[]>) {
  for (const doc of await docs) {
    const text = JSON.stringify(doc);
    for (const s of SECRETS) expect(text.includes(s), `${where}: ${String(doc._id)} holds ${s}`).toBe(false);
  }
  for (const ch of await changes) {
    const named = SECRETS.some((s) => ch.id.includes(s));
    if (named) expect({ where, id: ch.id, deleted: ch.deleted, key: ch.id.startsWith('idk:') }).toEqual({ where, id: ch.id, deleted: true, key: true });
  }
}
