import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, lastLine, removeDir, runTool, startEdge, tempDir, type EdgeProcess } from '../support/edge-node.ts';
import { adminClient, enrollStore, eventually, freePort, hubCliOk, startHub, type HubProcess } from '../support/hub.ts';
import { newOperator, OperatorSession } from '../support/operator-session.ts';

/*
 * The org tree and data scope (issue 11, second slice; decision 010), with a real hub over HTTP:
 * region East holds CityA with S001 and S003 directly in the region; region West holds CityB with
 * S002. Operators log in as a browser does and are held to their scope in every admin route;
 * the admin token and unscoped operators see everything.
 */

const seedId = (i: number) => `MSEED${String(i).padStart(8, '0')}`;
const seedPhone = (i: number) => `+86${13900000000 + i}`;
const seedMemberCode = (i: number) => `1${String(i).padStart(17, '0')}`;
const S001_ONLY = seedId(1);
const S002_ONLY = seedId(101);
/** Home S001, bought at S002 too (beforeAll). */
const BOTH = seedId(3);

let hub: HubProcess;
let edge2: EdgeProcess;
const dirs: string[] = [];
const admin = () => adminClient(hub);
/** A member registered at S002's till (One-ID holds them as `pos:<id>`), and a CRM record of S001 (home store S001). */
let registeredAtS002: string;
let crmGoldenOfS001: string;

/** A browser of one operator (cookie and CSRF token). */
class Browser extends OperatorSession {
  constructor() {
    super(hub.url);
  }
}

let named = 0;
/** An operator of `role` with `scope` (added with the admin token, or by `by`), logged in with a password of their own. */
const operator = (role: string, scope?: string, by?: Browser) => newOperator(hub, `${role.replace(/_/g, '-')}-${++named}`, role, { scope, session: new Browser(), by });

const ids = (rows: any[], key = 'id') => rows.map((r) => r[key]).sort();
const storesOfTree = (tree: any) => tree.regions.flatMap((r: any) => [...r.stores, ...r.cities.flatMap((c: any) => c.stores)].map((s: any) => s.storeId)).sort();

beforeAll(async () => {
  const dir = tempDir('memberedge-hub-scope-');
  dirs.push(dir);
  hub = await startHub(dir, await freePort(), ['--login-rate', '600', '--login-burst', '200']);
  await hubCliOk(hub, ['org', 'city', 'add', 'CityA', '--region', 'East']);
  await hubCliOk(hub, ['org', 'city', 'add', 'CityB', '--region', 'West']);
  const s1 = await enrollStore(hub, 'S001', { members: 10 });
  const s2 = await enrollStore(hub, 'S002', { members: 10, first: 100 });
  dirs.push(s1.dir, s2.dir);
  await hubCliOk(hub, ['store', 'move', 'S001', '--city', 'CityA']);
  expect((await admin().post('/stores/S002/move', { city: 'cityb' })).body.store).toMatchObject({ id: 'S002', city: 'CityB', region: 'West' });
  expect((await admin().post('/stores', { id: 'S003', name: 'East, no city', region: 'east' })).body.store).toMatchObject({ region: 'East' }); // spelled as the tree has it

  // An incident at each store: a document its node may not write, refused at the gateway.
  for (const s of [s1, s2]) {
    const creds = JSON.parse(readFileSync(join(s.dir, 'hub.json'), 'utf8')) as { username: string; password: string; db: string };
    await fetch(`${hub.url}/couch/${creds.db}/_bulk_docs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` },
      body: JSON.stringify({ docs: [{ _id: 'tpl:FORGED', type: 'tpl' }] }),
    });
  }
  await eventually(async () => ((await admin().get('/incidents')).body.incidents.length >= 2 ? true : undefined), 15_000, 'two incidents');

  // S001's member buys at S002; a member registers at S002's till.
  edge2 = await startEdge(s2.dir, ['--heartbeat-interval', '1']);
  const pos = client(edge2.url, s2.token);
  await eventually(async () => ((await pos.post('/v1/members/identify', { phone: seedPhone(3) })).status === 200 ? true : undefined), 20_000, 'S001 member found through the hub');
  expect((await pos.post('/v1/checkouts', { receiptNo: 'BOTH1', memberId: BOTH, lines: [{ sku: 'TEA', qty: 1, unitPrice: 5000 }] })).status).toBe(201);
  const reg = await pos.post('/v1/members', { phone: '+8613811110002', name: 'Wu Fang' });
  expect(reg.status, JSON.stringify(reg.body)).toBe(201);
  registeredAtS002 = reg.body.member.id;
  await eventually(async () => ((await admin().get(`/members/${BOTH}`)).body.facts?.some((f: any) => f.type === 'order' && f.storeId === 'S002') ? true : undefined), 20_000, 'the S002 receipt at the hub');
  await eventually(async () => ((await admin().get(`/identity/members/${registeredAtS002}`)).status === 200 ? true : undefined), 20_000, 'the S002 registration in One-ID');
  const crm = await admin().post('/identity/records', { id: 'crm:SCOPE1', source: 'crm', observedAt: new Date().toISOString(), identities: { phone: '+8613811110001' }, profile: { name: 'Zhao Lei', homeStoreId: 'S001' } });
  expect(crm.status, JSON.stringify(crm.body)).toBe(201);
  crmGoldenOfS001 = crm.body.memberId;
}, 180_000);

afterAll(async () => {
  await edge2?.stop();
  await hub?.stop();
  dirs.forEach(removeDir);
});

describe('the org tree', () => {
  it('hub org prints regions, cities and stores; the token sees the whole tree', async () => {
    const printed = (await hubCliOk(hub, ['org'])).stdout.trim().split('\n');
    expect(printed).toEqual(['region:East', '  city:CityA', '    store:S001  Store S001', '  store:S003  East, no city', 'region:West', '  city:CityB', '    store:S002  Store S002']);
    const tree = (await admin().get('/org')).body;
    expect(tree.scope).toBeNull();
    expect(storesOfTree(tree)).toEqual(['S001', 'S002', 'S003']);
    expect(ids((await admin().get('/fleet')).body.stores, 'storeId')).toEqual(['S001', 'S002', 'S003']);
    expect((await admin().get('/fleet')).body.stores.find((s: any) => s.storeId === 'S001')).toMatchObject({ region: 'East', city: 'CityA' });
  });

  it('refuses bad names, unknown cities, a city twice and scopes that name no node; nothing is written', async () => {
    for (const name of ['__proto__', 'constructor', 'a:b', 'x\u202Ey', '']) {
      const res = await admin().post('/org/cities', { name, region: 'East' });
      expect(res.status, name).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
    expect((await admin().post('/org/cities', { name: 'citya', region: 'West' })).body.error.code).toBe('city_exists');
    expect((await admin().post('/stores/S003/move', { city: 'Atlantis' })).body.error).toMatchObject({ code: 'validation_failed', field: 'city' });
    expect((await admin().post('/stores/S003/move', { city: 'CityA', region: 'East' })).body.error.code).toBe('validation_failed');
    expect((await admin().post('/stores', { id: 'S009', name: 'Nowhere', city: 'Atlantis' })).body.error.code).toBe('validation_failed');
    expect((await admin().post('/stores/S404/move', { region: 'East' })).body.error.code).toBe('store_not_found');
    for (const scope of ['store:S404', 'region:North', 'city:Atlantis', 'planet:Mars', 'region:__proto__']) {
      const res = await admin().post('/operators', { name: 'nowhere-op', role: 'analyst', scope });
      expect(res.status, scope).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'validation_failed', field: 'scope' });
    }
    const cli = await runTool('hub', ['operator', 'add', 'nowhere-op', '--role', 'analyst', '--scope', 'store:S404', '--hub', hub.url, '--data', hub.dir]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('validation_failed');
    expect((await admin().get('/operators')).body.operators.map((o: any) => o.name)).not.toContain('nowhere-op');
    expect(storesOfTree((await admin().get('/org')).body)).toEqual(['S001', 'S002', 'S003']);
    expect((await hubCliOk(hub, ['org'])).stdout).not.toContain('S009');
    // A scope is stored as the tree spells it.
    const added = await hubCliOk(hub, ['operator', 'add', 'west-lower', '--role', 'analyst', '--scope', 'region:west']);
    expect(lastLine(added.stdout).length).toBeGreaterThan(9);
    expect((await admin().get('/operators')).body.operators.find((o: any) => o.name === 'west-lower').scope).toBe('region:West');
  });
});

describe('a store manager of S002', () => {
  let m: Browser;
  beforeAll(async () => {
    m = await operator('store_manager', 'store:S002');
  });

  it('cannot read an S001-only member by URL: 404 member_not_found, as for an id that does not exist', async () => {
    const hidden = await m.get(`/members/${S001_ONLY}`);
    const missing = await m.get('/members/NOSUCH0001');
    expect(hidden.status).toBe(404);
    expect(hidden.body.error.code).toBe('member_not_found');
    expect(hidden.body.error.message.replace(S001_ONLY, 'ID')).toBe(missing.body.error.message.replace('NOSUCH0001', 'ID'));
    expect(JSON.stringify(hidden.body)).not.toMatch(/S001|balance/);
    expect((await admin().get(`/members/${S001_ONLY}`)).status).toBe(200); // it exists
    expect((await m.get(`/members/${S002_ONLY}`)).status).toBe(200);
  });

  it('has no One-ID permission (403), whatever the member', async () => {
    for (const id of [S001_ONLY, registeredAtS002]) {
      const res = await m.get(`/identity/members/${id}`);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    }
  });

  it('sees only S002 in /stores, /fleet, /incidents and /org', async () => {
    expect(ids((await m.get('/stores')).body.stores)).toEqual(['S002']);
    expect(ids((await m.get('/fleet')).body.stores, 'storeId')).toEqual(['S002']);
    const incidents = (await m.get('/incidents')).body.incidents;
    expect(incidents.length).toBeGreaterThan(0);
    expect(incidents.every((i: any) => i.stores.includes('S002'))).toBe(true);
    expect((await m.get('/incidents?store=S001')).body.incidents).toEqual([]);
    expect((await admin().get('/incidents?store=S001')).body.incidents.length).toBeGreaterThan(0);
    const tree = (await m.get('/org')).body;
    expect(tree).toEqual({ scope: 'store:S002', regions: [{ id: 'region:West', name: 'West', stores: [], cities: [{ id: 'city:CityB', name: 'CityB', stores: [{ id: 'store:S002', storeId: 'S002', name: 'Store S002' }] }] }] });
  });

  it('cannot disable S001 or issue coupons (its role lacks both: 403), and nothing is written', async () => {
    expect((await m.post('/stores/S001/disable')).body.error.code).toBe('forbidden');
    expect((await m.post('/coupons', { memberId: S001_ONLY, templateId: 'CASH20' })).body.error.code).toBe('forbidden');
    expect((await admin().get('/stores')).body.stores.find((s: any) => s.id === 'S001').disabled).toBe(false);
  });
});

describe('scoped by region', () => {
  it('an analyst of region:East sees S001 and S003, their members, and nothing of S002', async () => {
    const a = await operator('analyst', 'region:East');
    expect(ids((await a.get('/stores')).body.stores)).toEqual(['S001', 'S003']);
    expect(ids((await a.get('/fleet')).body.stores, 'storeId')).toEqual(['S001', 'S003']);
    expect((await a.get('/incidents')).body.incidents.every((i: any) => i.stores.includes('S001'))).toBe(true);
    expect(storesOfTree((await a.get('/org')).body)).toEqual(['S001', 'S003']);
    expect((await a.get(`/members/${S001_ONLY}`)).status).toBe(200);
    expect((await a.get(`/members/${S002_ONLY}`)).body.error.code).toBe('member_not_found');
    // One-ID: a golden member whose home store is in scope is shown; one of S002's till is not found.
    expect((await a.get(`/identity/members/${crmGoldenOfS001}`)).status).toBe(200);
    expect((await a.get(`/identity/members/${registeredAtS002}`)).body.error.code).toBe('member_not_found');
  });

  it('an analyst of region:West: the S001-only member is not found by the identity endpoint either; One-ID lists and figures are refused', async () => {
    const a = await operator('analyst', 'region:West');
    for (const id of [crmGoldenOfS001, S001_ONLY, 'NOSUCH0001']) {
      const res = await a.get(`/identity/members/${id}`);
      expect(res.status, id).toBe(404);
      expect(res.body.error).toEqual({ code: 'member_not_found', message: `no golden member ${id}` });
    }
    expect((await a.get(`/identity/members/${registeredAtS002}`)).body.member.records).toContain(`pos:${registeredAtS002}`);
    for (const path of ['/identity/metrics', '/identity/suggestions', '/identity/quarantine', '/identity/records/crm:SCOPE1']) {
      const res = await a.get(path);
      expect(res.status, path).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
      expect(res.body.error.message).toContain('region:West');
    }
  });
});

describe('a member who bought at both stores', () => {
  it('is visible to both stores; each sees only its own store of the member', async () => {
    const s1 = await operator('store_manager', 'store:S001');
    const s2 = await operator('store_manager', 'store:S002');
    const all = (await admin().get(`/members/${BOTH}`)).body;
    expect(all.stores.sort()).toEqual(['S001', 'S002']);
    for (const [b, store] of [[s1, 'S001'], [s2, 'S002']] as const) {
      const seen = await b.get(`/members/${BOTH}`);
      expect(seen.status).toBe(200);
      expect(seen.body.member.points.balance).toBe(all.member.points.balance); // the balance is the member's
      expect(seen.body.stores).toEqual([store]);
      expect(seen.body.facts.length).toBeGreaterThan(0);
      expect(seen.body.facts.every((f: any) => f.storeId === store || f.storeId === null)).toBe(true);
    }
    expect(all.facts.some((f: any) => f.storeId === 'S001') && all.facts.some((f: any) => f.storeId === 'S002')).toBe(true);
  });
});

describe('path and id tampering across scopes: refused with a stable code, nothing written', () => {
  it('a field engineer of store:S002 cannot touch S001 (404 store_not_found) nor move anything out of their scope (403)', async () => {
    const fe = await operator('field_engineer', 'store:S002');
    expect(ids((await fe.get('/fleet')).body.stores, 'storeId')).toEqual(['S002']);
    const before = (await admin().get('/stores')).body.stores;
    const notFound: [string, string, unknown?][] = [
      ['POST', '/stores/S001/disable'],
      ['POST', '/stores/s001/disable'],
      ['POST', '/stores/S003/enable'],
      ['POST', '/stores/S001/codes'],
      ['POST', '/stores/S001/move', { city: 'CityB' }],
      ['POST', '/stores/S001/bundle'],
      ['GET', '/stores/S001/bundle'],
      ['POST', '/stores/S404/disable'],
      ['POST', '/stores/..%2FS001/disable'],
    ];
    for (const [method, path, body] of notFound) {
      const res = await fe.call(method, `/admin/v1${path}`, method === 'GET' ? undefined : (body ?? {}));
      expect(res.status, path).toBe(404);
      expect(res.body.error.code, path).toBe('store_not_found');
    }
    const forbidden: [string, unknown][] = [
      ['/stores/S002/move', { city: 'CityA' }],
      ['/stores/S002/move', { region: 'West' }], // out of the store's city: above a store scope
      ['/stores', { id: 'S004', name: 'Sneaky', city: 'CityB' }],
      ['/org/cities', { name: 'CityC', region: 'West' }],
    ];
    for (const [path, body] of forbidden) {
      const res = await fe.post(path, body);
      expect(res.status, path).toBe(403);
      expect(res.body.error.code, path).toBe('forbidden');
    }
    expect((await admin().get('/stores')).body.stores).toEqual(before);
    expect(storesOfTree((await admin().get('/org')).body)).toEqual(['S001', 'S002', 'S003']);
    expect((await admin().get('/org')).body.regions.flatMap((r: any) => r.cities.map((c: any) => c.name))).toEqual(['CityA', 'CityB']);
    // Their own store they may work on.
    expect((await fe.post('/stores/S002/codes')).status).toBe(201);
  });

  it('a marketer of store:S002 cannot issue a coupon to an S001 member (404, nothing written); to an S002 member they can', async () => {
    const mk = await operator('marketer', 'store:S002');
    const factsBefore = (await admin().get(`/members/${S001_ONLY}`)).body.facts;
    const res = await mk.post('/coupons', { memberId: S001_ONLY, templateId: 'CASH20', code: 'SCOPE-TAMPER-1' });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('member_not_found');
    expect((await admin().get(`/members/${S001_ONLY}`)).body.facts).toEqual(factsBefore);
    expect((await admin().get(`/members/${S001_ONLY}`)).body.member.coupons.map((c: any) => c.code)).not.toContain('SCOPE-TAMPER-1');
    expect((await mk.post('/coupons', { memberId: S002_ONLY, templateId: 'CASH20' })).status).toBe(201);
  });

  it('an admin of region:West manages only operators within West, and cannot grant more than West', async () => {
    const westAdmin = await operator('admin', 'region:West');
    for (const body of [{ name: 'too-wide', role: 'analyst', scope: 'region:East' }, { name: 'too-wide', role: 'analyst' }]) {
      const res = await westAdmin.post('/operators', body);
      expect(res.status, JSON.stringify(body)).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    }
    expect((await admin().get('/operators')).body.operators.map((o: any) => o.name)).not.toContain('too-wide');
    // One-ID writes are HQ's, even for an admin: refused before anything is read or written.
    const quarantined = (await admin().get('/identity/quarantine')).body.keys;
    for (const [path, body] of [['/identity/quarantine', { key: 'phone:+8613811110001' }], ['/imports', { source: 'crm', path: '/etc/hostname' }], ['/identity/suggestions/accept', { a: S001_ONLY, b: S002_ONLY }]] as const) {
      const refused = await westAdmin.post(path, body);
      expect(refused.status, path).toBe(403);
      expect(refused.body.error.code, path).toBe('forbidden');
    }
    expect((await admin().get('/identity/quarantine')).body.keys).toEqual(quarantined);
    await operator('store_manager', 'city:CityB', westAdmin);
    const listed = (await westAdmin.get('/operators')).body.operators;
    expect(listed.length).toBeGreaterThan(1);
    expect(listed.every((o: any) => ['region:West', 'city:CityB', 'store:S002'].includes(o.scope))).toBe(true);
    const res = await westAdmin.post('/operators/admin/disable');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('operator_not_found');
    expect((await admin().get('/operators')).body.operators.find((o: any) => o.name === 'admin').disabled).toBe(false);
  });
});

describe('the console pages go through the same scope', () => {
  const page = async (b: Browser, path: string) => {
    const res = await fetch(hub.url + path, { headers: { cookie: `memberedge_session=${b.cookie}` }, redirect: 'manual' });
    return { status: res.status, html: await res.text(), location: res.headers.get('location') };
  };

  it('a store manager of S002: an S001 member is not found, by id or by phone; their own is shown; incidents are S002\'s', async () => {
    const m = await operator('store_manager', 'store:S002');
    expect((await page(m, `/console/members/${S001_ONLY}`)).status).toBe(404);
    expect((await page(m, `/console/members?q=${encodeURIComponent(seedPhone(1))}`)).status).toBe(404);
    expect((await page(m, `/console/members/${S002_ONLY}`)).status).toBe(200);
    expect((await page(m, `/console/members?q=${encodeURIComponent(seedPhone(101))}`)).location).toContain(S002_ONLY);
    // "Card" is what is on the member's card: its member code too, typed or scanned as a QR link.
    expect((await page(m, `/console/members?q=${seedMemberCode(101)}&by=card`)).location).toContain(S002_ONLY);
    expect((await page(m, `/console/members?q=${encodeURIComponent(`https://m.example.cn/card?code=${seedMemberCode(101)}`)}`)).location).toContain(S002_ONLY);
    expect((await page(m, `/console/members?q=${seedMemberCode(1)}&by=card`)).status).toBe(404);
    expect((await page(m, `/console/members?q=${encodeURIComponent(seedPhone(101))}&by=card`)).status).toBe(404);
    const both = await page(m, `/console/members/${BOTH}`);
    expect(both.status).toBe(200);
    expect(both.html).not.toContain('S001:T1'); // the S001 receipts of a member who bought at both
    const incidents = await page(m, '/console/incidents');
    expect(incidents.status).toBe(200);
    expect(incidents.html).not.toContain('store S001');
  });

  it('search by name: the start of a name in any case and spacing; only members in scope, masked unless the role reveals them', async () => {
    // Registered at S002 as "Wu Fang"; typed as HQ might type it.
    const hq = await admin().get(`/members?name=${encodeURIComponent('  wU  fa')}`);
    expect(hq.status).toBe(200);
    expect(hq.body.members).toContainEqual({ id: registeredAtS002, name: 'Wu Fang', phone: '+8613811110002', registeredStoreId: 'S002' });
    const m = await operator('store_manager', 'store:S002');
    const masked = (await m.get(`/members?name=${encodeURIComponent('Wu Fang')}`)).body.members;
    expect(masked).toContainEqual({ id: registeredAtS002, name: expect.stringMatching(/^W\*+$/), phone: '138****0002', registeredStoreId: 'S002' });
    // An S001-only member's full name finds them for HQ, never for S002's manager (by the API or the page).
    const name = (await admin().get(`/members/${S001_ONLY}`)).body.member.name as string; // seeded names are random
    expect((await admin().get(`/members?name=${encodeURIComponent(name)}&limit=100`)).body.members.map((x: any) => x.id)).toContain(S001_ONLY);
    expect((await m.get(`/members?name=${encodeURIComponent(name)}&limit=100`)).body.members.map((x: any) => x.id)).not.toContain(S001_ONLY);
    const listed = await page(m, `/console/members?q=${encodeURIComponent(name)}&by=name`);
    expect(listed.html).not.toContain(S001_ONLY);
    // One member found opens at once; bad queries are refused with a stable code.
    const one = await page(m, `/console/members?q=${encodeURIComponent('wu fang')}`);
    expect([one.status, one.location]).toEqual([303, `/console/members/${registeredAtS002}`]);
    for (const q of ['', 'name=', `name=${'x'.repeat(81)}`, 'name=a&limit=0', 'name=a&extra=1']) expect((await admin().get(`/members?${q}`)).body.error?.code, q).toBe('validation_failed');
  });

  it('a field engineer of S002 lists only S002 and cannot disable S001 from a form', async () => {
    const fe = await operator('field_engineer', 'store:S002');
    const stores = await page(fe, '/console/stores');
    expect(stores.status).toBe(200);
    expect(stores.html).toContain('S002');
    expect(stores.html).not.toContain('S001');
    const res = await fetch(`${hub.url}/console/stores/S001/disable`, { method: 'POST', headers: { cookie: `memberedge_session=${fe.cookie}`, 'content-type': 'application/x-www-form-urlencoded' }, body: `_csrf=${encodeURIComponent(fe.csrf!)}`, redirect: 'manual' });
    expect(res.status).toBe(404);
    expect((await admin().get('/stores')).body.stores.find((s: any) => s.id === 'S001').disabled).toBe(false);
  });
});

describe('no scope', () => {
  it('the admin token and an unscoped admin see every store, member and incident', async () => {
    const unscoped = await operator('admin');
    for (const who of [unscoped, null]) {
      const get = (p: string) => (who ? who.get(p) : admin().get(p));
      expect(ids((await get('/stores')).body.stores)).toEqual(['S001', 'S002', 'S003']);
      expect(ids((await get('/fleet')).body.stores, 'storeId')).toEqual(['S001', 'S002', 'S003']);
      for (const id of [S001_ONLY, S002_ONLY, BOTH]) expect((await get(`/members/${id}`)).status, id).toBe(200);
      for (const id of [crmGoldenOfS001, registeredAtS002]) expect((await get(`/identity/members/${id}`)).status, id).toBe(200);
      expect(new Set((await get('/incidents')).body.incidents.flatMap((i: any) => i.stores))).toEqual(new Set(['S001', 'S002']));
      expect((await get('/identity/metrics')).status).toBe(200);
    }
  });
});
