import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INCIDENT_KINDS } from '../../hub/incidents.ts';
import { removeDir, runTool, tempDir } from '../support/edge-node.ts';
import { adminClient, freePort, hubCliOk, startHub, type HubProcess } from '../support/hub.ts';

/*
 * The hub's admin API and store credentials: Authorization schemes in any case (RFC 9110), and
 * every query parameter validated (a filter that matches nothing because it is misspelt is a
 * 400 naming the field and the allowed values, not an empty list).
 */

let hub: HubProcess;
let adminToken: string;
let store: { username: string; password: string; db: string };
const dirs: string[] = [];

beforeAll(async () => {
  const dir = tempDir('memberedge-hub-');
  dirs.push(dir);
  hub = await startHub(dir, await freePort());
  adminToken = readFileSync(join(dir, 'admin-token'), 'utf8').trim();
  const added = await adminClient(hub).post('/stores', { id: 'S041', name: 'Forty-one' });
  const res = await fetch(`${hub.url}/v1/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: added.body.enrollment.code, nodeId: randomBytes(16).toString('hex') }) });
  const body = (await res.json()) as { store: { db: string }; credentials: { username: string; password: string } };
  store = { ...body.credentials, db: body.store.db };
});
afterAll(async () => {
  await hub?.stop();
  dirs.forEach(removeDir);
});

const get = async (path: string, authorization: string) => {
  const res = await fetch(hub.url + path, { headers: { authorization } });
  return { status: res.status, body: (await res.json()) as any };
};

describe('authorization schemes', () => {
  it('the admin API takes Bearer in any case, with spaces around the token', async () => {
    for (const h of [`Bearer ${adminToken}`, `bearer ${adminToken}`, `BEARER  ${adminToken} `, `bEaReR\t${adminToken}`]) {
      expect((await get('/admin/v1/stores', h)).status, h).toBe(200);
    }
    for (const h of [`Token ${adminToken}`, `Bearer${adminToken}`, 'bearer ', `Basic ${adminToken}`, `bearer ${adminToken}x`]) {
      const res = await get('/admin/v1/stores', h);
      expect(res.status, h).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
    }
  });

  it("a store's Basic credentials work in any case, at the store API and the replication gateway", async () => {
    const b64 = Buffer.from(`${store.username}:${store.password}`).toString('base64');
    for (const h of [`Basic ${b64}`, `basic ${b64}`, `BASIC   ${b64}  `]) {
      expect((await get(`/couch/${store.db}/`, h)).status, h).toBe(200);
      const lookup = await fetch(`${hub.url}/v1/lookup`, { method: 'POST', headers: { authorization: h, 'content-type': 'application/json' }, body: JSON.stringify({ phone: '13800138000' }) });
      expect(lookup.status, h).toBe(404); // past the check: nobody has that phone
    }
    const wrong = Buffer.from(`${store.username}:${store.password}x`).toString('base64');
    for (const h of [`basic ${wrong}`, `Bearer ${b64}`, `Basic${b64}`]) expect((await get(`/couch/${store.db}/`, h)).status, h).toBe(401);
  });
});

describe('admin query parameters', () => {
  const admin = () => adminClient(hub);

  it('incidents: status, kind and store are checked, naming the field and the allowed values', async () => {
    expect((await admin().get('/incidents')).status).toBe(200);
    expect((await admin().get(`/incidents?status=open&kind=${INCIDENT_KINDS[0]}&store=S041`)).status).toBe(200);
    const status = await admin().get('/incidents?status=bogus');
    expect(status.status).toBe(400);
    expect(status.body.error).toMatchObject({ code: 'validation_failed', field: 'status', allowed: ['open', 'resolved', 'withdrawn'] });
    expect(status.body.error.message).toMatch(/status.*open.*resolved/);
    const kind = await admin().get('/incidents?kind=double');
    expect(kind.body.error).toMatchObject({ code: 'validation_failed', field: 'kind', allowed: [...INCIDENT_KINDS] });
    for (const [q, field] of [
      ['store=../x', 'store'],
      ['store=', 'store'],
      ['status=', 'status'],
      ['stauts=open', 'stauts'],
      ['__proto__=x', '__proto__'],
      ['status=open&status=resolved', 'status'],
    ] as const) {
      const res = await admin().get(`/incidents?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body.error, q).toMatchObject({ code: 'validation_failed', field });
    }
  });

  it('identity suggestions: limit is a whole number from 1 to 1000', async () => {
    expect((await admin().get('/identity/suggestions')).status).toBe(200);
    expect((await admin().get('/identity/suggestions?limit=5')).status).toBe(200);
    for (const limit of ['0', '1001', 'abc', '2.5', '-1', '', '1e3']) {
      const res = await admin().get(`/identity/suggestions?limit=${encodeURIComponent(limit)}`);
      expect(res.status, limit).toBe(400);
      expect(res.body.error, limit).toMatchObject({ code: 'validation_failed', field: 'limit' });
    }
  });

  it('the CLI prints the refusal and exits 1', async () => {
    const bogus = await runTool('hub', ['incidents', '--status', 'bogus', '--hub', hub.url, '--data', hub.dir]);
    expect(bogus.code).toBe(1);
    expect(bogus.stderr).toMatch(/status: .*"open".*"resolved".*validation_failed/);
    const kind = await runTool('hub', ['incidents', '--kind', 'nope', '--hub', hub.url, '--data', hub.dir]);
    expect(kind.code).toBe(1);
    expect(kind.stderr).toContain('coupon_double_redeem');
    expect(JSON.parse((await hubCliOk(hub, ['incidents', '--status', 'open', '--kind', 'overspend'])).stdout)).toEqual([]);
  });
});

describe('hub serve on a port in use', () => {
  it('exits 1 with one clear line before starting its database, and the first hub still serves', async () => {
    const dir = tempDir('memberedge-hub2-');
    dirs.push(dir);
    const port = new URL(hub.url).port;
    const r = await runTool('hub', ['serve', '--data', dir, '--port', port, '--host', '127.0.0.1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`port ${port} on 127.0.0.1 is in use (another hub serve?); choose another with --port`);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(readdirSync(dir)).toEqual([]); // no database, no admin token: nothing was started
    expect((await fetch(`${hub.url}/healthz`)).status).toBe(200);
  });
});

describe('hub serve options', () => {
  it('refuses a status interval it cannot keep (under 0.1 s, or no number) before it starts anything', async () => {
    const dir = tempDir('memberedge-hub2-');
    dirs.push(dir);
    for (const [value, message] of [['0.01', '--status-interval must be at least 0.1 (seconds)'], ['often', '--status-interval must be a non-negative number']]) {
      const r = await runTool('hub', ['serve', '--data', dir, '--port', '0', '--status-interval', value!]);
      expect(r.code, value).toBe(2);
      expect(r.stderr).toContain(message);
      expect(readdirSync(dir)).toEqual([]);
    }
  });
});
