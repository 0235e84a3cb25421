import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { client } from '../support/edge-node.ts';
import { adminClient, eventually, type HubProcess } from '../support/hub.ts';
import { startTwoStoreFleet, stopFleet, syncStateOf, type FleetStore } from '../support/fleet.ts';

/*
 * What a till asks of the hub while it can reach it, with two enrolled stores and a real hub on
 * loopback: a member found through the hub checks out at once; one single-use coupon cannot be
 * redeemed at both stores; a receipt of one store is refunded at the other. With the hub gone,
 * the offline rules stand.
 */

const seedId = (i: number) => `MSEED${String(i).padStart(8, '0')}`;
const seedPhone = (i: number) => `+86${13900000000 + i}`;

let hubDir: string;
let hub: HubProcess;
let stores: FleetStore[] = [];
const pos = (i: number) => client(stores[i]!.edge!.url, stores[i]!.token);
const admin = () => adminClient(hub);

const hubBalance = async (memberId: string) => (await admin().get(`/members/${memberId}`)).body.member?.points.balance as number;
const storeBalance = async (i: number, memberId: string) => (await pos(i).get(`/v1/members/${memberId}/points`)).body?.balance as number | undefined;
const syncState = (i: number) => syncStateOf(stores[i]!);

/** The store API of the hub with a store's own credentials, as its node calls it. */
function storeApi(i: number) {
  const link = JSON.parse(readFileSync(join(stores[i]!.dir, 'hub.json'), 'utf8')) as { username: string; password: string };
  const auth = `Basic ${Buffer.from(`${link.username}:${link.password}`).toString('base64')}`;
  return async (path: string, body?: unknown) => {
    const res = await fetch(`${hub.url}/v1${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
}

/** A CASH20 coupon of the member, once every given store's till accepts it. */
async function couponAt(memberId: string, storeIdx: number[]): Promise<string> {
  const code = (await admin().post('/coupons', { memberId, templateId: 'CASH20' })).body.coupon.code as string;
  const basket = { memberId, lines: [{ sku: 'A', qty: 1, unitPrice: 20_000 }] };
  for (const i of storeIdx) await eventually(async () => ((await pos(i).post(`/v1/coupons/${code}/verify`, basket)).body.valid ? true : undefined), 15_000, `coupon at store ${i}`);
  return code;
}

beforeAll(async () => {
  ({ hubDir, hub, stores } = await startTwoStoreFleet(['--heartbeat-interval', '1']));
});

afterAll(() => stopFleet(hub, hubDir, stores));

it('a member found through the hub checks out at once, spending exactly the balance shown', async () => {
  const m = seedId(105); // registered at S002; S001 has never seen them
  expect(await storeBalance(0, m)).toBeUndefined();
  // A till tries again when the hub was slower than identify waits (1.5 s; the test machine may be busy).
  const found = await eventually(async () => {
    const r = await pos(0).post('/v1/members/identify', { phone: seedPhone(105) });
    return r.status === 200 ? r : undefined;
  }, 20_000, 'the member through the hub');
  expect(found.body.member.id).toBe(m);
  const shown = found.body.member.points.balance as number;
  expect(shown).toBeGreaterThan(0);

  const spent = await pos(0).post('/v1/checkouts', { receiptNo: 'ID1', memberId: m, lines: [{ sku: 'TEA', qty: 1, unitPrice: shown * 2 + 1000 }], pointsToRedeem: shown });
  expect(spent.status).toBe(201);
  expect(spent.body.checkout.pointsRedeemed).toBe(shown);
  expect(spent.body.checkout.member.points.balance).toBe(spent.body.checkout.pointsEarned);

  // Replication then brings the same revisions: nothing doubles, and both stores and the hub agree.
  const expected = spent.body.checkout.pointsEarned as number;
  await new Promise((r) => setTimeout(r, 1500));
  expect(await storeBalance(0, m)).toBe(expected);
  await eventually(async () => ((await storeBalance(1, m)) === expected ? true : undefined), 20_000, 'the spend at S002');
  await eventually(async () => ((await hubBalance(m)) === expected ? true : undefined), 20_000, 'the spend at the hub');
});

it('one single-use coupon at two online stores at once: exactly one checkout takes it', async () => {
  const m = seedId(7);
  await eventually(async () => ((await pos(1).post('/v1/members/identify', { phone: seedPhone(7) })).status === 200 ? true : undefined), 20_000, 'the member at S002');
  const code = await couponAt(m, [0, 1]);
  const basket = { memberId: m, lines: [{ sku: 'A', qty: 1, unitPrice: 20_000 }], couponCodes: [code] };
  const answers = await Promise.all([pos(0).post('/v1/checkouts', { ...basket, receiptNo: 'CP1' }), pos(1).post('/v1/checkouts', { ...basket, receiptNo: 'CP2' })]);
  expect(answers.map((a) => a.status).sort()).toEqual([201, 422]);
  const refused = answers.find((a) => a.status === 422)!;
  expect(refused.body.error).toMatchObject({ code: 'coupon_invalid', reason: 'redeemed_elsewhere', couponCode: code });

  // The winner retrying its receipt is answered as before; the loser asking again is still refused.
  const winner = answers[0]!.status === 201 ? 0 : 1;
  expect((await pos(winner).post('/v1/checkouts', { ...basket, receiptNo: `CP${winner + 1}` })).status).toBe(200);
  const again = await pos(1 - winner).post('/v1/checkouts', { ...basket, receiptNo: 'CP3' });
  expect(again.status).toBe(422);
  expect(['redeemed', 'redeemed_elsewhere']).toContain(again.body.error.reason);
});

it('the hub holds only coupons a store can see, and only for its own receipts', async () => {
  const m = seedId(8); // S001's member, never looked up at S002
  const code = await couponAt(m, [0]);
  const unseen = await storeApi(1)('/coupons/reserve', { orderId: 'order:S002:T1:X1', codes: [code] });
  expect(unseen.status).toBe(404);
  expect(unseen.body.error.code).toBe('coupon_not_found');
  const notMine = await storeApi(1)('/coupons/reserve', { orderId: 'order:S001:T1:X1', codes: [code] });
  expect(notMine.status).toBe(403);
  const bad = await storeApi(0)('/coupons/reserve', { orderId: 'order:S001:T1:X1', codes: ['__proto__'] });
  expect(bad.status).toBe(400);
  // S001 may hold it, again for the same receipt, but not for another one.
  expect((await storeApi(0)('/coupons/reserve', { orderId: 'order:S001:T1:X1', codes: [code] })).body.reservations).toEqual([{ code, ok: true }]);
  expect((await storeApi(0)('/coupons/reserve', { orderId: 'order:S001:T1:X1', codes: [code] })).body.reservations).toEqual([{ code, ok: true }]);
  expect((await storeApi(0)('/coupons/reserve', { orderId: 'order:S001:T1:X2', codes: [code] })).body.reservations).toEqual([{ code, ok: false, reason: 'redeemed_elsewhere' }]);
});

it("a receipt of S001 is refunded in full at S002: points clawed back, the coupon stays used, balances agree everywhere", async () => {
  const m = seedId(9); // S001's member, not known at S002
  const code = await couponAt(m, [0]);
  const start = (await storeBalance(0, m))!;
  const sale = await pos(0).post('/v1/checkouts', { receiptNo: 'RF1', memberId: m, lines: [{ sku: 'A', qty: 2, unitPrice: 20_000 }, { sku: 'B', qty: 1, unitPrice: 5_000 }], couponCodes: [code] });
  expect(sale.status).toBe(201);
  const { id, payable, pointsEarned } = sale.body.checkout as { id: string; payable: number; pointsEarned: number };
  expect(id).toBe('S001:T1:RF1');

  // S002 asks the hub for the receipt once it has reached the hub.
  const back = await eventually(async () => {
    const r = await pos(1).post(`/v1/checkouts/${id}/refunds`, { refundNo: 'F1' });
    return r.status === 404 ? undefined : r;
  }, 20_000, 'the receipt at the hub');
  expect(back.status).toBe(201);
  expect(back.body.refund.id).toBe('S001:T1:RF1:F1@S002');
  expect(back.body.refund.refund).toBe(payable);
  expect(back.body.refund.pointsClawedBack).toBe(pointsEarned);
  expect(back.body.refund.coupons).toEqual([{ code, discount: 2000, returned: false }]);
  expect(back.body.refund.member.points.balance).toBe(start);
  // The same refund again is the same answer; anything more is nothing to refund.
  const retried = await pos(1).post(`/v1/checkouts/${id}/refunds`, { refundNo: 'F1' });
  expect(retried.status).toBe(200);
  expect(retried.body.refund).toEqual(back.body.refund);
  expect((await pos(1).post(`/v1/checkouts/${id}/refunds`, { refundNo: 'F2' })).body.error.code).toBe('nothing_to_refund');

  for (const i of [0, 1]) await eventually(async () => ((await storeBalance(i, m)) === start ? true : undefined), 20_000, `balance at store ${i}`);
  await eventually(async () => ((await hubBalance(m)) === start ? true : undefined), 20_000, 'balance at the hub');
  // S001 learnt of the refund: the same refund number there does not refund the receipt twice.
  const atHome = await pos(0).post(`/v1/checkouts/${id}/refunds`, { refundNo: 'F1' });
  expect(atHome.status).toBe(422);
  expect(atHome.body.error.code).toBe('nothing_to_refund');
  // The coupon stayed used.
  const verify = await pos(0).post(`/v1/coupons/${code}/verify`, { memberId: m, lines: [{ sku: 'A', qty: 1, unitPrice: 20_000 }] });
  expect(verify.body).toMatchObject({ valid: false, reason: 'redeemed' });
});

it('a receipt without a member refunded at S002 is not refunded again at S001, which asks the hub', async () => {
  const sale = await pos(0).post('/v1/checkouts', { receiptNo: 'NM1', lines: [{ sku: 'A', qty: 3, unitPrice: 1_000 }] });
  expect(sale.status).toBe(201);
  const back = await eventually(async () => {
    const r = await pos(1).post('/v1/checkouts/S001:T1:NM1/refunds', { refundNo: 'F1', lines: [{ sku: 'A', qty: 2 }] });
    return r.status === 404 ? undefined : r;
  }, 20_000, 'the receipt at the hub');
  expect(back.status).toBe(201);
  expect(back.body.refund.refund).toBe(2_000);
  expect(back.body.refund.coupons).toEqual([]);
  // Once the hub has S002's refund, S001 refunds only what is left.
  await eventually(async () => {
    const known = await storeApi(1)('/checkouts/S001:T1:NM1'); // S002's credentials: S001 learns nothing from this
    return known.body.docs?.some((d: { _id: string }) => d._id === 'refund:S001:T1:NM1:F1@S002') ? true : undefined;
  }, 20_000, "S002's refund at the hub");
  const tooMuch = await pos(0).post('/v1/checkouts/S001:T1:NM1/refunds', { refundNo: 'F1', lines: [{ sku: 'A', qty: 2 }] });
  expect(tooMuch.status).toBe(422);
  expect(tooMuch.body.error.code).toBe('refund_exceeds_purchase');
  const rest = await pos(0).post('/v1/checkouts/S001:T1:NM1/refunds', { refundNo: 'F1' });
  expect(rest.status).toBe(201);
  expect(rest.body.refund.id).toBe('S001:T1:NM1:F1');
  expect(rest.body.refund.refund).toBe(1_000);
  // Ids the hub refuses to look up are a 400 and write nothing.
  expect((await storeApi(0)('/checkouts/__proto__')).status).toBe(400);
  expect((await storeApi(0)('/checkouts/S009:T1:NOPE')).status).toBe(404);
});

it('with the hub stopped: a coupon still redeems; a receipt of another store is 404, saying the hub could not be asked', async () => {
  const m = seedId(10);
  const code = await couponAt(m, [0]);
  const code2 = await couponAt(m, [0]);
  await hub.kill();
  // At once, before the node has noticed: the hold cannot be asked, and the offline rules stand.
  const sale = await pos(0).post('/v1/checkouts', { receiptNo: 'OFF1', memberId: m, lines: [{ sku: 'A', qty: 1, unitPrice: 20_000 }], couponCodes: [code] });
  expect(sale.status).toBe(201);
  expect(sale.body.checkout.couponDiscount).toBe(2000);

  await eventually(async () => ((await syncState(0)) === 'offline' ? true : undefined), 20_000, 'S001 offline');
  expect((await pos(0).post('/v1/checkouts', { receiptNo: 'OFF2', memberId: m, lines: [{ sku: 'A', qty: 1, unitPrice: 20_000 }], couponCodes: [code2] })).status).toBe(201);
  const foreign = await pos(0).post('/v1/checkouts/S002:T1:ANY/refunds', { refundNo: 'F1' });
  expect(foreign.status).toBe(404);
  expect(foreign.body.error.code).toBe('checkout_not_found');
  expect(foreign.body.error.message).toMatch(/hub cannot be asked/);
});
