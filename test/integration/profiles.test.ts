import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { localDate } from '../../shared/local-time.ts';
import { client } from '../support/edge-node.ts';
import { adminClient, eventually, hubCliOk, startHub, type HubProcess } from '../support/hub.ts';
import { newOperator } from '../support/operator-session.ts';
import { NIGHTLY_WHEN_ASKED, recomputeProfiles, startTwoStoreFleet, stopFleet, type FleetStore } from '../support/fleet.ts';

/*
 * Member profiles end to end (issue 12): one person buys at two stores and on Tmall (an imported
 * order with their phone); the hub's profile of that golden member counts all three, the timeline
 * lists them in order and pages without a gap, a store manager sees only their store's entries,
 * and a hub restarted (every list rebuilt from the databases, as the nightly run does) answers
 * exactly the same.
 */

const TZ = 'Asia/Shanghai';
const PHONE = '+86 137 0000 6666';
const PHONE_E164 = '+8613700006666';
const lines = (sku: string, category: string, yuan: number, qty = 1) => [{ sku, category, qty, unitPrice: yuan * 100 }];

let hubDir: string;
let hubPort: number;
let hub: HubProcess;
let stores: FleetStore[] = [];
const pos = (i: number) => client(stores[i]!.edge!.url, stores[i]!.token);
const admin = () => adminClient(hub);

const operator = (name: string, role: string, scope?: string) => newOperator(hub, name, role, { scope });

/** Every page of a timeline, `limit` at a time. */
async function wholeTimeline(get: (path: string) => Promise<{ status: number; body: any }>, id: string, limit: number) {
  const out: any[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const res = await get(`/admin/v1/members/${id}/timeline?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.entries.length).toBeLessThanOrEqual(limit);
    out.push(...res.body.entries);
    cursor = res.body.next;
    if (!cursor) return out;
  }
  throw new Error('timeline does not end');
}

beforeAll(async () => {
  // The nightly recompute when the test asks (between reads that must agree).
  ({ hubDir, hubPort, hub, stores } = await startTwoStoreFleet(['--heartbeat-interval', '1'], NIGHTLY_WHEN_ASKED));
}, 180_000);

afterAll(() => stopFleet(hub, hubDir, stores));

it('receipts at two stores and a Tmall order of one person make that golden member\'s metrics; the timeline lists them in order; a rebuild gives the same', { timeout: 300_000 }, async () => {
  const today = localDate(new Date(), TZ);
  // One person joins at S001's till (One-ID hears of the registration through ingest); another joins there too.
  const joined = await pos(0).post('/v1/members', { phone: PHONE, name: 'Li Profile' });
  expect(joined.status, JSON.stringify(joined.body)).toBe(201);
  const me: string = joined.body.member.id;
  const other = await pos(0).post('/v1/members', { phone: '+86 137 0000 6667', name: 'Wang Other' });
  expect(other.status).toBe(201);
  const api = (p: string) => admin().get(p.replace('/admin/v1', ''));

  // Before: a member with no purchase.
  let seen0: unknown;
  const before = await eventually(async () => {
    const r = await api(`/admin/v1/members/${me}/profile`);
    seen0 = r.body;
    return r.status === 200 ? r.body : undefined;
  }, 60_000, 'the profile answers').catch((err) => {
    throw new Error(`${err}: ${JSON.stringify(seen0)}`);
  });
  expect(before.profile).toMatchObject({ orders: 0, spend: 0, isMember: 1, homeStore: 'S001' });

  // S001: two lines (an attach), then a refund of one; S002 (the member looked up there first): one receipt.
  const a1 = await pos(0).post('/v1/checkouts', { receiptNo: 'P1', memberId: me, lines: [...lines('BEANS-1KG', 'coffee/beans', 120), ...lines('MUG-1', 'cups', 30)] });
  expect(a1.status, JSON.stringify(a1.body)).toBe(201);
  const refund = await pos(0).post(`/v1/checkouts/${a1.body.checkout.id}/refunds`, { refundNo: 'R1', lines: [{ sku: 'MUG-1', qty: 1 }] });
  expect(refund.status, JSON.stringify(refund.body)).toBe(201);
  await eventually(async () => ((await pos(1).post('/v1/members/identify', { phone: PHONE })).status === 200 ? true : undefined), 30_000, 'S002 finds the member at the hub');
  const b1 = await pos(1).post('/v1/checkouts', { receiptNo: 'P2', memberId: me, lines: lines('TEA-1', 'tea', 60, 2) });
  expect(b1.status, JSON.stringify(b1.body)).toBe(201);

  // Tmall: a paid order with the member's phone (One-ID links it), and a cancelled one (no order).
  const at = new Date().toISOString();
  const order = (tid: string, status: string, payment: string) =>
    JSON.stringify({ tid, created: at, status, total_fee: '100.00', payment, discount_fee: '11.50', buyer_nick: 'nick-profile', receiver_mobile: PHONE_E164, orders: [{ outer_sku_id: 'BEANS-1KG', num: 1, price: '100.00', category: 'coffee/beans' }] });
  const file = join(hubDir, 'tmall-orders.ndjson');
  writeFileSync(file, [order('PT1', 'TRADE_FINISHED', '88.50'), order('PT2', 'TRADE_CLOSED', '100.00')].join('\n') + '\n');
  await hubCliOk(hub, ['import', 'tmall-orders', file]);

  const mug = 30 * 100;
  const storeSpend = (120 + 30 + 120) * 100 - refund.body.refund.refund;
  let last: unknown;
  const after = await eventually(async () => {
    const r = await api(`/admin/v1/members/${me}/profile`);
    last = r.body;
    return r.status === 200 && r.body.profile.orders === 3 ? r.body : undefined;
  }, 60_000, 'three orders in the profile').catch((err) => {
    throw new Error(`${err}: ${JSON.stringify(last)}`);
  });
  expect(refund.body.refund.refund).toBe(mug);
  const p = after.profile;
  expect(p.spend).toBe(storeSpend + 8850);
  expect(p).toMatchObject({ orders30: 3, orders365: 3, spend30: storeSpend + 8850, lastPurchaseDay: today, firstPurchaseDay: today, daysSinceLastPurchase: 0, refunds: 1, homeStore: 'S001' });
  expect(p.avgOrderValue).toBe(Math.floor((storeSpend + 8850) / 3));
  // Items: 1 (the mug went back) + 2 + 1 over three orders.
  expect(p.itemsPerOrder).toBe(Math.floor((4 * 100) / 3));
  expect(p.channels).toEqual(['marketplace', 'store']);
  expect(p.channelShare).toEqual(expect.arrayContaining([['store', 6666], ['marketplace', 3333], ['tmall', 3333]]));
  expect(p.storesVisited).toEqual(['S001', 'S002']);
  expect(p.categoryScore.map(([k]: [string, number]) => k)).toEqual(['coffee/beans', 'tea']);
  expect(p.refundRate).toBe(Math.floor((mug * 10_000) / (150 * 100 + 120 * 100 + 8850)));
  expect(p.pointsEarned).toBeGreaterThan(0);
  expect(after.sources).toEqual(expect.arrayContaining(['pos', 'tmall-orders']));

  // The timeline: every entry once, in order, the same whole as in pages of two.
  const all = await wholeTimeline(api, me, 200);
  const paged = await wholeTimeline(api, me, 2);
  expect(paged).toEqual(all);
  const keys = all.map((e: any) => `${e.day}|${e.kind}|${e.ref}`);
  expect(new Set(keys).size).toBe(keys.length);
  const kinds = all.map((e: any) => e.kind);
  expect(kinds.indexOf('registration')).toBe(0);
  expect(kinds.filter((k: string) => k === 'purchase')).toHaveLength(3);
  expect(kinds.filter((k: string) => k === 'refund')).toHaveLength(1);
  expect(kinds).toContain('merge');
  expect(kinds).toContain('points');
  // Days never go back; on one day registrations and merges come before purchases, purchases before refunds and points.
  const order0 = ['registration', 'merge', 'split', 'purchase', 'refund', 'points'];
  for (let i = 1; i < all.length; i++) {
    const [x, y] = [all[i - 1], all[i]];
    expect(x.day <= y.day).toBe(true);
    if (x.day === y.day && order0.includes(x.kind) && order0.includes(y.kind)) expect(order0.indexOf(x.kind)).toBeLessThanOrEqual(order0.indexOf(y.kind));
  }
  expect(all.filter((e: any) => e.kind === 'purchase').map((e: any) => e.channel).sort()).toEqual(['store', 'store', 'tmall']);
  // A merge's key is masked for a role that does not reveal personal data.
  const analyst = await operator('hq-analyst', 'analyst');
  const seen = await analyst.call('GET', `/admin/v1/members/${me}/timeline?limit=200`);
  expect(seen.status).toBe(200);
  expect(JSON.stringify(seen.body)).not.toContain(PHONE_E164.slice(3));

  // S002's store manager: the member (served there) with S002's entries and none of S001's.
  const manager = await operator('s002-manager', 'store_manager', 'store:S002');
  const mine = await manager.call('GET', `/admin/v1/members/${me}/timeline?limit=200`);
  expect(mine.status, JSON.stringify(mine.body)).toBe(200);
  expect(mine.body.entries.some((e: any) => e.store === 'S002')).toBe(true);
  expect(mine.body.entries.some((e: any) => e.store === 'S001')).toBe(false);
  const theirs = await manager.call('GET', `/admin/v1/members/${me}/profile`);
  expect(theirs.status).toBe(200);
  expect(theirs.body.profile.storesVisited).toEqual(['S002']);
  // A member S002 never served is not found to them, as one that does not exist (HQ finds them).
  expect((await api(`/admin/v1/members/${other.body.member.id}/profile`)).status).toBe(200);
  expect((await manager.call('GET', `/admin/v1/members/${other.body.member.id}/profile`)).status).toBe(404);
  expect((await manager.call('GET', `/admin/v1/members/${other.body.member.id}/timeline`)).status).toBe(404);
  expect((await api(`/admin/v1/members/${me}/timeline?cursor=bm9wZQ`)).status).toBe(400);

  // The console's 360 shows the panel.
  const html = await (await fetch(`${hub.url}/console/members/${me}`, { headers: { cookie: `memberedge_session=${analyst.cookie}` } })).text();
  expect(html).toContain('id="metrics"');
  expect(html).toMatch(/data-metric="orders">3</);

  // Between nightly runs a member's RFM is scored against the last run's cuts (decision 024), and a
  // restart cuts again over the whole base: so compare with a profile read after a nightly run.
  // The run, over every fact from the databases, finds what the facts as they came made.
  await recomputeProfiles(admin());
  const settled = (await api(`/admin/v1/members/${me}/profile`)).body;
  const { rfmR: _r, rfmF: _f, rfmM: _m, rfmSegment: _s, ...byFacts } = p;
  expect(settled.profile).toMatchObject(byFacts);

  // Everything rebuilt from the databases (as the nightly run does): the same profile and timeline.
  // The snapshot the stop wrote is removed, or the start would read the facts from it (decision 029; its own test).
  const history = await wholeTimeline(api, me, 200);
  await hub.stop();
  rmSync(join(hubDir, 'snapshots'), { recursive: true, force: true });
  hub = await startHub(hubDir, hubPort, ['--profiles-nightly', '0 3 * * *', '--profiles-zone', 'Asia/Shanghai']);
  const rebuilt = await eventually(async () => {
    const r = await api(`/admin/v1/members/${me}/profile`);
    return r.status === 200 ? r.body : undefined;
  }, 60_000, 'the profile after a restart');
  expect(rebuilt.profile).toEqual(settled.profile);
  // Merges are One-ID's spanning links: a reload may pick other pairs of the same records (as many).
  // Tag and stage changes are what the runs recorded (the nightly one since `all` was read may have
  // moved RFM tags with new cuts): kept as they were, not rebuilt.
  const recorded = (e: any) => ['tag_entered', 'tag_left', 'stage_change'].includes(e.kind);
  const facts = (es: any[]) => es.filter((e) => e.kind !== 'merge' && !recorded(e));
  const again = await wholeTimeline(api, me, 200);
  expect(facts(again)).toEqual(facts(all));
  expect(again.filter((e) => e.kind === 'merge')).toHaveLength(all.filter((e: any) => e.kind === 'merge').length);
  expect(again.filter(recorded)).toEqual(expect.arrayContaining(history.filter(recorded)));
});

it('a CRM import that finds two buyers to be one person: their profile counts both stores\' receipts, and the tags recorded once the import has ended say so', { timeout: 300_000 }, async () => {
  const api = (p: string) => admin().get(p);
  const a = await pos(0).post('/v1/members', { phone: '+86 137 0000 7771', name: 'Zhao A' });
  const b = await pos(1).post('/v1/members', { phone: '+86 137 0000 7772', name: 'Zhao B' });
  expect([a.status, b.status]).toEqual([201, 201]);
  const [ma, mb] = [a.body.member.id as string, b.body.member.id as string];
  expect((await pos(0).post('/v1/checkouts', { receiptNo: 'Z1', memberId: ma, lines: lines('TEA-1', 'tea', 40) })).status).toBe(201);
  expect((await pos(1).post('/v1/checkouts', { receiptNo: 'Z2', memberId: mb, lines: lines('MUG-1', 'cups', 30) })).status).toBe(201);
  for (const m of [ma, mb]) await eventually(async () => ((await api(`/members/${m}/profile`)).body?.profile?.orders === 1 ? true : undefined), 60_000, `${m}'s receipt in their profile`);

  // One card with both phones (a changed number): One-ID links the two members while the import
  // runs, and the profiles are computed once it has ended (the engine holds its changes till then).
  const file = join(hubDir, 'crm-zhao.csv');
  writeFileSync(file, '会员编号,会员卡号,手机号,姓名,更新时间\nZ-1,CARD77001,13700007771,Zhao,2026-11-01 10:00:00\nZ-2,CARD77001,13700007772,Zhao,2026-11-02 10:00:00\n');
  await hubCliOk(hub, ['import', 'crm', file]);
  let last: unknown;
  const merged = await eventually(async () => {
    const r = await api(`/members/${mb}/profile`);
    last = r.body;
    return r.body?.profile?.orders === 2 ? r.body : undefined;
  }, 60_000, 'both receipts in one profile').catch((err) => {
    throw new Error(`${err}: ${JSON.stringify(last)}`);
  });
  expect(merged.storeMembers).toEqual([ma, mb].sort());
  expect(merged.profile).toMatchObject({ orders: 2, spend: 7000, storesVisited: ['S001', 'S002'] });
  expect((await api(`/members/${ma}/profile`)).body).toMatchObject({ goldenId: merged.goldenId, profile: { orders: 2 } });
  // The profile answers from the facts as they are; the tags recorded come from the engine's
  // compute of every member after the import: the two receipts make a repeat buyer, by the merge.
  const entries = await eventually(async () => {
    const all = await wholeTimeline((p) => admin().get(p.replace('/admin/v1', '')), merged.goldenId, 200);
    return all.some((e: any) => e.kind === 'tag_entered' && e.note === 'repeat_buyer (merge)') ? all : undefined;
  }, 60_000, 'repeat_buyer entered by the merge');
  expect(entries.filter((e: any) => e.kind === 'tag_entered' && e.note.startsWith('repeat_buyer'))).toHaveLength(1);
});
