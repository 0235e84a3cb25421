import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, addMonths, localDate } from '../../shared/local-time.ts';
import { seedMemberId, seedPhone } from '../../shared/seed-members.ts';
import { client, edgeCliOk, lastLine, startEdge } from '../support/edge-node.ts';
import { pushAsStore, startTwoStoreFleet, stopFleet, syncStateOf, type FleetStore } from '../support/fleet.ts';
import { signInGuide } from '../support/guide-session.ts';
import { adminClient, eventually, startHub, type HubProcess } from '../support/hub.ts';
import { OperatorSession } from '../support/operator-session.ts';

/*
 * Vesting (issue 13, decision 018) with a real hub and two stores: points a receipt earns are
 * pending for the rules' vesting days, at the till, on the guide's page and at the hub, and
 * cannot be spent; a refund before they vest cancels them everywhere with no incident, online or
 * with the hub down; after the vesting day (the node's clock moved on with libfaketime) they can
 * be spent, and the hub, judging by the days the facts carry, records no overspend.
 */

const EDGE_FLAGS = ['--heartbeat-interval', '1', '--identify-rate', '100000', '--identify-burst', '1000'];
const FAKETIME_LIB = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const VESTING_DAYS = 7;
const M = seedMemberId(1); // S001's member
const PHONE = seedPhone(1);
const TZ = 'Asia/Shanghai';

let hubDir: string;
let hubPort: number;
let hub: HubProcess;
let stores: FleetStore[] = [];
let guide: { cookie: string; csrf: string };
let before: number; // the member's spendable balance before the receipts of this test
let hubSumAfterSpend = NaN;

const admin = () => adminClient(hub);
const pos = (s: number) => client(stores[s]!.edge!.url, stores[s]!.token);
const today = () => localDate(new Date(), TZ);
const identify = async (s: number) => {
  const res = await pos(s).post('/v1/members/identify', { phone: PHONE });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.member.points as { balance: number; pending: number; nextVesting: { on: string; points: number } | null };
};
const hubPoints = async () => (await admin().get(`/members/${M}`)).body.member.points as { balance: number; pending: number; nextVesting: { on: string; points: number } | null };
/** Incidents that would say the stores and the hub disagree (a clock 8 days ahead is its own kind, expected in the last test). */
const disagreements = async () =>
  ((await admin().get('/incidents')).body.incidents as { kind: string; summary: string }[]).filter((i) => ['overspend', 'quarantined_fact', 'refused_document'].includes(i.kind)).map((i) => `${i.kind}: ${i.summary}`);
const guidePage = async () => {
  const res = await fetch(`${stores[0]!.edge!.url}/guide/m/${M}`, { headers: { cookie: guide.cookie } });
  expect(res.status).toBe(200);
  const html = await res.text();
  return { balance: /data-balance="(-?\d+)"/.exec(html)?.[1], pending: /data-pending="(-?\d+)"/.exec(html)?.[1], html };
};
/** The console's member page as an analyst sees it (server-rendered HTML). */
async function consolePending(): Promise<string | undefined> {
  const name = `analyst-${Date.now()}`;
  const added = await admin().post('/operators', { name, role: 'analyst' });
  expect(added.status, JSON.stringify(added.body)).toBe(201);
  const s = new OperatorSession(hub.url);
  expect((await s.login(name, added.body.password)).status).toBe(200);
  expect((await s.call('POST', '/console/api/password', { current: added.body.password, next: 'an analyst chose this' })).status).toBe(200);
  const res = await fetch(`${hub.url}/console/members/${M}`, { headers: { cookie: `memberedge_session=${s.cookie}` } });
  expect(res.status).toBe(200);
  return /data-pending="(-?\d+)"/.exec(await res.text())?.[1];
}
const line = (unitPrice: number) => [{ sku: 'TEA-1', category: 'tea', qty: 2, unitPrice }];

beforeAll(async () => {
  ({ hubDir, hubPort, hub, stores } = await startTwoStoreFleet(EDGE_FLAGS));
  const rules = (await admin().get('/rules')).body.rules;
  const saved = await admin().put('/rules', { rules: { ...rules, vestingDays: VESTING_DAYS } });
  expect(saved.status, JSON.stringify(saved.body)).toBe(200);
  for (const s of stores) {
    await eventually(async () => ((await (await fetch(`${s.edge!.url}/healthz`)).json()) as { rulesVersion: number }).rulesVersion === saved.body.rules.version || undefined, 20_000, `${s.id} has the vesting rules`);
  }
  guide = await signInGuide(stores[0]!.edge!.url, 'vera', lastLine(await edgeCliOk(['guide', 'add', 'vera', '--data', stores[0]!.dir])));
  before = (await identify(0)).balance;
  // S002 knows the member through the hub's lookup from here on.
  expect((await identify(1)).balance).toBe(before);
}, 180_000);
afterAll(async () => {
  await stopFleet(hub, hubDir, stores);
});

describe('points that have not vested', () => {
  it('are pending at the till, on the guide page, at the hub and on the console, and cannot be spent at either store', async () => {
    const sold = await pos(0).post('/v1/checkouts', { receiptNo: 'V1', memberId: M, lines: line(15_000) });
    expect(sold.status, JSON.stringify(sold.body)).toBe(201);
    expect(sold.body.checkout.pointsEarned).toBe(300);
    expect(sold.body.checkout.member.points).toEqual({ balance: before, pending: 300 });
    const vestsOn = addDays(today(), VESTING_DAYS);

    expect(await identify(0)).toEqual({ balance: before, pending: 300, nextVesting: { on: vestsOn, points: 300 } });
    const statement = (await pos(0).get(`/v1/members/${M}/points`)).body;
    expect(statement).toMatchObject({ balance: before, pending: 300, nextVesting: { on: vestsOn, points: 300 } });
    expect(statement.ledger.find((e: { reason: string }) => e.reason === 'earn')).toMatchObject({ delta: 300, vestsOn, expiresOn: addMonths(vestsOn, 24) }); // expiry counts from the vesting day
    const page = await guidePage();
    expect(page).toMatchObject({ balance: String(before), pending: '300' });
    expect(page.html).toContain('300 pending: 300 become spendable on');

    // Spending what is pending is refused with the spendable balance; so is it at the other store.
    const want = before + 100;
    for (const s of [0, 1]) {
      await eventually(async () => ((await identify(s)).pending === 300 ? true : undefined), 20_000, `S00${s + 1} sees the pending points`);
      const refused = await pos(s).post('/v1/checkouts', { receiptNo: `V1-SPEND-${s}`, memberId: M, lines: line(100_000), pointsToRedeem: want });
      expect(refused.status, JSON.stringify(refused.body)).toBe(422);
      expect(refused.body.error).toMatchObject({ code: 'insufficient_points', balance: before, pending: 300 });
    }
    await eventually(async () => ((await hubPoints()).pending === 300 ? true : undefined), 20_000, 'the hub sees the pending points');
    expect(await hubPoints()).toEqual({ balance: before, pending: 300, nextVesting: { on: vestsOn, points: 300 } });
    expect(await consolePending()).toBe('300');
  });

  it('a refund before vesting, at the other store, cancels them at both stores and at the hub, with no incident', async () => {
    const refunded = await pos(1).post('/v1/checkouts/S001:T1:V1/refunds', { refundNo: 'F1' });
    expect(refunded.status, JSON.stringify(refunded.body)).toBe(201);
    expect(refunded.body.refund.pointsClawedBack).toBe(300);
    expect(refunded.body.refund.member.points).toEqual({ balance: before });
    for (const s of [0, 1]) await eventually(async () => (JSON.stringify(await identify(s)) === JSON.stringify({ balance: before, pending: 0, nextVesting: null }) ? true : undefined), 20_000, `S00${s + 1} has the refund`);
    await eventually(async () => ((await hubPoints()).pending === 0 ? true : undefined), 20_000, 'the hub has the refund');
    expect(await hubPoints()).toEqual({ balance: before, pending: 0, nextVesting: null });
    const claw = (await pos(0).get(`/v1/members/${M}/points`)).body.ledger.find((e: { reason: string }) => e.reason === 'clawback');
    expect(claw).toMatchObject({ delta: -300, vestsOn: addDays(today(), VESTING_DAYS) });
    expect((await guidePage()).pending).toBeUndefined();
    expect(await consolePending()).toBeUndefined();
    await new Promise((r) => setTimeout(r, 1500)); // the ingest's checks of what it took in
    expect(await disagreements()).toEqual([]);
  });

  it('works the same with the hub down: pending, not spendable, cancelled by a refund; the hub then agrees', async () => {
    await hub.stop();
    await eventually(async () => ((await syncStateOf(stores[0]!)) !== 'online' ? true : undefined), 20_000, 'S001 offline');
    const sold = await pos(0).post('/v1/checkouts', { receiptNo: 'V2', memberId: M, lines: line(10_000) });
    expect(sold.status, JSON.stringify(sold.body)).toBe(201);
    expect(await identify(0)).toMatchObject({ balance: before, pending: 200 });
    const refused = await pos(0).post('/v1/checkouts', { receiptNo: 'V2-SPEND', memberId: M, lines: line(100_000), pointsToRedeem: before + 100 });
    expect(refused.body.error).toMatchObject({ code: 'insufficient_points', balance: before, pending: 200 });
    const part = await pos(0).post('/v1/checkouts/S001:T1:V2/refunds', { refundNo: 'F1', lines: [{ sku: 'TEA-1', qty: 1 }] });
    expect(part.status, JSON.stringify(part.body)).toBe(201);
    expect(part.body.refund.pointsClawedBack).toBe(100);
    expect(await identify(0)).toMatchObject({ balance: before, pending: 100 });

    hub = await startHub(hubDir, hubPort);
    await eventually(async () => ((await hubPoints()).pending === 100 ? true : undefined), 30_000, 'the hub has the offline receipt and refund');
    expect((await hubPoints()).balance).toBe(before);
    await eventually(async () => ((await identify(1)).pending === 100 ? true : undefined), 20_000, 'S002 has them');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await disagreements()).toEqual([]);
  });
});

describe('points that have vested', () => {
  it('after the vesting day they can be spent, and the hub, judging by the days the facts carry, records no overspend', async () => {
    if (!existsSync(FAKETIME_LIB)) throw new Error(`${FAKETIME_LIB} is needed to move a node's clock`);
    const s1 = stores[0]!;
    await s1.edge!.stop();
    s1.edge = await startEdge(s1.dir, EDGE_FLAGS, { LD_PRELOAD: FAKETIME_LIB, FAKETIME: `+${VESTING_DAYS + 1}d` });
    await eventually(async () => ((await syncStateOf(s1)) === 'online' ? true : undefined), 20_000, 'S001 online again');

    // The offline receipt's 100 points that the refund left have vested; nothing else is pending.
    expect(await identify(0)).toEqual({ balance: before + 100, pending: 0, nextVesting: null });
    guide = await signInGuide(s1.edge.url, 'vera', 'vera chose a password'); // sessions end with the node
    expect(await guidePage()).toMatchObject({ balance: String(before + 100), pending: undefined });
    const spend = before + 100 - ((before + 100) % 100); // points pay whole cents: 100 make 1 RMB
    const spent = await pos(0).post('/v1/checkouts', { receiptNo: 'V3', memberId: M, lines: line(100_000), pointsToRedeem: spend });
    expect(spent.status, JSON.stringify(spent.body)).toBe(201);
    expect(spent.body.checkout.pointsRedeemed).toBe(spend);
    const earned = spent.body.checkout.pointsEarned as number;
    // V3 earns points of its own, pending again.
    expect(spent.body.checkout.member.points).toEqual({ balance: before + 100 - spend, pending: earned });

    // The hub's clock is 8 days behind S001's: there the 100 points are still pending, so what
    // it shows spendable is what S001 shows less them; the sum is the same, and no incident.
    // The receipt's documents are one write at the till, but a live push may carry them in two
    // batches (PouchDB sends what its feed has told of so far): wait for the spend and the earning.
    const receiptFacts = [`pts:${M}:redeem:S001:T1:V3`, `pts:${M}:earn:S001:T1:V3`];
    await eventually(async () => {
      const ids = new Set(((await admin().get(`/members/${M}`)).body.facts as { id: string }[]).map((f) => f.id));
      return receiptFacts.every((id) => ids.has(id)) ? true : undefined;
    }, 20_000, 'the hub has the spend and the earning');
    const atHub = await hubPoints();
    expect(atHub).toMatchObject({ balance: before - spend, pending: 100 + earned });
    hubSumAfterSpend = atHub.balance + atHub.pending;
    await new Promise((r) => setTimeout(r, 2000));
    expect(await disagreements()).toEqual([]);
  });
});

// Last: the forged facts reach S001's replica through its database at the hub.
describe('what the hub trusts', () => {
  it('a store that writes its points as spendable at once is caught: the order and its points are quarantined', async () => {
    const push = async (docs: unknown[]) => (await pushAsStore(hub.url, stores[0]!.dir, docs)).results;
    const version = (await admin().get('/rules')).body.rules.version as number;
    const at = new Date().toISOString();
    // Priced as the rules price it, but without the vesting day they give.
    const order = {
      _id: 'order:S001:T1:FORGED-V', type: 'order', storeId: 'S001', terminalId: 'T1', receiptNo: 'FORGED-V', memberId: M, at, day: today(),
      lines: [{ sku: 'TEA-1', qty: 1, unitPriceCents: 50_000, totalCents: 50_000, discountCents: 0, payableCents: 50_000 }],
      totalCents: 50_000, couponDiscountCents: 0, pointsCashCents: 0, payableCents: 50_000, pointsEarned: 500, pointsRedeemed: 0, coupons: [], tier: 'L2', rulesVersion: version, requestHash: 'x',
    };
    const earn = { _id: `pts:${M}:earn:S001:T1:FORGED-V`, type: 'pts', memberId: M, delta: 500, reason: 'earn', ref: order._id, storeId: 'S001', at, day: today() };
    expect((await push([order, earn])).every((r) => r.ok)).toBe(true);
    const quarantined = await eventually(async () => {
      const list = ((await admin().get('/incidents?kind=quarantined_fact')).body.incidents as { details: { id: string; reason: string } }[]).filter((i) => i.details.id === order._id || i.details.id === earn._id);
      return list.length === 2 ? list : undefined;
    }, 20_000, 'the forged order and points quarantined');
    expect(quarantined.find((q) => q.details.id === order._id)!.details.reason).toMatch(/pointsVestOn/);
    // A vesting day on points that never vest is refused at the gateway, that document alone.
    const survey = { _id: `pts:${M}:int:survey:forged`, type: 'pts', memberId: M, delta: 50, reason: 'interaction', ref: `event:S001:${M}:int:survey:forged`, storeId: 'S001', at, day: today(), vestsOn: addDays(today(), 3) };
    const [refused] = await push([survey]);
    expect(refused!.ok).toBeUndefined();
    expect(refused!.reason).toMatch(/does not vest/);
    expect((await hubPoints()).balance + (await hubPoints()).pending).toBe(hubSumAfterSpend);
  });
});
