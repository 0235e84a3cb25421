import { afterAll, beforeAll, expect, it } from 'vitest';
import { client, removeDir, startEdge, tempDir, type EdgeProcess } from '../support/edge-node.ts';
import { adminClient, enrollStore, eventually, freePort, startHub, type HubProcess } from '../support/hub.ts';

/*
 * The hub and its database are killed (SIGKILL) while two stores sell to the same members. The
 * tills must not notice; after the hub restarts everything converges: every acknowledged receipt
 * reaches the hub once, and every member's balance is the same at both stores and the hub, and
 * equal to what the receipts add up to.
 */

const seedId = (i: number) => `MSEED${String(i).padStart(8, '0')}`;
const seedPhone = (i: number) => `+86${13900000000 + i}`;
const SHARED = [0, 1, 2, 3, 4];
const WORKERS_PER_STORE = 3;

let hubDir: string;
let hubPort: number;
let hub: HubProcess;
const stores: { id: string; dir: string; token: string; edge?: EdgeProcess }[] = [];

beforeAll(async () => {
  hubDir = tempDir('memberedge-hub-');
  hubPort = await freePort();
  hub = await startHub(hubDir, hubPort);
  stores.push({ id: 'S001', ...(await enrollStore(hub, 'S001', { members: 10 })) }, { id: 'S002', ...(await enrollStore(hub, 'S002', { members: 10, first: 100 })) });
  for (const s of stores) s.edge = await startEdge(s.dir, ['--heartbeat-interval', '1', '--identify-rate', '100000', '--identify-burst', '1000']);
  for (const s of stores) await eventually(async () => ((await (await fetch(`${s.edge!.url}/healthz`)).json()) as { sync: { state: string } }).sync.state === 'online' || undefined, 20_000, 'stores online');
});
afterAll(async () => {
  for (const s of stores) if (s.edge?.child.exitCode !== null) console.log(`edge ${s.id} died:\n${s.edge?.output()}`);
  for (const s of stores) await s.edge?.stop();
  await hub?.stop();
  for (const s of stores) removeDir(s.dir);
  removeDir(hubDir);
});

interface Sale {
  store: number;
  memberId: string;
  receiptNo: string;
  status: number;
  earned: number;
  redeemed: number;
  error?: string;
}

it('kill the hub mid-traffic: the stores keep serving, then everything converges exactly', async () => {
  const pos = stores.map((s) => client(s.edge!.url, s.token));
  // The shared members become known at S002 through the hub's lookup.
  for (const i of SHARED) expect((await pos[1]!.post('/v1/members/identify', { phone: seedPhone(i) })).status).toBe(200);
  const members = SHARED.map(seedId);
  const initial = new Map<string, number>();
  for (const m of members) {
    const atHome = (await pos[0]!.get(`/v1/members/${m}/points`)).body.balance as number;
    initial.set(m, await eventually(async () => ((await pos[1]!.get(`/v1/members/${m}/points`)).body?.balance === atHome ? atHome : undefined), 20_000, `member ${m} at S002`));
  }

  const sales: Sale[] = [];
  let selling = true;
  const workers = stores.flatMap((_, s) =>
    Array.from({ length: WORKERS_PER_STORE }, async (_, w) => {
      for (let n = 0; selling; n++) {
        const memberId = members[(n + w + s) % members.length]!;
        const receiptNo = `K${w}-${n}`;
        const redeem = n % 6 === 0 ? 100 : 0; // well within the offline limit (5,000 points per member)
        const res = await pos[s]!.post('/v1/checkouts', { receiptNo, memberId, lines: [{ sku: 'X', qty: 1, unitPrice: 10_000 + 1_000 * (n % 7) }], ...(redeem ? { pointsToRedeem: redeem } : {}) });
        sales.push({ store: s, memberId, receiptNo, status: res.status, ...(res.status !== 201 ? { error: res.body?.error?.code } : {}), earned: res.body?.checkout?.pointsEarned ?? 0, redeemed: res.body?.checkout?.pointsRedeemed ?? 0 });
        await new Promise((r) => setTimeout(r, 20));
      }
    }),
  );

  await new Promise((r) => setTimeout(r, 1500));
  await hub.kill();
  const soldWhileDown = sales.length;
  await new Promise((r) => setTimeout(r, 3000));
  expect(sales.length - soldWhileDown).toBeGreaterThan(20); // the tills went on
  hub = await startHub(hubDir, hubPort);
  await new Promise((r) => setTimeout(r, 1500));
  selling = false;
  await Promise.all(workers);

  // Every sale was answered with a 201, hub or no hub.
  expect(sales.filter((s) => s.status !== 201)).toEqual([]);
  expect(sales.length).toBeGreaterThan(60);

  const expected = new Map(members.map((m) => [m, initial.get(m)! + sales.filter((s) => s.memberId === m).reduce((n, s) => n + s.earned - s.redeemed, 0)]));
  const admin = adminClient(hub);
  await eventually(async () => {
    for (const m of members) {
      const atHub = (await admin.get(`/members/${m}`)).body;
      const orders = (atHub.facts as { id: string; type: string }[]).filter((f) => f.type === 'order').map((f) => f.id);
      const acknowledged = sales.filter((s) => s.memberId === m).map((s) => `order:${stores[s.store]!.id}:T1:${s.receiptNo}`);
      if (orders.length !== acknowledged.length || !acknowledged.every((id) => orders.includes(id))) return undefined;
      if (atHub.member.points.balance !== expected.get(m)) return undefined;
      for (const p of pos) if ((await p.get(`/v1/members/${m}/points`)).body.balance !== expected.get(m)) return undefined;
    }
    return true;
  }, 60_000, 'hub and both stores to agree with the receipts').catch(async (err) => {
    for (const m of members) {
      const atHub = (await admin.get(`/members/${m}`)).body;
      console.log(m, 'expected', expected.get(m), 'hub', atHub.member.points.balance, 'orders', (atHub.facts as { type: string }[]).filter((f) => f.type === 'order').length, 'acknowledged', sales.filter((s) => s.memberId === m).length, 'S001', (await pos[0]!.get(`/v1/members/${m}/points`)).body.balance, 'S002', (await pos[1]!.get(`/v1/members/${m}/points`)).body.balance);
    }
    throw err;
  });
  // Nothing doubled either way: no store replica holds a receipt twice, and the hub saw no conflict.
  expect((await admin.get('/incidents?kind=fact_conflict')).body.incidents).toEqual([]);
  // And the hub took in every fact the tills made, though they arrived in the stores' id order.
  for (const kind of ['quarantined_fact', 'refused_document']) expect((await admin.get(`/incidents?kind=${kind}`)).body.incidents.map((i: { summary: string }) => i.summary)).toEqual([]);
}, 150_000);
