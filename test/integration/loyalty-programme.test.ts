import { afterAll, beforeAll, expect, it } from 'vitest';
import { exchangeCouponCode, giftCouponCode } from '../../shared/ids.ts';
import { client, removeDir, startEdge, tempDir } from '../support/edge-node.ts';
import { FaultProxy } from '../support/fault-proxy.ts';
import { syncStateOf, type FleetStore } from '../support/fleet.ts';
import { adminClient, enrollStore, eventually, freePort, startHub, type HubProcess } from '../support/hub.ts';

/*
 * Issue 13's whole programme end to end, with a real hub and two real stores, S002 reaching the
 * hub through a proxy the test cuts: a member reaches Gold at S001 while S002 is offline and gets
 * the upgrade gift once; at S002, still offline, they exchange points for a coupon, redeem it on
 * a receipt and return the goods; when S002 is back, everything converges: the same balance and
 * ledger at the hub and both stores, the upgrade coupon at S002 (redeemable once), the exchange
 * coupon spent, no incident.
 */

let hub: HubProcess;
let hubDir: string;
let proxy: FaultProxy;
const stores: FleetStore[] = [];

beforeAll(async () => {
  hubDir = tempDir('memberedge-programme-hub-');
  hub = await startHub(hubDir, await freePort());
  proxy = await new FaultProxy(Number(new URL(hub.url).port)).start();
  const s1 = await enrollStore(hub, 'S001');
  // S002 saves the proxy's address as its hub's.
  const s2 = await enrollStore({ url: proxy.url, dir: hub.dir }, 'S002');
  stores.push({ id: 'S001', ...s1 }, { id: 'S002', ...s2 });
  for (const s of stores) s.edge = await startEdge(s.dir, ['--heartbeat-interval', '1']);
  for (const s of stores) await eventually(async () => ((await syncStateOf(s)) === 'online' ? true : undefined), 20_000, `${s.id} online`);
}, 120_000);

afterAll(async () => {
  for (const s of stores) await s.edge?.stop();
  await proxy?.stop();
  await hub?.stop();
  for (const s of stores) removeDir(s.dir);
  if (hubDir) removeDir(hubDir);
});

it('Gold at S001 while S002 is offline, an exchange redeemed and refunded at S002 offline: one gift, one balance, no incident', { timeout: 240_000 }, async () => {
  const admin = adminClient(hub);
  const rules = (await admin.get('/rules')).body.rules;
  const saved = await admin.put('/rules', { rules: { ...rules, tierBenefits: { L3: { upgradeGift: ['CASH20'] } } } });
  expect(saved.status).toBe(200);
  const catalogue = await admin.put('/catalogue', { catalogue: { version: 0, rewards: [{ kind: 'coupon', id: 'CASH-500', title: '20 RMB off for 500 points', points: 500, templateId: 'CASH20' }] } });
  expect(catalogue.status).toBe(200);
  const [pos1, pos2] = stores.map((s) => client(s.edge!.url, s.token)) as [ReturnType<typeof client>, ReturnType<typeof client>];
  for (const pos of [pos1, pos2]) {
    await eventually(async () => ((await pos.get('/healthz')).body.rulesVersion === saved.body.rules.version ? true : undefined), 20_000, 'the rules at both stores');
    await eventually(async () => ((await pos.get('/v1/exchanges/catalogue')).body.catalogue?.version === 1 ? true : undefined), 20_000, 'the catalogue at both stores');
  }

  // A member registered at S001, who shops at S002 too: both stores hold them.
  const phone = '+8613712349901';
  const reg = await pos1.post('/v1/members', { phone, name: 'Programme' });
  expect(reg.status).toBe(201);
  const m = reg.body.member.id as string;
  await eventually(async () => ((await pos2.post('/v1/members/identify', { phone })).status === 200 ? true : undefined), 20_000, 'the member at S002');
  expect((await pos2.post('/v1/checkouts', { receiptNo: 'P-B1', memberId: m, lines: [{ sku: 'BAG', qty: 1, unitPrice: 50_000 }] })).status).toBe(201);
  await eventually(async () => ((await pos1.get(`/v1/members/${m}/points`)).body.balance === 700 ? true : undefined), 20_000, "S002's receipt at S001");

  // S002 cut off from the hub.
  proxy.partition();
  await eventually(async () => ((await syncStateOf(stores[1]!)) === 'offline' ? true : undefined), 30_000, 'S002 offline');

  // Gold at S001 (50,000 + 150,000 over the window): the upgrade gift, once.
  const gold = await pos1.post('/v1/checkouts', { receiptNo: 'P-A1', memberId: m, lines: [{ sku: 'COAT', qty: 1, unitPrice: 150_000 }] });
  expect(gold.status).toBe(201);
  const upgradeCode = giftCouponCode(m, 'tier:L3', 'CASH20');
  expect(gold.body.checkout.member.tier).toBe('L3');
  expect(gold.body.checkout.gifts).toEqual([expect.objectContaining({ cause: 'tier:L3', kind: 'coupon', code: upgradeCode })]);
  const more = await pos1.post('/v1/checkouts', { receiptNo: 'P-A2', memberId: m, lines: [{ sku: 'HAT', qty: 1, unitPrice: 5_000 }] });
  expect(more.status).toBe(201);
  expect(more.body.checkout.gifts ?? []).toEqual([]);

  // At S002, offline: 700 points known there; 500 exchanged for a coupon, redeemed, the goods returned.
  const exchange = await pos2.post('/v1/exchanges', { requestId: 'programme-x-01', memberId: m, rewardId: 'CASH-500' });
  expect(exchange.status).toBe(201);
  const exchangeCode = exchangeCouponCode('S002', 'programme-x-01');
  expect(JSON.stringify(exchange.body)).toContain(exchangeCode);
  const paid = await pos2.post('/v1/checkouts', { receiptNo: 'P-B2', memberId: m, couponCodes: [exchangeCode], lines: [{ sku: 'SCARF', qty: 1, unitPrice: 15_000 }] });
  expect(paid.status).toBe(201);
  expect(paid.body.checkout.couponDiscount).toBe(2000);
  const earnedOffline = paid.body.checkout.pointsEarned as number;
  expect(earnedOffline).toBe(130);
  const returned = await pos2.post(`/v1/checkouts/${paid.body.checkout.id}/refunds`, { refundNo: 'P-R1', lines: [{ index: 0, qty: 1 }] });
  expect(returned.status).toBe(201);
  expect(returned.body.refund.pointsClawedBack).toBe(130);
  expect((await pos2.get(`/v1/members/${m}/points`)).body.balance).toBe(200);
  // S002 has not heard of the Gold receipt nor of its gift.
  expect((await pos2.get(`/v1/members/${m}`)).body.member.coupons.map((c: { code: string }) => c.code)).not.toContain(upgradeCode);

  // Back together: one balance, one ledger, the gift at S002.
  proxy.heal();
  // join 200 + 500 (S002) + 1,500 (Gold receipt, earned at Silver) + 50 − 500 (exchange) + 130 − 130.
  const expected = 200 + 500 + 1500 + 50 - 500;
  const ledgerAt = async (pos: typeof pos1) => {
    const res = await pos.get(`/v1/members/${m}/points?limit=1000`);
    return res.body.balance === expected ? (res.body.ledger as { id: string }[]).map((e) => e.id).sort() : undefined;
  };
  const ledger1 = await eventually(() => ledgerAt(pos1), 60_000, 'the balance at S001');
  const ledger2 = await eventually(() => ledgerAt(pos2), 60_000, 'the balance at S002');
  expect(ledger2).toEqual(ledger1);
  await eventually(async () => ((await admin.get(`/members/${m}`)).body.member?.points?.balance === expected ? true : undefined), 60_000, 'the balance at the hub');
  expect((await pos2.get(`/v1/members/${m}`)).body.member.tier).toBe('L3');

  // The upgrade gift: one coupon, at S002 too, redeemed once.
  const coupons2 = await eventually(async () => {
    const codes = ((await pos2.get(`/v1/members/${m}`)).body.member.coupons as { code: string }[]).map((c) => c.code);
    return codes.includes(upgradeCode) ? codes : undefined;
  }, 60_000, 'the upgrade coupon at S002');
  expect(coupons2.filter((c) => c === upgradeCode)).toHaveLength(1);
  expect(coupons2).not.toContain(exchangeCode);
  const redeem = (pos: typeof pos1, receiptNo: string) => pos.post('/v1/checkouts', { receiptNo, memberId: m, couponCodes: [upgradeCode], lines: [{ sku: 'SHOE', qty: 1, unitPrice: 12_000 }] });
  expect((await redeem(pos2, 'P-B3')).status).toBe(201);
  const again = await redeem(pos1, 'P-A3');
  expect(again.status).toBe(422);
  expect(again.body.error.code).toBe('coupon_invalid');

  // Nothing for anyone to look at: no overspend, no quarantined fact, no double redemption.
  const incidents = (await admin.get('/incidents')).body.incidents as { kind: string; summary?: string }[];
  expect(incidents.map((i) => `${i.kind}: ${i.summary}`)).toEqual([]);
});
