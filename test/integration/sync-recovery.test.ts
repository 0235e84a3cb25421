import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { client, edgeCli, removeDir, startEdge, tempDir, type EdgeProcess } from '../support/edge-node.ts';
import { adminClient, enrollStore, eventually, freePort, hubCliOk, startHub, type HubProcess } from '../support/hub.ts';

/*
 * Replication recovers by itself from whatever the hub answers, and every status tells the truth
 * meanwhile: a store disabled then enabled at the hub (401s for a while) and the hub's database
 * crashing. No restart of the node in between.
 */

const seedId = (i: number) => `MSEED${String(i).padStart(8, '0')}`;

let hub: HubProcess;
let edge: EdgeProcess;
let store: { dir: string; token: string };
let creds: { username: string; password: string; db: string };
const dirs: string[] = [];

type Sync = { state: string; lastError: string | null; pendingUp: number; lastPushAt: string | null };
const health = async () => ((await (await fetch(`${edge.url}/healthz`)).json()) as { sync: Sync }).sync;
const fleetRow = async () => ((await adminClient(hub).get('/fleet')).body.stores as any[]).find((s) => s.storeId === 'S001');
/** A document as the hub holds it, read through the gateway with the store's own credentials. */
const atHub = async (id: string) => {
  const res = await fetch(`${hub.url}/couch/${creds.db}/${encodeURIComponent(id)}`, { headers: { authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` } });
  return res.status === 200 ? ((await res.json()) as { _id: string }) : undefined;
};

beforeAll(async () => {
  const hubDir = tempDir('memberedge-hub-');
  dirs.push(hubDir);
  hub = await startHub(hubDir, await freePort());
  store = await enrollStore(hub, 'S001', { members: 5 });
  dirs.push(store.dir);
  creds = JSON.parse(readFileSync(join(store.dir, 'hub.json'), 'utf8'));
  edge = await startEdge(store.dir, ['--heartbeat-interval', '1']);
  await eventually(async () => ((await health()).state === 'online' ? true : undefined), 20_000, 'the node online');
});
afterAll(async () => {
  if (edge && edge.child.exitCode !== null) console.log(`edge died:\n${edge.output()}`);
  await edge?.stop();
  await hub?.stop();
  dirs.forEach(removeDir);
});

it('a store disabled then enabled: offline with the reason everywhere meanwhile, then its checkout reaches the hub without a restart', async () => {
  const pos = client(edge.url, store.token);
  await hubCliOk(hub, ['store', 'disable', 'S001']);

  const offline = await eventually(async () => {
    const s = await health();
    return s.state === 'offline' && /^push: unauthorized/.test(s.lastError ?? '') ? s : undefined;
  }, 20_000, '/healthz offline with the reason');
  expect(offline.lastError).toMatch(/^push: unauthorized/);

  const sold = await pos.post('/v1/checkouts', { receiptNo: 'WHILE-DISABLED', memberId: seedId(0), lines: [{ sku: 'A', qty: 1, unitPrice: 10_000 }] });
  expect(sold.status).toBe(201);
  const orderId = `order:${sold.body.checkout.id}`;
  await eventually(async () => ((await health()).pendingUp > 0 ? true : undefined), 5000, 'the checkout pending');

  // doctor reads the status file the node keeps current: offline, and why.
  const doc = await eventually(async () => {
    const r = await edgeCli(['doctor', '--data', store.dir]);
    return /FAIL +replication: offline \(push: unauthorized/.test(r.stdout) ? r : undefined;
  }, 10_000, 'doctor says offline');
  expect(doc.code).toBe(1);
  expect(doc.stdout).toMatch(/FAIL +credentials: hub answered 401/);
  expect(doc.stdout).not.toMatch(/last push never/);

  const row = await eventually(async () => {
    const r = await fleetRow();
    return r?.lastRefusal ? r : undefined;
  }, 10_000, 'the fleet row shows the refusal');
  expect(row.state).toBe('disabled');
  expect(row.lastRefusal).toMatchObject({ status: 401, code: 'unauthorized', reason: 'the store is disabled' });
  const cliRow = (JSON.parse((await hubCliOk(hub, ['fleet'])).stdout) as any[]).find((s) => s.storeId === 'S001');
  expect(cliRow).toMatchObject({ state: 'disabled', stateReason: expect.stringContaining('disabled'), lastRefusal: { reason: 'the store is disabled' } });
  expect(await atHub(orderId)).toBeUndefined();

  await hubCliOk(hub, ['store', 'enable', 'S001']);
  // The 401 back-off starts at 5 s and doubles: well within a minute after a short outage.
  expect((await eventually(() => atHub(orderId), 60_000, 'the checkout at the hub'))._id).toBe(orderId);
  const back = await eventually(async () => {
    const s = await health();
    return s.state === 'online' && s.pendingUp === 0 ? s : undefined;
  }, 30_000, '/healthz online again');
  expect(back.lastError).toBeNull();
  // Online stays online while the node keeps pushing its heartbeat (every second here): a live
  // replication moving new documents is not "catching up".
  for (let i = 0; i < 10; i++) {
    expect((await health()).state).toBe('online');
    await new Promise((r) => setTimeout(r, 300));
  }
  const fleet = await eventually(async () => {
    const r = await fleetRow();
    return r?.state === 'online' ? r : undefined;
  }, 20_000, 'the fleet row online again');
  expect(fleet.stateReason).toBeNull();
  let lastDoctor = '';
  const ok = await eventually(async () => {
    const r = await edgeCli(['doctor', '--data', store.dir]);
    lastDoctor = r.stdout + r.stderr;
    return r.code === 0 ? r : undefined;
  }, 30_000, 'doctor content again').catch((err: Error) => {
    throw new Error(`${err.message}; it said:\n${lastDoctor}`);
  });
  expect(ok.stdout).toMatch(/ok +replication: online/);
  expect(edge.output()).not.toMatch(/unhandled rejection|toLowerCase is not a function/);
}, 180_000);

it("the hub's database crashes: the node rides it out and its checkout reaches the hub without a restart", async () => {
  const pos = client(edge.url, store.token);
  // The embedded database is the hub's child process (started by this test's hub): kill it as a crash would.
  const pid = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(hub.child.pid)], { encoding: 'utf8' })
    .split('\n')
    .find((l) => l.includes('pouchdb-server-child'))
    ?.trim()
    .split(/\s+/)[0];
  expect(pid).toMatch(/^\d+$/);
  process.kill(Number(pid), 'SIGKILL');
  const sold = await pos.post('/v1/checkouts', { receiptNo: 'WHILE-DB-DOWN', memberId: seedId(1), lines: [{ sku: 'B', qty: 2, unitPrice: 5_000 }] });
  expect(sold.status).toBe(201);
  const orderId = `order:${sold.body.checkout.id}`;
  expect((await eventually(() => atHub(orderId), 60_000, 'the checkout at the hub'))._id).toBe(orderId);
  await eventually(async () => {
    const s = await health();
    return s.state === 'online' && s.pendingUp === 0 ? s : undefined;
  }, 30_000, '/healthz online again');
  expect(hub.output()).toMatch(/embedded couch exited; restarting/);
}, 120_000);

it('doctor reads the status /healthz shows, not the one of the last heartbeat (default interval, 30 s)', async () => {
  const other = await enrollStore(hub, 'S002', { members: 2, first: 100 });
  dirs.push(other.dir);
  const node = await startEdge(other.dir);
  try {
    const status = async () => ((await (await fetch(`${node.url}/healthz`)).json()) as { sync: Sync }).sync;
    const first = await eventually(async () => {
      const s = await status();
      return s.state === 'online' && s.lastPushAt ? s : undefined;
    }, 30_000, 'S002 online');
    await new Promise((r) => setTimeout(r, 1100)); // a push at another millisecond
    expect((await client(node.url, other.token).post('/v1/checkouts', { receiptNo: 'DOCTOR-1', memberId: seedId(100), lines: [{ sku: 'C', qty: 1, unitPrice: 3_000 }] })).status).toBe(201);
    const pushed = await eventually(async () => {
      const s = await status();
      return s.lastPushAt && s.lastPushAt > first.lastPushAt! && s.pendingUp === 0 ? s : undefined;
    }, 20_000, 'the checkout pushed');
    // Within a few seconds, long before the next heartbeat: doctor shows that push.
    await new Promise((r) => setTimeout(r, 1500));
    const out = await edgeCli(['doctor', '--data', other.dir]);
    const shown = /last push (\S+),/.exec(out.stdout)?.[1];
    expect(shown, out.stdout).toBeDefined();
    expect(shown! >= pushed.lastPushAt!, `${shown} < ${pushed.lastPushAt}`).toBe(true);
  } finally {
    await node.stop();
  }
}, 120_000);
