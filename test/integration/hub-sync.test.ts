import { afterAll, beforeAll, expect, it } from 'vitest';
import { client } from '../support/edge-node.ts';
import { adminClient, eventually, startHub, type HubProcess } from '../support/hub.ts';
import { startTwoStoreFleet, stopFleet, syncStateOf, type FleetStore } from '../support/fleet.ts';

/*
 * Two enrolled stores replicating live with one hub, all real processes on loopback: points
 * earned at one store are spent at the other; a coupon issued at the hub reaches the till; the
 * hub goes down (killed) while the tills keep selling, and everything converges after.
 */

const seedId = (i: number) => `MSEED${String(i).padStart(8, '0')}`;
const seedPhone = (i: number) => `+86${13900000000 + i}`;

let hubDir: string;
let hubPort: number;
let hub: HubProcess;
let stores: FleetStore[] = [];
const pos = (i: number) => client(stores[i]!.edge!.url, stores[i]!.token);
const admin = () => adminClient(hub);

const hubBalance = async (memberId: string) => (await admin().get(`/members/${memberId}`)).body.member?.points.balance as number;
const storeBalance = async (i: number, memberId: string) => (await pos(i).get(`/v1/members/${memberId}/points`)).body?.balance as number;
const syncState = (i: number) => syncStateOf(stores[i]!);

beforeAll(async () => {
  ({ hubDir, hubPort, hub, stores } = await startTwoStoreFleet(['--heartbeat-interval', '1', '--identify-rate', '100000', '--identify-burst', '1000']));
});

afterAll(() => stopFleet(hub, hubDir, stores));

it('a member earns points at S001 and spends them at S002 after sync; balances agree everywhere', async () => {
  const m = seedId(3);
  const start = await storeBalance(0, m);
  const earn = await pos(0).post('/v1/checkouts', { receiptNo: 'E1', memberId: m, lines: [{ sku: 'TEA', qty: 2, unitPrice: 15_000 }] });
  expect(earn.status).toBe(201);
  expect(earn.body.checkout.pointsEarned).toBe(300);

  // S002 has never seen this member: identify asks the hub, which adds the member to S002's replica.
  const found = await pos(1).post('/v1/members/identify', { phone: seedPhone(3) });
  expect(found.status).toBe(200);
  expect(found.body.member.id).toBe(m);
  const atS002 = await eventually(async () => ((await storeBalance(1, m)) === start + 300 ? start + 300 : undefined), 20_000, 'member and receipt at S002');

  const spend = Math.floor(atS002 / 100) * 100;
  const spent = await pos(1).post('/v1/checkouts', { receiptNo: 'P1', memberId: m, lines: [{ sku: 'CAKE', qty: 1, unitPrice: spend * 2 }], pointsToRedeem: spend });
  expect(spent.status).toBe(201);
  expect(spent.body.checkout.pointsRedeemed).toBe(spend);
  const expected = atS002 - spend + spent.body.checkout.pointsEarned;
  expect(spent.body.checkout.member.points.balance).toBe(expected);

  await eventually(async () => ((await storeBalance(0, m)) === expected ? true : undefined), 20_000, 'the spend back at S001');
  await eventually(async () => ((await hubBalance(m)) === expected ? true : undefined), 20_000, 'the hub balance');
  const facts = (await admin().get(`/members/${m}`)).body.facts as { id: string }[];
  expect(facts.map((f) => f.id)).toEqual(expect.arrayContaining(['order:S001:T1:E1', 'order:S002:T1:P1']));
  expect((await admin().get(`/members/${m}`)).body.stores).toEqual(['S001', 'S002']);
});

it('a receipt priced under rules just changed at the hub is taken in at once (the ingest forgets the versions it remembered)', async () => {
  const m = seedId(4);
  const sold = async (receiptNo: string) => {
    const before = await hubBalance(m);
    expect((await pos(0).post('/v1/checkouts', { receiptNo, memberId: m, lines: [{ sku: 'TEA', qty: 1, unitPrice: 10_000 }] })).status).toBe(201);
    await eventually(async () => ((await hubBalance(m)) > before ? true : undefined), 20_000, `${receiptNo} at the hub`);
  };
  // Judged under the current rules: the ingest remembers their versions from now on.
  await sold('RV0');
  const rules = (await admin().get('/rules')).body.rules;
  const pushed = await admin().put('/rules', { rules: { ...rules, offlineSpendLimit: rules.offlineSpendLimit + 100 } });
  expect(pushed.body.rules.version).toBe(rules.version + 1);
  const rulesAt = async () => ((await (await fetch(`${stores[0]!.edge!.url}/healthz`)).json()) as { rulesVersion: number }).rulesVersion;
  await eventually(async () => ((await rulesAt()) === rules.version + 1 ? true : undefined), 10_000, 'new rules at S001');
  await sold('RV1');
});

it('a coupon issued at the hub is usable at the POS moments later', async () => {
  const m = seedId(5);
  const issued = await admin().post('/coupons', { memberId: m, templateId: 'CASH20' });
  expect(issued.status).toBe(201);
  const code = issued.body.coupon.code as string;
  const t0 = Date.now();
  await eventually(async () => ((await pos(0).post(`/v1/coupons/${code}/verify`, { memberId: m, lines: [{ sku: 'A', qty: 1, unitPrice: 20_000 }] })).body.valid ? true : undefined), 10_000, 'the coupon at the till');
  expect(Date.now() - t0).toBeLessThan(5_000);
  const used = await pos(0).post('/v1/checkouts', { receiptNo: 'C1', memberId: m, lines: [{ sku: 'A', qty: 1, unitPrice: 20_000 }], couponCodes: [code] });
  expect(used.status).toBe(201);
  expect(used.body.checkout.couponDiscount).toBe(2000);
});

it('a coupon template added at the hub is versioned, reaches the stores, and its coupons work at the till', async () => {
  const tpl = { id: 'PCT20', title: '20% off', terms: { kind: 'percent', percentOff: 20, minSpendCents: 0 }, scope: {}, validDays: 7 };
  const put = await admin().put('/templates/PCT20', tpl);
  expect(put.status).toBe(200);
  expect(put.body.template.version).toBe(1);
  expect((await admin().put('/templates/PCT20', { ...tpl, title: '20% off everything' })).body.template.version).toBe(2);
  const m = seedId(11);
  const code = (await admin().post('/coupons', { memberId: m, templateId: 'PCT20' })).body.coupon.code as string;
  const verified = await eventually(async () => {
    const r = await pos(0).post(`/v1/coupons/${code}/verify`, { memberId: m, lines: [{ sku: 'A', qty: 1, unitPrice: 10_000 }] });
    return r.body.valid ? r.body : undefined;
  }, 10_000, 'the coupon at the till');
  expect(verified.discount).toBe(2000);
  expect((await admin().post('/coupons', { memberId: m, templateId: 'NOPE' })).body.error.code).toBe('template_not_found');
});

it('with the hub down: the same coupon at both stores, and points spent twice, become incidents; the earliest redemption stands', async () => {
  const m = seedId(7);
  // Make the member known at S002 too, give them a coupon, and wait until both tills have it.
  expect((await pos(1).post('/v1/members/identify', { phone: seedPhone(7) })).status).toBe(200);
  const code = (await admin().post('/coupons', { memberId: m, templateId: 'CASH20' })).body.coupon.code as string;
  const basket = { memberId: m, lines: [{ sku: 'A', qty: 1, unitPrice: 20_000 }] };
  for (const i of [0, 1]) await eventually(async () => ((await pos(i).post(`/v1/coupons/${code}/verify`, basket)).body.valid ? true : undefined), 10_000, `coupon at store ${i}`);
  const balance = await storeBalance(0, m);
  expect(await storeBalance(1, m)).toBe(balance);
  // HQ sets the offline limit to about 70% of this member's balance: two stores each within it overspend.
  const limit = Math.ceil((balance * 0.7) / 100) * 100;
  const rules = (await admin().get('/rules')).body.rules;
  const pushed = await admin().put('/rules', { rules: { ...rules, offlineSpendLimit: limit } });
  expect(pushed.body.rules.version).toBe(rules.version + 1);
  const rulesAt = async (i: number) => ((await (await fetch(`${stores[i]!.edge!.url}/healthz`)).json()) as { rulesVersion: number }).rulesVersion;
  for (const i of [0, 1]) await eventually(async () => ((await rulesAt(i)) === rules.version + 1 ? true : undefined), 10_000, `rules at store ${i}`);

  await hub.kill();
  for (const i of [0, 1]) await eventually(async () => ((await syncState(i)) === 'offline' ? true : undefined), 20_000, `store ${i} offline`).catch((err) => { console.log(stores[i]!.edge!.output()); throw err; });

  const first = await pos(0).post('/v1/checkouts', { ...basket, receiptNo: 'D1', couponCodes: [code] });
  await new Promise((r) => setTimeout(r, 20));
  const second = await pos(1).post('/v1/checkouts', { ...basket, receiptNo: 'D2', couponCodes: [code] });
  expect(first.status).toBe(201);
  expect(second.status).toBe(201); // offline, S002 cannot know: the hub finds out

  // Offline, each store lets the member spend up to the offline limit, and no more.
  const over = await pos(0).post('/v1/checkouts', { memberId: m, receiptNo: 'O0', lines: [{ sku: 'B', qty: 1, unitPrice: 2_000_000 }], pointsToRedeem: limit + 100 });
  expect(over.status).toBe(422);
  expect(over.body.error.code).toBe('offline_limit_exceeded');
  const spend = limit;
  for (const i of [0, 1]) {
    const r = await pos(i).post('/v1/checkouts', { memberId: m, receiptNo: `O${i + 1}`, lines: [{ sku: 'B', qty: 1, unitPrice: spend * 2 }], pointsToRedeem: spend });
    expect(r.status).toBe(201);
  }

  // S001's member walks into S002, which cannot ask the hub: registered there provisionally.
  const prov = await pos(1).post('/v1/members', { phone: seedPhone(11), name: 'Walk-in' });
  expect(prov.status).toBe(201);
  const provisionalId = prov.body.member.id as string;
  expect(provisionalId).not.toBe(seedId(11));
  const bought = await pos(1).post('/v1/checkouts', { memberId: provisionalId, receiptNo: 'PV1', lines: [{ sku: 'C', qty: 1, unitPrice: 10_000 }] });
  expect(bought.status).toBe(201);
  const provisionalBalance = bought.body.checkout.member.points.balance as number;
  expect(provisionalBalance).toBe(300); // the join gift and 100 RMB
  const homeBalance = await storeBalance(0, seedId(11));

  hub = await startHub(hubDir, hubPort);
  const incidents = await eventually(async () => {
    const list = (await admin().get('/incidents')).body.incidents as { kind: string }[];
    return list.some((i) => i.kind === 'coupon_double_redeem') && list.some((i) => i.kind === 'overspend') ? list : undefined;
  }, 60_000, 'incidents after reconnecting').catch(async (err) => {
    console.log(JSON.stringify((await admin().get('/incidents')).body), JSON.stringify((await admin().get('/fleet')).body), hub.output());
    throw err;
  });
  const double = incidents.filter((i) => i.kind === 'coupon_double_redeem') as any[];
  expect(double).toHaveLength(1);
  expect(double[0].details.winner).toMatchObject({ storeId: 'S001', orderId: 'order:S001:T1:D1' });
  expect(double[0].details.loser).toMatchObject({ storeId: 'S002', orderId: 'order:S002:T1:D2' });
  const facts = (await admin().get(`/members/${m}`)).body.facts as { id: string; storeId: string }[];
  expect(facts.filter((f) => f.id === `redeem:${code}`)).toEqual([{ id: `redeem:${code}`, type: 'redeem', storeId: 'S001' }]);
  const overspend = incidents.filter((i) => i.kind === 'overspend') as any[];
  expect(overspend).toHaveLength(1);
  expect(overspend[0].memberId).toBe(m);
  expect(overspend[0].details.balance).toBeLessThan(0);

  // One-ID merged the provisional member into the member with that phone, at both tills and the hub.
  const merged = await eventually(async () => {
    const r = await pos(1).post('/v1/members/identify', { phone: seedPhone(11) });
    return r.body.member?.id === seedId(11) ? r.body.member : undefined;
  }, 30_000, 'the provisional member merged at S002');
  expect(merged.points.balance).toBe(homeBalance + provisionalBalance);
  await eventually(async () => ((await storeBalance(0, provisionalId)) === homeBalance + provisionalBalance ? true : undefined), 30_000, 'the merge at S001');
  expect((await pos(0).get(`/v1/members/${provisionalId}`)).body.member.id).toBe(seedId(11));
  expect((await admin().get(`/members/${provisionalId}`)).body.member).toMatchObject({ id: seedId(11), points: { balance: homeBalance + provisionalBalance } });
  const golden = (await admin().get(`/identity/members/${seedId(11)}`)).body.member;
  expect(golden.records).toEqual(expect.arrayContaining([`pos:${seedId(11)}`, `pos:${provisionalId}`]));
  expect(golden.links).toEqual([expect.objectContaining({ key: `phone:${seedPhone(11)}` })]);

  // Spending more than the home member had, less than both members together, is no overspend:
  // the hub counts the points earned under the merged-away id.
  const spent = homeBalance + 200;
  const big = await pos(1).post('/v1/checkouts', { memberId: provisionalId, receiptNo: 'PV2', lines: [{ sku: 'C', qty: 1, unitPrice: spent * 2 }], pointsToRedeem: spent });
  expect(big.status).toBe(201);
  expect(big.body.checkout.pointsRedeemed).toBe(spent);
  const left = big.body.checkout.member.points.balance as number;
  await eventually(async () => {
    const [member, fleet] = await Promise.all([admin().get(`/members/${seedId(11)}`), admin().get('/fleet')]);
    const s2 = (fleet.body.stores as any[]).find((s) => s.storeId === 'S002');
    return member.body.member?.points?.balance === left && s2?.lag.notIngested === 0 && s2?.lag.notPushed === 0 ? true : undefined;
  }, 30_000, 'the spend ingested at the hub');
  const afterSpend = (await admin().get('/incidents')).body.incidents as any[];
  expect(afterSpend.filter((i) => i.kind === 'overspend' && [seedId(11), provisionalId].includes(i.memberId))).toEqual([]);

  // An operator splits them apart again: at both tills each id is its own member again, with the
  // facts written under it (the spend above was written under the survivor's id).
  const split = await admin().post(`/identity/members/${seedId(11)}/split`, { records: [`pos:${provisionalId}`] });
  expect(split.status).toBe(200);
  for (const i of [0, 1]) {
    await eventually(async () => ((await pos(i).get(`/v1/members/${provisionalId}`)).body.member?.id === provisionalId ? true : undefined), 30_000, `the split at store ${i}`);
    expect(await storeBalance(i, provisionalId)).toBe(provisionalBalance);
    expect(await storeBalance(i, seedId(11))).toBe(left - provisionalBalance);
  }
  expect((await admin().get(`/members/${provisionalId}`)).body.member).toMatchObject({ id: provisionalId, points: { balance: provisionalBalance } });
  expect((await admin().get(`/identity/records/pos:${provisionalId}`)).body.memberId).not.toBe(seedId(11));
}, 150_000);

it('online, registering a phone that is a member at another store answers member_exists', async () => {
  await eventually(async () => ((await syncState(1)) === 'online' ? true : undefined), 30_000, 'S002 online');
  const r = await pos(1).post('/v1/members', { phone: seedPhone(9), name: 'Someone Else' });
  expect(r.status).toBe(409);
  expect(r.body.error.code).toBe('member_exists');
  expect(r.body.member.id).toBe(seedId(9));
});

it('fleet status shows each store with its heartbeat, sync state, lag, version and incidents', async () => {
  const fleet = await eventually(async () => {
    const stores = (await admin().get('/fleet')).body.stores as any[];
    return stores.every((s) => s.sync?.state === 'online' && s.lag.notIngested === 0) ? stores : undefined;
  }, 30_000, 'a quiet fleet');
  expect(fleet.map((s) => s.storeId)).toEqual(['S001', 'S002']);
  for (const s of fleet) {
    expect(s.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(s.heartbeatAgeSeconds).toBeLessThan(10);
    expect(s.lag).toMatchObject({ documents: expect.any(Number), seconds: expect.any(Number) });
  }
  expect(fleet.find((s) => s.storeId === 'S001').openIncidents).toBeGreaterThanOrEqual(2); // the double redemption and the overspend, both involving S001
});

it('everything the tills did above was accepted at the hub: no refused document, no quarantined fact', async () => {
  const kinds = ((await admin().get('/incidents')).body.incidents as { kind: string; summary: string }[]).filter((i) => i.kind === 'refused_document' || i.kind === 'quarantined_fact');
  expect(kinds.map((i) => i.summary)).toEqual([]);
});
