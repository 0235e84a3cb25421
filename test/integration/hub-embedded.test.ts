import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { removeDir, ROOT, spawnReady, startEdge, tempDir, type EdgeProcess, type ServiceProcess } from '../support/edge-node.ts';
import { adminClient, enrollStore, eventually, freePort } from '../support/hub.ts';

/*
 * The hub's embedded database: found again whatever the working directory and however --data
 * is written, and closed to everyone but the hub.
 */

const TSX = import.meta.resolve('tsx');
let cwd: string;
let hubDir: string;
let port: number;
let hub: ServiceProcess & { dir: string };
const dirs: string[] = [];
let edge: EdgeProcess | undefined;

/** `hub serve --data hub` run from `cwd`, a relative data dir as a person types it. */
async function startRelative(): Promise<ServiceProcess & { dir: string }> {
  const p = await spawnReady(['--import', TSX, join(ROOT, 'hub', 'cli.ts'), 'serve', '--data', 'data/hub', '--port', String(port), '--quiet', '--sweep-interval', '1'], {}, cwd);
  return { ...p, dir: hubDir };
}
const couchAddress = () => /embedded pouchdb-server on (http:\/\/127\.0\.0\.1:\d+)/.exec(hub.output())![1]!;
const password = () => (JSON.parse(readFileSync(join(hubDir, 'couch-admin.json'), 'utf8')) as { password: string }).password;

beforeAll(async () => {
  cwd = tempDir('memberedge-cwd-');
  dirs.push(cwd);
  hubDir = join(cwd, 'data', 'hub');
  port = await freePort();
  hub = await startRelative();
});
afterAll(async () => {
  await edge?.stop();
  await hub?.stop();
  dirs.forEach(removeDir);
});

it('a relative --data is the same hub after a restart, its database files under DIR/couch', async () => {
  const added = await adminClient(hub).post('/stores', { id: 'S001', name: 'Relative' });
  expect(added.status).toBe(201);
  await hub.stop();
  // A big log from an earlier run is moved aside when the database starts again.
  writeFileSync(join(hubDir, 'couch', 'log.txt'), 'x'.repeat(2 * 1024 * 1024));
  hub = await startRelative();
  const list = await adminClient(hub).get('/stores');
  expect(list.body.stores.map((s: { id: string }) => s.id)).toEqual(['S001']);
  const files = readdirSync(join(hubDir, 'couch'));
  expect(files).toEqual(expect.arrayContaining(['hub-registry', 'hub-members', 'config.json']));
  expect(existsSync(join(hubDir, 'couch', 'data'))).toBe(false);
  expect(statSync(join(hubDir, 'couch', 'log.txt.1')).size).toBe(2 * 1024 * 1024);
  expect(statSync(join(hubDir, 'couch', 'log.txt')).size).toBeLessThan(64 * 1024);
}, 120_000);

it('the embedded database refuses anyone without the hub credential; the hub and replication work', async () => {
  const address = couchAddress();
  for (const path of ['/_session', '/_all_dbs', '/hub-registry/_all_docs?include_docs=true', '/hub-members', '/_utils/', '/_config']) {
    const res = await fetch(address + path);
    expect(res.status, path).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'unauthorized' });
  }
  expect((await fetch(`${address}/hub-registry`, { method: 'DELETE' })).status).toBe(401);
  const wrong = `Basic ${Buffer.from('memberedge-hub:guess').toString('base64')}`;
  expect((await fetch(`${address}/_all_dbs`, { headers: { authorization: wrong } })).status).toBe(401);
  // With the credential it is CouchDB as before, without its web UI.
  const admin = `Basic ${Buffer.from(`memberedge-hub:${password()}`).toString('base64')}`;
  const session = (await (await fetch(`${address}/_session`, { headers: { authorization: admin } })).json()) as { userCtx: { roles: string[] } };
  expect(session.userCtx.roles).toContain('_admin');
  expect((await fetch(`${address}/_utils/`, { headers: { authorization: admin } })).status).toBe(404);

  const store = await enrollStore(hub, 'S002', { members: 3 });
  dirs.push(store.dir);
  edge = await startEdge(store.dir, ['--heartbeat-interval', '1']);
  await eventually(async () => (((await (await fetch(`${edge!.url}/healthz`)).json()) as { sync: { state: string } }).sync.state === 'online' ? true : undefined), 30_000, 'the store online');
  const fleet = await eventually(async () => {
    const rows = (await adminClient(hub).get('/fleet')).body.stores as { storeId: string; lastHeartbeatAt: string | null }[];
    return rows.find((r) => r.storeId === 'S002' && r.lastHeartbeatAt);
  }, 30_000, 'the heartbeat at the hub');
  expect(fleet).toBeDefined();

  expect(statSync(join(hubDir, 'couch-admin.json')).mode & 0o777).toBe(0o600);
  expect(statSync(join(hubDir, 'couch')).mode & 0o777).toBe(0o700);
  // The password is in the credential file only: pouchdb-server keeps its hash, nothing logs it.
  const secret = password();
  expect(secret.length).toBeGreaterThan(30);
  expect(readFileSync(join(hubDir, 'couch', 'config.json'), 'utf8')).not.toContain(secret);
  expect(hub.output()).not.toContain(secret);
  expect(edge.output()).not.toContain(secret);
  expect(readFileSync(join(hubDir, 'couch', 'log.txt'), 'utf8')).not.toContain(secret);
}, 120_000);
