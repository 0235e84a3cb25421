import { afterAll, beforeAll, expect, it } from 'vitest';
import { DB } from '../../hub/couch/databases.ts';
import { localDate } from '../../shared/local-time.ts';
import { client } from '../support/edge-node.ts';
import { adminClient, eventually, startHub, withStoredDatabases, type HubProcess } from '../support/hub.ts';
import { startTwoStoreFleet, stopFleet, type FleetStore } from '../support/fleet.ts';

/*
 * The birthday gift without a purchase (issue 13, decision 019): a real hub and two stores. Members
 * registered at S001 with a birthday this month and another month buy nothing; the hub's monthly
 * sweep gives the first their tier's birthday points, at the hub and at both tills, under the id
 * a till would use, and nothing to the other. A second sweep of the month and a receipt in the
 * birthday month give nothing more.
 */

let hubDir: string;
let hubPort: number;
let hub: HubProcess;
let stores: FleetStore[] = [];
/** A sweep that does not come during the test's setup (1 January), then one every two seconds. */
const NEVER = ['--birthday-sweep', '0 0 1 1 *'];
const OFTEN = ['--birthday-sweep', '*/2 * * * * *'];

beforeAll(async () => {
  ({ hubDir, hubPort, hub, stores } = await startTwoStoreFleet(['--heartbeat-interval', '1'], NEVER));
});
afterAll(() => stopFleet(hub, hubDir, stores));

it("a member in their birthday month who buys nothing gets the tier's birthday gift from the hub, once, at every till", { timeout: 120_000 }, async () => {
  const admin = adminClient(hub);
  const rules = (await admin.get('/rules')).body.rules;
  const gift = { birthdayGift: { points: 150 } };
  const saved = await admin.put('/rules', { rules: { ...rules, tierBenefits: { L1: gift, L2: gift, L3: gift, L4: gift } } });
  expect(saved.status).toBe(200);
  const version = saved.body.rules.version as number;
  for (const s of stores) await eventually(async () => ((await (await fetch(`${s.edge!.url}/healthz`)).json()).rulesVersion === version ? true : undefined), 20_000, `rules v${version} at ${s.id}`);

  const [pos1, pos2] = stores.map((s) => client(s.edge!.url, s.token)) as [ReturnType<typeof client>, ReturnType<typeof client>];
  const today = localDate(new Date(), 'Asia/Shanghai');
  const [month, year] = [today.slice(5, 7), today.slice(0, 4)];
  const otherMonth = String((Number(month) % 12) + 1).padStart(2, '0');
  const born = (await pos1.post('/v1/members', { phone: '+8613712350001', name: 'Born Now', birthday: `1991-${month}-20` })).body.member.id as string;
  const notYet = (await pos1.post('/v1/members', { phone: '+8613712350002', name: 'Born Later', birthday: `1992-${otherMonth}-03` })).body.member.id as string;
  await eventually(async () => ((await pos2.post('/v1/members/identify', { phone: '+8613712350001' })).status === 200 ? true : undefined), 20_000, 'the member at S002');
  const balanceAt = async (pos: typeof pos1, id: string) => (await pos.get(`/v1/members/${id}/points`)).body.balance as number;
  for (const pos of [pos1, pos2]) await eventually(async () => ((await balanceAt(pos, born)) === 200 ? true : undefined), 20_000, 'the join gift at both tills');

  // The hub comes back with a sweep every two seconds: the month is swept once.
  await hub.stop();
  hub = await startHub(hubDir, hubPort, OFTEN);
  const giftId = `pts:${born}:birthday:${year}`;
  for (const pos of [pos1, pos2]) {
    await eventually(async () => ((await balanceAt(pos, born)) === 350 ? true : undefined), 30_000, 'the birthday points at both tills');
    const ledger = (await pos.get(`/v1/members/${born}/points?limit=100`)).body.ledger as { id: string; reason: string; delta: number; storeId: string }[];
    expect(ledger.filter((e) => e.reason === 'birthday')).toEqual([expect.objectContaining({ id: giftId, delta: 150, storeId: 'HQ' })]);
  }
  expect((await adminClient(hub).get(`/members/${born}`)).body.member.points.balance).toBe(350);
  expect(await balanceAt(pos1, notYet)).toBe(200);

  // Swept and done: later sweeps and a receipt in the birthday month add nothing.
  await new Promise((r) => setTimeout(r, 4500));
  const sale = await pos1.post('/v1/checkouts', { receiptNo: 'B1', memberId: born, lines: [{ sku: 'X', qty: 1, unitPrice: 1000 }] });
  expect(sale.status).toBe(201);
  expect(sale.body.checkout.gifts ?? []).toEqual([]);
  expect(await balanceAt(pos1, born)).toBe(360);
  await hub.stop();
  const sweep = await withStoredDatabases(hubDir, (couch) => couch.get(DB.registry, `sweep:birthday:${today.slice(0, 7)}`));
  expect(sweep).toMatchObject({ done: true, issued: 1 });
  hub = await startHub(hubDir, hubPort, NEVER);
});
