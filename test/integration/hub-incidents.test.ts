import { afterAll, beforeAll, expect, it } from 'vitest';
import { client, startEdge } from '../support/edge-node.ts';
import { adminClient, eventually, startHub, type HubProcess } from '../support/hub.ts';
import { newOperator, OperatorSession } from '../support/operator-session.ts';
import { pushAsStore, startTwoStoreFleet, stopFleet, syncStateOf, type FleetStore } from '../support/fleet.ts';

/*
 * Resolving incidents over HTTP, with a real hub and two real stores: an overspend and a double
 * redemption made offline (as in hub-sync.test.ts), then an overspend clawed back (the adjustment
 * reaches the hub's and both stores' balances and ledgers), a second resolve refused, a double
 * redemption written off (a fact, no balance changed), operators out of scope or without the
 * permission refused, and a store that pushes an adjustment of its own refused at the gateway.
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
const storePoints = async (i: number, memberId: string) => (await pos(i).get(`/v1/members/${memberId}/points`)).body as { balance: number; ledger: { id: string; delta: number; reason: string; ref: string; storeId: string }[] };
const syncState = (i: number) => syncStateOf(stores[i]!);

/** An operator's browser (cookie and CSRF token). */
class Browser extends OperatorSession {
  constructor() {
    super(hub.url);
  }
}

const operator = (name: string, role: string, scope?: string) => newOperator(hub, name, role, { scope, session: new Browser() });

const EDGE_FLAGS = ['--heartbeat-interval', '1', '--identify-rate', '100000', '--identify-burst', '1000'];

beforeAll(async () => {
  ({ hubDir, hubPort, hub, stores } = await startTwoStoreFleet(EDGE_FLAGS));
  expect((await admin().post('/stores', { id: 'S003', name: 'Store S003' })).status).toBe(201);
});

afterAll(() => stopFleet(hub, hubDir, stores));

const m = seedId(7);
/** A second member who overspends in the same outage; their overspend is written off. */
const m2 = seedId(8);
const agreedOf = async (member: string) => {
  const [h, a, b] = [await hubBalance(member), (await storePoints(0, member)).balance, (await storePoints(1, member)).balance];
  return h === a && a === b ? h : undefined;
};
const agreed = () => agreedOf(m);

it('two overspends and a double redemption made offline are resolved: a claw-back and a debt forgiven reach every balance, a coupon written off none', { timeout: 240_000 }, async () => {
  // The member at both stores with a coupon; two tills offline each spend the offline limit, and both take the coupon.
  for (const i of [7, 8]) expect((await pos(1).post('/v1/members/identify', { phone: seedPhone(i) })).status).toBe(200);
  const code = (await admin().post('/coupons', { memberId: m, templateId: 'CASH20' })).body.coupon.code as string;
  const basket = { memberId: m, lines: [{ sku: 'A', qty: 1, unitPrice: 20_000 }] };
  for (const i of [0, 1]) await eventually(async () => ((await pos(i).post(`/v1/coupons/${code}/verify`, basket)).body.valid ? true : undefined), 10_000, `coupon at store ${i}`);
  // Each till spends 70% of the balance: both together, more than the member has.
  const spendOf = async (member: string) => Math.ceil(((await storePoints(0, member)).balance * 0.7) / 100) * 100;
  const [spend, spend2] = [await spendOf(m), await spendOf(m2)];
  const limit = Math.max(spend, spend2);
  const rules = (await admin().get('/rules')).body.rules;
  expect((await admin().put('/rules', { rules: { ...rules, offlineSpendLimit: limit } })).status).toBe(200);
  const rulesAt = async (i: number) => ((await (await fetch(`${stores[i]!.edge!.url}/healthz`)).json()) as { rulesVersion: number }).rulesVersion;
  for (const i of [0, 1]) await eventually(async () => ((await rulesAt(i)) === rules.version + 1 ? true : undefined), 10_000, `rules at store ${i}`);

  await hub.kill();
  for (const i of [0, 1]) await eventually(async () => ((await syncState(i)) === 'offline' ? true : undefined), 20_000, `store ${i} offline`);
  expect((await pos(0).post('/v1/checkouts', { ...basket, receiptNo: 'D1', couponCodes: [code] })).status).toBe(201);
  await new Promise((r) => setTimeout(r, 20));
  expect((await pos(1).post('/v1/checkouts', { ...basket, receiptNo: 'D2', couponCodes: [code] })).status).toBe(201);
  for (const i of [0, 1]) expect((await pos(i).post('/v1/checkouts', { memberId: m, receiptNo: `O${i + 1}`, lines: [{ sku: 'B', qty: 1, unitPrice: spend * 2 }], pointsToRedeem: spend })).status).toBe(201);
  for (const i of [0, 1]) expect((await pos(i).post('/v1/checkouts', { memberId: m2, receiptNo: `P${i + 1}`, lines: [{ sku: 'B', qty: 1, unitPrice: spend2 * 2 }], pointsToRedeem: spend2 })).status).toBe(201);

  hub = await startHub(hubDir, hubPort);
  const incidents = await eventually(async () => {
    const list = (await admin().get('/incidents')).body.incidents as any[];
    const found = [list.find((i) => i.kind === 'overspend' && i.memberId === m), list.find((i) => i.kind === 'coupon_double_redeem'), list.find((i) => i.kind === 'overspend' && i.memberId === m2)];
    return found.every(Boolean) ? found : undefined;
  }, 60_000, 'incidents after reconnecting');
  const [overspend, double, overspend2] = incidents as [any, any, any];
  expect(overspend.details.balance).toBeLessThan(0);
  const before = await eventually(agreed, 30_000, 'balances agreeing after the outage');

  // Who may not: a marketer (no incidents:resolve), a store manager of another store (not found, as no such incident).
  const marketer = await operator('marketer-1', 'marketer');
  expect((await marketer.post(`/incidents/${encodeURIComponent(overspend._id)}/resolve`, { note: 'mine' })).body.error.code).toBe('forbidden');
  const elsewhere = await operator('manager-s003', 'store_manager', 'store:S003');
  for (const id of [overspend._id, 'incident:overspend:NOSUCH1']) {
    const r = await elsewhere.post(`/incidents/${encodeURIComponent(id)}/resolve`, { note: 'mine', action: 'claw_back' });
    expect([r.status, r.body.error.code]).toEqual([404, 'incident_not_found']);
    expect((await elsewhere.get(`/incidents/${encodeURIComponent(id)}`)).status).toBe(404);
  }
  const bad = await admin().post(`/incidents/${encodeURIComponent(double._id)}/resolve`, { note: 'coupon', action: 'claw_back' });
  expect([bad.status, bad.body.error.field]).toEqual([400, 'points']);
  expect((await admin().get(`/incidents/${encodeURIComponent(double._id)}`)).body.incident.status).toBe('open');

  // S001's manager claws back as many points as went below zero, named: there is no default.
  const manager = await operator('manager-s001', 'store_manager', 'store:S001');
  const points = -overspend.details.balance as number;
  expect((await manager.post(`/incidents/${encodeURIComponent(overspend._id)}/resolve`, { note: 'no points named', action: 'claw_back' })).body.error.field).toBe('points');
  const resolved = await manager.post(`/incidents/${encodeURIComponent(overspend._id)}/resolve`, { note: 'Two tills offline; taking the points back.', action: 'claw_back', points });
  expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
  const factId = `pts:${m}:adjust:overspend:${m}`;
  expect(resolved.body.incident).toMatchObject({ status: 'resolved', resolvedBy: 'manager-s001', resolution: { action: 'claw_back', points, factId, note: 'Two tills offline; taking the points back.' } });
  expect(resolved.body.incident.pending).toBeUndefined();
  expect(resolved.body.facts).toContainEqual(expect.objectContaining({ _id: factId, type: 'pts', reason: 'adjust', delta: -points, storeId: 'HQ', ref: overspend._id }));
  await eventually(async () => ((await agreed()) === before - points ? true : undefined), 30_000, 'the claw-back in every balance');
  for (const i of [0, 1]) expect((await storePoints(i, m)).ledger).toContainEqual(expect.objectContaining({ id: factId, delta: -points, reason: 'adjust', storeId: 'HQ', ref: overspend._id }));

  // Again: refused, nothing written.
  const again = await admin().post(`/incidents/${encodeURIComponent(overspend._id)}/resolve`, { note: 'again', action: 'claw_back', points: 5 });
  expect([again.status, again.body.error.code]).toEqual([409, 'incident_resolved']);
  expect(again.body.incident).toMatchObject({ resolvedBy: 'manager-s001', resolution: { points } });
  const shown = (await admin().get(`/incidents/${encodeURIComponent(overspend._id)}`)).body;
  expect(shown.incident.resolvedAt).toBe(resolved.body.incident.resolvedAt);
  expect(shown.incident.resolution.note).toBe('Two tills offline; taking the points back.');

  // The double redemption written off: a fact of its own with the coupon's discount; no balance moves.
  const off = await admin().post(`/incidents/${encodeURIComponent(double._id)}/resolve`, { note: 'Coupon used twice offline; written off.', action: 'write_off' });
  expect(off.status, JSON.stringify(off.body)).toBe(200);
  expect(off.body.incident).toMatchObject({ status: 'resolved', resolvedBy: 'token', resolution: { action: 'write_off', cents: 2000, factId: `writeoff:coupon_double_redeem:${code}` } });
  expect(off.body.facts).toContainEqual(expect.objectContaining({ _id: `writeoff:coupon_double_redeem:${code}`, type: 'writeoff', cents: 2000, incidentId: double._id, memberId: m, reason: 'Coupon used twice offline; written off.' }));
  await new Promise((r) => setTimeout(r, 1500));
  expect(await agreed()).toBe(before - points);
  for (const i of [0, 1]) expect((await storePoints(i, m)).ledger.filter((e) => e.reason === 'adjust')).toHaveLength(1);

  // The second member's overspend written off: HQ bears the loss, so the debt is forgiven (an
  // adjustment of the points still owed, at the hub and both tills) and the loss is a fact of its own.
  const owed = await eventually(() => agreedOf(m2), 30_000, "the second member's balances agreeing");
  expect(owed).toBeLessThan(0);
  const forgiven = await admin().post(`/incidents/${encodeURIComponent(overspend2._id)}/resolve`, { note: 'Two tills offline; HQ bears it.', action: 'write_off' });
  expect(forgiven.status, JSON.stringify(forgiven.body)).toBe(200);
  const adjustId = `pts:${m2}:adjust:overspend:${m2}`;
  expect(forgiven.body.incident.resolution).toMatchObject({ action: 'write_off', points: -owed, factId: `writeoff:overspend:${m2}` });
  expect(forgiven.body.facts).toContainEqual(expect.objectContaining({ _id: `writeoff:overspend:${m2}`, type: 'writeoff', points: -owed, memberId: m2 }));
  expect(forgiven.body.facts).toContainEqual(expect.objectContaining({ _id: adjustId, reason: 'adjust', delta: -owed, storeId: 'HQ' }));
  await eventually(async () => ((await agreedOf(m2)) === 0 ? true : undefined), 30_000, 'the debt forgiven in every balance');
  for (const i of [0, 1]) expect((await storePoints(i, m2)).ledger).toContainEqual(expect.objectContaining({ id: adjustId, delta: -owed, reason: 'adjust' }));
  // The first member's balances did not move.
  expect(await agreed()).toBe(before - points);

  // The list says who resolved what; the claw-back raised no incident of its own; both resolves were audited.
  const list = (await admin().get('/incidents?status=resolved')).body.incidents as any[];
  expect(list.map((i) => [i._id, i.resolvedBy]).sort()).toEqual([[double._id, 'token'], [overspend._id, 'manager-s001'], [overspend2._id, 'token']].sort());
  expect(((await admin().get('/incidents?kind=overspend')).body.incidents as any[]).filter((i) => i.storeId === 'HQ' || i.stores.includes('HQ'))).toEqual([]);
  const audit = (await admin().get('/audit?limit=1000')).body.entries as any[];
  expect(audit.filter((e) => e.route === '/admin/v1/incidents/:id/resolve').map((e) => e.status).sort()).toEqual(expect.arrayContaining([200, 200, 200, 403, 404, 409]));
});

it('a store that pushes an adjustment of its own is refused at the gateway, and it reaches no balance', async () => {
  const victim = seedId(8);
  const before = await hubBalance(victim);
  const now = new Date().toISOString();
  const docs = [
    { _id: `pts:${victim}:adjust:gift`, type: 'pts', memberId: victim, delta: 50_000, reason: 'adjust', ref: 'incident:overspend:x', storeId: 'S001', at: now, day: now.slice(0, 10) },
    { _id: `pts:${victim}:adjust:overspend:${victim}`, type: 'pts', memberId: victim, delta: -500, reason: 'adjust', ref: `incident:overspend:${victim}`, storeId: 'HQ', at: now, day: now.slice(0, 10) },
  ];
  const { results } = await pushAsStore(hub.url, stores[0]!.dir, docs);
  expect(results.map((r) => r.error)).toEqual(['forbidden', 'forbidden']);
  await new Promise((r) => setTimeout(r, 1500));
  expect(await hubBalance(victim)).toBe(before);
});

it('an overspend judged on what the hub had is withdrawn when a store that was away brings points earned before it, and opened again when the facts show it after all', { timeout: 180_000 }, async () => {
  const m3 = seedId(9);
  expect((await pos(1).post('/v1/members/identify', { phone: seedPhone(9) })).status).toBe(200);
  await eventually(() => agreedOf(m3), 30_000, 'the member at both stores');
  const overspends = async () => ((await admin().get('/incidents?kind=overspend')).body.incidents as any[]).filter((i) => i.memberId === m3);

  // S002 sells to the member while the hub is down, then its box is off until later.
  await hub.kill();
  await eventually(async () => ((await syncState(1)) === 'offline' ? true : undefined), 20_000, 'S002 offline');
  const away = await pos(1).post('/v1/checkouts', { memberId: m3, receiptNo: 'W1', lines: [{ sku: 'A', qty: 1, unitPrice: 100_000 }] });
  expect(away.status).toBe(201);
  const earnedAway = away.body.checkout.pointsEarned as number;
  await stores[1]!.edge!.stop();

  // Later, at S001 with the hub back: points earned, all spent, then the sale refunded, so
  // that what S001 and the hub know goes below zero. With S002's earlier sale it never did.
  hub = await startHub(hubDir, hubPort);
  await eventually(async () => ((await syncState(0)) === 'online' ? true : undefined), 30_000, 'S001 online');
  const sale = await pos(0).post('/v1/checkouts', { memberId: m3, receiptNo: 'W2', lines: [{ sku: 'A', qty: 1, unitPrice: 50_000 }] });
  expect(sale.status).toBe(201);
  const had = sale.body.checkout.member.points.balance as number;
  const spend = await pos(0).post('/v1/checkouts', { memberId: m3, receiptNo: 'W3', lines: [{ sku: 'B', qty: 1, unitPrice: had * 2 }], pointsToRedeem: had });
  expect(spend.status, JSON.stringify(spend.body)).toBe(201);
  const refund = await pos(0).post(`/v1/checkouts/${sale.body.checkout.id}/refunds`, { refundNo: 'WR2' });
  expect(refund.status, JSON.stringify(refund.body)).toBe(201);
  const short = (await storePoints(0, m3)).balance;
  expect(short).toBeLessThan(0);
  expect(short + earnedAway).toBeGreaterThan(0);
  const [judged] = await eventually(async () => {
    const found = await overspends();
    return found[0]?.status === 'open' ? found : undefined;
  }, 30_000, 'the overspend on what the hub has');
  expect(judged.details.balance).toBe(short);

  // S002 comes back: its sale, earlier than all of S001's, shows no overspend. No one had acted on
  // the incident, so the hub withdraws it; it is still there to read, and it cannot be resolved.
  stores[1]!.edge = await startEdge(stores[1]!.dir, EDGE_FLAGS);
  const [withdrawn] = await eventually(async () => {
    const found = await overspends();
    return found[0]?.status === 'withdrawn' ? found : undefined;
  }, 30_000, 'the overspend withdrawn');
  expect(withdrawn).toMatchObject({ _id: judged._id, detectedAt: judged.detectedAt, summary: judged.summary, withdrawnAt: expect.any(String) });
  expect(((await admin().get('/incidents?status=open')).body.incidents as any[]).map((i) => i._id)).not.toContain(judged._id);
  expect(((await admin().get('/incidents?status=withdrawn')).body.incidents as any[]).map((i) => i._id)).toContain(judged._id);
  const balance = await eventually(async () => {
    const b = await agreedOf(m3);
    return b === short + earnedAway ? b : undefined;
  }, 30_000, 'balances agreeing with S002 back');
  const refused = await admin().post(`/incidents/${encodeURIComponent(judged._id)}/resolve`, { note: 'too late', action: 'claw_back', points: 10 });
  expect([refused.status, refused.body.error.code]).toEqual([409, 'incident_withdrawn']);
  await new Promise((r) => setTimeout(r, 1500));
  expect(await agreedOf(m3)).toBe(balance);
  expect((await storePoints(0, m3)).ledger.filter((e) => e.reason === 'adjust')).toEqual([]);

  // Now a sale at S001, everything spent, and the sale refunded: below zero with every fact in,
  // and the same incident opens again with what the facts show now.
  const sale2 = await pos(0).post('/v1/checkouts', { memberId: m3, receiptNo: 'W4', lines: [{ sku: 'A', qty: 1, unitPrice: 50_000 }] });
  const all = sale2.body.checkout.member.points.balance as number;
  expect((await pos(0).post('/v1/checkouts', { memberId: m3, receiptNo: 'W5', lines: [{ sku: 'B', qty: 1, unitPrice: all * 2 }], pointsToRedeem: all })).status).toBe(201);
  expect((await pos(0).post(`/v1/checkouts/${sale2.body.checkout.id}/refunds`, { refundNo: 'WR4' })).status).toBe(201);
  const [reopened] = await eventually(async () => {
    const found = await overspends();
    return found[0]?.status === 'open' ? found : undefined;
  }, 30_000, 'the overspend open again');
  expect(reopened).toMatchObject({ _id: judged._id, reopenedAt: expect.any(String), receipt: expect.stringContaining('WR4') });
  expect(reopened.details.balance).toBeLessThan(0);
  expect(await overspends()).toHaveLength(1);
});
