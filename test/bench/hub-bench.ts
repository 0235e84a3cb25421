import autocannon from 'autocannon';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import PouchDB from 'pouchdb-node';
import { seedMemberId } from '../../edge/seed.ts';
import { client, edgeCliOk, lastLine, removeDir, startEdge, tempDir, type EdgeProcess } from '../support/edge-node.ts';
import { adminClient, eventually, freePort, startHub, type HubProcess } from '../support/hub.ts';

/*
 * Issue 3's figures, with real processes: the hub (and its embedded pouchdb-server) and the edge
 * nodes each in their own process, bare PouchDB replications against the same embedded server
 * as the baselines, measured in the same run.
 */

const ENROLL_MEMBERS = Number(process.env.BENCH_ENROLL_MEMBERS ?? 100_000);
const OFFLINE_RECEIPTS = Number(process.env.BENCH_OFFLINE_RECEIPTS ?? 10_000);
const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 50);
const FLEET_STORES = Number(process.env.BENCH_FLEET_STORES ?? 20);
const FLEET_SECONDS = Number(process.env.BENCH_FLEET_SECONDS ?? 30);

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const secs = (t0: number) => (Date.now() - t0) / 1000;
const log = (msg: string) => console.error(`[hub bench] ${msg}`);

/** The hub's embedded database: its address, and the hub's credential (kept in the hub's data dir) to reach it. */
function couchOf(hub: HubProcess): { url: string; auth: { username: string; password: string } } {
  return { url: /embedded pouchdb-server on (\S+),/.exec(hub.output())![1]!, auth: JSON.parse(readFileSync(join(hub.dir, 'couch-admin.json'), 'utf8')) };
}
let couchAuth: { username: string; password: string } | undefined;
const authHeaders = (): Record<string, string> => (couchAuth ? { authorization: `Basic ${Buffer.from(`${couchAuth.username}:${couchAuth.password}`).toString('base64')}` } : {});

async function couchJson(url: string, init: RequestInit = {}): Promise<any> {
  return (await fetch(url, { ...init, headers: { ...authHeaders(), ...(init.headers as Record<string, string>) } })).json();
}

/** CPU seconds (user + system) and RSS of a process and its children (the hub and its database); ownCpuSeconds is the hub's alone. */
function processTree(pid: number): { cpuSeconds: number; ownCpuSeconds: number; rssMb: number } {
  // Other processes on the machine come and go while /proc is listed: one gone is not a child.
  const statOf = (p: string) => {
    try {
      return readFileSync(`/proc/${p}/stat`, 'utf8');
    } catch {
      return '';
    }
  };
  const pids = [pid, ...readdirSync('/proc').filter((d) => /^\d+$/.test(d) && statOf(d).split(') ')[1]?.split(' ')[1] === String(pid)).map(Number)];
  let ticks = 0;
  let own = 0;
  let rss = 0;
  for (const p of pids) {
    const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
    if (p === pid) own = Number(fields[11]) + Number(fields[12]);
    rss += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  }
  return { cpuSeconds: ticks / 100, ownCpuSeconds: own / 100, rssMb: rss };
}

async function addStore(hub: HubProcess, id: string, members: number, first: number) {
  const admin = adminClient(hub);
  const added = await admin.post('/stores', { id, name: `Bench ${id}` });
  if (added.status !== 201) throw new Error(JSON.stringify(added.body));
  for (let done = 0; done < members; done += 10_000) await admin.post(`/stores/${id}/seed`, { count: Math.min(10_000, members - done), first: first + done });
  return added.body.enrollment.code as string;
}

async function enrollNode(hub: HubProcess, id: string, code: string) {
  const dir = tempDir(`bench-${id}-`);
  const out = await edgeCliOk(['enroll', '--hub', hub.url, '--code', code, '--data', dir]);
  const token = lastLine(await edgeCliOk(['terminal', 'add', '--data', dir, '--id', 'T1']));
  return { dir, token, out };
}

const online = async (edge: EdgeProcess) => ((await couchJson(`${edge.url}/healthz`)).sync?.state === 'online' ? true : undefined);

export async function benchHub() {
  const hubDir = tempDir('bench-hub-');
  const port = await freePort();
  let hub = await startHub(hubDir, port);
  const { url: couch, auth } = couchOf(hub);
  couchAuth = auth;
  const cleanup: string[] = [hubDir];

  // 1. Enrolling a store with 100,000 members, against a bare pull of the same database.
  log(`seeding ${ENROLL_MEMBERS} members at S001…`);
  let t0 = Date.now();
  const code = await addStore(hub, 'S001', ENROLL_MEMBERS, 0);
  const seedSeconds = secs(t0);
  const docs = (await couchJson(`${couch}/store-s001`)).doc_count as number;
  // The hub builds the replica bundle in the background after a bulk projection: wait for the
  // one that covers everything (setup, like the seeding; reported, not part of enrollment).
  t0 = Date.now();
  await eventually(async () => ((await adminClient(hub).get('/stores/S001/bundle')).body.bundle?.docs === docs ? true : undefined), 900_000, 'the replica bundle', 1000);
  const bundleSeconds = secs(t0);
  log(`seeded in ${seedSeconds.toFixed(0)} s, bundle ready ${bundleSeconds.toFixed(0)} s later; bare PouchDB pull of ${docs} documents…`);
  const bareDir = tempDir('bench-bare-');
  cleanup.push(bareDir);
  t0 = Date.now();
  const bare = new PouchDB(join(bareDir, 'db'));
  await bare.replicate.from(new PouchDB(`${couch}/store-s001`, { auth }));
  const barePullSeconds = secs(t0);
  await bare.close();
  log(`bare pull ${barePullSeconds.toFixed(1)} s; edge enroll…`);
  t0 = Date.now();
  const s1 = await enrollNode(hub, 'S001', code);
  const enrollSeconds = secs(t0);
  cleanup.push(s1.dir);
  log(`enroll ${enrollSeconds.toFixed(1)} s`);

  // 2. Receipts made offline reach the hub's central data after reconnecting; against a bare push.
  const code2 = await addStore(hub, 'S002', 1000, 500_000);
  const s2 = await enrollNode(hub, 'S002', code2);
  cleanup.push(s2.dir);
  let edge2 = await startEdge(s2.dir, ['--identify-rate', '100000000', '--identify-burst', '100000000']);
  await eventually(() => online(edge2), 30_000, 'S002 online');
  await hub.kill();
  log(`hub down; ${OFFLINE_RECEIPTS} receipts at S002…`);
  let receipt = 0;
  await autocannon({
    url: edge2.url,
    connections: 10,
    amount: OFFLINE_RECEIPTS,
    requests: [
      {
        method: 'POST',
        path: '/v1/checkouts',
        headers: { authorization: `Bearer ${s2.token}`, 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ receiptNo: `OFF-${++receipt}`, memberId: seedMemberId(500_000 + (receipt % 1000)), lines: [{ sku: 'TEA', qty: 1, unitPrice: 3200 }] }) }),
      },
    ],
  });
  hub = await startHub(hubDir, port);
  const { url: couch2, auth: auth2 } = couchOf(hub);
  couchAuth = auth2;
  const before = (await couchJson(`${couch2}/hub-facts`)).doc_count as number;
  const catchUpA = processTree(hub.child.pid!);
  t0 = Date.now();
  // Each receipt with a member is two facts: the order and its points.
  await eventually(async () => ((await couchJson(`${couch2}/hub-facts`)).doc_count >= before + 2 * OFFLINE_RECEIPTS ? true : undefined), 300_000, 'offline receipts at the hub');
  const offlineSeconds = secs(t0);
  const catchUpB = processTree(hub.child.pid!);
  log(`offline receipts central after ${offlineSeconds.toFixed(1)} s`);
  const pushDir = tempDir('bench-push-');
  cleanup.push(pushDir);
  const src = new PouchDB(join(pushDir, 'db'));
  await src.bulkDocs(Array.from({ length: OFFLINE_RECEIPTS }, (_, i) => ({ _id: `order:BARE:T1:${i}`, type: 'order', storeId: 'BARE', lines: [{ sku: 'TEA', qty: 1, unitPriceCents: 3200 }], totalCents: 3200, at: new Date().toISOString() })));
  await fetch(`${couch2}/bare-push`, { method: 'PUT', headers: authHeaders() });
  t0 = Date.now();
  await src.replicate.to(new PouchDB(`${couch2}/bare-push`, { auth: auth2 }));
  const barePushSeconds = secs(t0);
  await src.close();
  log(`bare push ${barePushSeconds.toFixed(1)} s`);

  // 3. Online: a receipt at the store is central, a coupon issued at the hub usable at the till.
  edge2 = (await edge2.stop(), await startEdge(s2.dir, []));
  await eventually(() => online(edge2), 30_000, 'S002 online again');
  const pos = client(edge2.url, s2.token);
  const admin = adminClient(hub);
  const receiptMs: number[] = [];
  const couponMs: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const memberId = seedMemberId(500_000 + i);
    const r = await pos.post('/v1/checkouts', { receiptNo: `LAT-${i}`, memberId, lines: [{ sku: 'TEA', qty: 1, unitPrice: 3200 }] });
    if (r.status !== 201) throw new Error(`checkout: ${JSON.stringify(r.body)}`);
    const t = Date.now();
    await eventually(async () => ((await fetch(`${couch2}/hub-facts/${encodeURIComponent(`m:${memberId}:order:S002:T1:LAT-${i}`)}`, { headers: authHeaders() })).ok ? true : undefined), 30_000, 'receipt central', 10);
    receiptMs.push(Date.now() - t);
    const c = await admin.post('/coupons', { memberId, templateId: 'CASH20' });
    const tc = Date.now();
    await eventually(async () => ((await pos.post(`/v1/coupons/${c.body.coupon.code}/verify`, { memberId, lines: [{ sku: 'A', qty: 1, unitPrice: 20_000 }] })).body.valid ? true : undefined), 30_000, 'coupon at the till', 10);
    couponMs.push(Date.now() - tc);
  }
  await edge2.stop();

  // 4. Twenty store nodes with one hub: the hub's CPU and memory, idle and under till traffic.
  log(`${FLEET_STORES} stores…`);
  const fleet: { edge: EdgeProcess; token: string }[] = [];
  for (let i = 0; i < FLEET_STORES; i++) {
    const id = `F${String(i).padStart(3, '0')}`;
    const node = await enrollNode(hub, id, await addStore(hub, id, 1000, 1_000_000 + i * 1000));
    cleanup.push(node.dir);
    fleet.push({ edge: await startEdge(node.dir, ['--heartbeat-interval', '30']), token: node.token });
  }
  for (const f of fleet) await eventually(() => online(f.edge), 60_000, 'fleet online');
  await new Promise((r) => setTimeout(r, 5000));
  const idleA = processTree(hub.child.pid!);
  await new Promise((r) => setTimeout(r, FLEET_SECONDS * 1000));
  const idleB = processTree(hub.child.pid!);
  // Each store sells 2 receipts a second with a member (a busy store at its peak hour).
  let sold = 0;
  let selling = true;
  const sellers = fleet.map(async (f, i) => {
    const p = client(f.edge.url, f.token);
    for (let n = 0; selling; n++) {
      const t = Date.now();
      const r = await p.post('/v1/checkouts', { receiptNo: `FL-${n}`, memberId: seedMemberId(1_000_000 + i * 1000 + (n % 1000)), lines: [{ sku: 'TEA', qty: 1, unitPrice: 3200 }] });
      if (r.status === 201) sold++;
      await new Promise((res) => setTimeout(res, Math.max(0, 500 - (Date.now() - t))));
    }
  });
  const loadA = processTree(hub.child.pid!);
  await new Promise((r) => setTimeout(r, FLEET_SECONDS * 1000));
  const loadB = processTree(hub.child.pid!);
  selling = false;
  await Promise.all(sellers);
  const fleetStatus = (await admin.get('/fleet')).body.stores as { lag: { documents: number; seconds: number } }[];
  for (const f of fleet) await f.edge.stop();
  await hub.stop();
  cleanup.forEach(removeDir);

  return {
    enroll: { members: ENROLL_MEMBERS, documents: docs, seedSeconds, bundleSeconds, barePullSeconds, enrollSeconds, ratio: enrollSeconds / barePullSeconds },
    offline: {
      receipts: OFFLINE_RECEIPTS,
      seconds: offlineSeconds,
      barePushSeconds,
      ratio: offlineSeconds / barePushSeconds,
      hubCpuSeconds: catchUpB.ownCpuSeconds - catchUpA.ownCpuSeconds,
      databaseCpuSeconds: catchUpB.cpuSeconds - catchUpB.ownCpuSeconds - (catchUpA.cpuSeconds - catchUpA.ownCpuSeconds),
    },
    latency: { samples: LATENCY_SAMPLES, receiptP50: percentile(receiptMs, 50), receiptP99: percentile(receiptMs, 99), couponP50: percentile(couponMs, 50), couponP99: percentile(couponMs, 99) },
    fleet: {
      stores: FLEET_STORES,
      seconds: FLEET_SECONDS,
      idleCpu: (idleB.cpuSeconds - idleA.cpuSeconds) / FLEET_SECONDS,
      idleRssMb: idleB.rssMb,
      loadCpu: (loadB.cpuSeconds - loadA.cpuSeconds) / FLEET_SECONDS,
      loadHubCpu: (loadB.ownCpuSeconds - loadA.ownCpuSeconds) / FLEET_SECONDS,
      loadRssMb: loadB.rssMb,
      receiptsPerSecond: sold / FLEET_SECONDS,
      maxLagDocs: Math.max(...fleetStatus.map((s) => s.lag.documents)),
      worst: fleetStatus.reduce((a, b) => (b.lag.documents > a.lag.documents ? b : a)),
    },
  };
}
