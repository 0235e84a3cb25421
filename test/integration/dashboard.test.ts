import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Couch, type Doc } from '../../hub/couch/couch.ts';
import { startEmbeddedCouch } from '../../hub/couch/embedded.ts';
import { DB } from '../../hub/couch/databases.ts';
import { createLog } from '../../shared/cli/log.ts';
import type { FactLike, OnlineOrderLike } from '../../shared/dashboard/aggregates.ts';
import { recountFigures, type DashboardFigures, type FigureScope } from '../../shared/dashboard/figures.ts';
import { localDate } from '../../shared/local-time.ts';
import { chunkOrders } from '../../shared/one-id/stored-chunk.ts';
import { client } from '../support/edge-node.ts';
import { eventually, hubCliOk, startHub, type HubProcess } from '../support/hub.ts';
import { newOperator } from '../support/operator-session.ts';
import { startTwoStoreFleet, stopFleet, type FleetStore } from '../support/fleet.ts';

/*
 * The dashboard's figures with a real hub, two real stores and an import: receipts and a refund
 * rung up at the tills reach the hub through replication and ingest, online orders arrive by a
 * Tmall export; the admin API's figures, the console page's and a full recount from the hub's
 * databases (read with the hub stopped) agree, for HQ and for S002's store manager. The hub is
 * then killed, its counters' checkpoints removed (every feed replayed) and started again: the
 * figures do not move.
 */

const TZ = 'Asia/Shanghai';
const seedId = (i: number) => `MSEED${String(i).padStart(8, '0')}`;
const seedPhone = (i: number) => `+86${13900000000 + i}`;
const lines = (yuan: number) => [{ sku: 'BEANS-1KG', qty: 1, unitPrice: yuan * 100 }];

let hubDir: string;
let hubPort: number;
let hub: HubProcess;
let stores: FleetStore[] = [];
const pos = (i: number) => client(stores[i]!.edge!.url, stores[i]!.token);
const asToken = (path: string) => fetch(hub.url + path, { headers: { authorization: `Bearer ${readFileSync(join(hubDir, 'admin-token'), 'utf8').trim()}` } }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

const operator = (name: string, role: string, scope?: string) => newOperator(hub, name, role, { scope });

/** The figures as the admin API answers them to a caller (the token, or an operator's session). */
async function apiFigures(call: (path: string) => Promise<{ status: number; body: any }>): Promise<Omit<DashboardFigures, 'today'> & { upToDate: boolean }> {
  const sales = await call('/admin/v1/sales/daily?days=14');
  const members = await call('/admin/v1/members/stats');
  expect(sales.status, JSON.stringify(sales.body)).toBe(200);
  expect(members.status).toBe(200);
  return { sales: sales.body.days, points: sales.body.points, members: members.body.members, upToDate: sales.body.upToDate && members.body.upToDate };
}

/** Everything the figures are made of, read from the hub's databases with the hub stopped, and counted again. */
async function recount(today: string, scopes: FigureScope[]): Promise<Omit<DashboardFigures, 'today'>[]> {
  const embedded = await startEmbeddedCouch(hubDir, createLog('test', true));
  try {
    const couch = new Couch(embedded.url);
    const all = async (db: string, startkey = '', endkey = '\ufff0') => {
      const out: Doc[] = [];
      for await (const page of couch.pages(db, { startkey, endkey })) out.push(...page);
      return out;
    };
    const facts = (await all(DB.facts, 'm:', 'm:\ufff0')) as FactLike[];
    const members = (await all(DB.members, 'member:', 'member:\ufff0')) as (Doc & { id: string; homeStoreId: string; registeredAt: string })[];
    const chunks = await all(DB.identity, 'src:', 'src:\ufff0');
    const online: OnlineOrderLike[] = chunks.flatMap((c) => chunkOrders(c).map((o) => ({ id: o.id, status: o.status, paidCents: o.paidCents, day: localDate(o.at, TZ) })));
    const homes = new Map(members.map((m) => [m.id, m.homeStoreId]));
    return scopes.map((scope) => {
      const { today: _, ...f } = recountFigures(facts, members.map((m) => ({ homeStoreId: m.homeStoreId, day: localDate(m.registeredAt, TZ) })), online, (id) => homes.get(id) ?? '', today, 14, scope);
      return f;
    });
  } finally {
    await embedded.stop();
  }
}

/** A page's figures as the console shows them: the cells the test reads by their data attributes. */
function pageFigures(html: string) {
  const cells = new Map<string, string>();
  for (const m of html.matchAll(/data-(sales|receipts)="([^"]+)">([^<]*)</g)) cells.set(`${m[1]}:${m[2]}`, m[3]!);
  const stat = (label: string) => new RegExp(`data-stat="${label}">([^<]*)<`).exec(html)?.[1];
  return { cells, stat };
}

beforeAll(async () => {
  ({ hubDir, hubPort, hub, stores } = await startTwoStoreFleet(['--heartbeat-interval', '1']));
}, 120_000);

afterAll(() => stopFleet(hub, hubDir, stores));

it('receipts, a refund, a registration and imported orders: the API, the console page and a recount agree, for HQ and for a store manager; a replay after a kill moves nothing', { timeout: 240_000 }, async () => {
  const today = localDate(new Date(), TZ);
  // S001: a member twice, another once, an anonymous receipt, and a refund of part of one.
  const first = await pos(0).post('/v1/checkouts', { receiptNo: 'A1', memberId: seedId(0), lines: lines(120) });
  expect(first.status).toBe(201);
  expect((await pos(0).post('/v1/checkouts', { receiptNo: 'A2', memberId: seedId(0), lines: lines(80) })).status).toBe(201);
  expect((await pos(0).post('/v1/checkouts', { receiptNo: 'A3', memberId: seedId(1), lines: lines(45) })).status).toBe(201);
  expect((await pos(0).post('/v1/checkouts', { receiptNo: 'A4', lines: lines(10) })).status).toBe(201);
  const refund = await pos(0).post(`/v1/checkouts/${first.body.checkout.id}/refunds`, { refundNo: 'F1', lines: [{ sku: 'BEANS-1KG', qty: 1 }] });
  expect(refund.status).toBe(201);
  // S002: its own member twice, a new member once, and S001's member 2 (looked up first) once.
  expect((await pos(1).post('/v1/checkouts', { receiptNo: 'B1', memberId: seedId(100), lines: lines(60) })).status).toBe(201);
  expect((await pos(1).post('/v1/checkouts', { receiptNo: 'B2', memberId: seedId(100), lines: lines(70) })).status).toBe(201);
  const joined = await pos(1).post('/v1/members', { phone: '+86 137 0000 5555', name: 'Zhou Xin' });
  expect(joined.status).toBe(201);
  expect((await pos(1).post('/v1/checkouts', { receiptNo: 'B3', memberId: joined.body.member.id, lines: lines(33) })).status).toBe(201);
  expect((await pos(1).post('/v1/members/identify', { phone: seedPhone(2) })).status).toBe(200);
  expect((await pos(1).post('/v1/checkouts', { receiptNo: 'B4', memberId: seedId(2), lines: lines(99) })).status).toBe(201);

  // Tmall orders: two paid today, one cancelled (not a sale).
  const at = new Date().toISOString();
  const order = (tid: string, status: string, payment: string) => JSON.stringify({ tid, created: at, status, total_fee: payment, payment, discount_fee: '0', buyer_nick: `nick-${tid}`, orders: [{ outer_sku_id: 'TEA-1', num: 1, price: payment }] });
  const file = join(hubDir, 'tmall-orders.ndjson');
  writeFileSync(file, [order('T1', 'TRADE_FINISHED', '88.50'), order('T2', 'WAIT_SELLER_SEND_GOODS', '11.50'), order('T3', 'TRADE_CLOSED', '500.00')].join('\n') + '\n');
  await hubCliOk(hub, ['import', 'tmall-orders', file]);

  // Every receipt has reached the hub and been counted.
  const hq = await eventually(async () => {
    const f = await apiFigures(asToken);
    const d = f.sales[f.sales.length - 1]!;
    return d.store.receipts === 8 && d.marketplace.orders === 2 && f.upToDate ? f : undefined;
  }, 60_000, 'eight receipts and two Tmall orders counted');
  const day = hq.sales[hq.sales.length - 1]!;
  expect(refund.body.refund.refund).toBe(12_000);
  expect(day.store.netCents).toBe((120 + 80 + 45 + 10 + 60 + 70 + 33 + 99 - 120) * 100);
  expect(day.marketplace).toEqual({ orders: 2, salesCents: 10_000 });
  expect(day.ecommerce).toEqual({ orders: 0, salesCents: 0 });
  expect(hq.members).toMatchObject({ total: 41, buyers: 5, repeaters: 2, active90: 5 });
  expect(hq.members.repurchaseRate).toBeCloseTo(2 / 5);
  expect(hq.members.newThisMonth).toBeGreaterThanOrEqual(1);

  // The points chart and /points/daily read the same counters.
  expect((await asToken('/admin/v1/points/daily?days=14')).body.days).toEqual(hq.points);

  // S002's store manager: S002's receipts only (member 2 of S001 bought there: the receipt counts
  // at S002, the member at S001), its members, no online orders; HQ's points route refused.
  const manager = await operator('s002-manager', 'store_manager', 'store:S002');
  const mine = await apiFigures((p) => manager.call('GET', p));
  const myDay = mine.sales[mine.sales.length - 1]!;
  expect(myDay.store).toEqual({ receipts: 4, netCents: (60 + 70 + 33 + 99) * 100 });
  expect(myDay.marketplace.orders + myDay.ecommerce.orders).toBe(0);
  expect(mine.members).toMatchObject({ total: 21, buyers: 2, repeaters: 1, active90: 2 });
  expect((await manager.call('GET', '/admin/v1/points/daily')).status).toBe(403);

  // The console's dashboard shows the API's figures, to each.
  const analyst = await operator('hq-analyst', 'analyst');
  for (const [who, f] of [[analyst, hq], [manager, mine]] as const) {
    const res = await fetch(`${hub.url}/console`, { headers: { cookie: `memberedge_session=${who.cookie}` } });
    const { cells, stat } = pageFigures(await res.text());
    const d = f.sales[f.sales.length - 1]!;
    expect(cells.get(`receipts:${d.day}`)).toBe(String(d.store.receipts));
    expect(cells.get(`sales:${d.day}:store`)).toBe((d.store.netCents / 100).toFixed(2));
    expect(cells.has(`sales:${d.day}:marketplace`)).toBe(who === analyst);
    if (who === analyst) expect(cells.get(`sales:${d.day}:marketplace`)).toBe('100.00');
    expect(stat('Members')).toBe(String(f.members.total));
    expect(stat('Active, 90 days')).toBe(String(f.members.active90));
    expect(stat('Repurchase rate')).toBe(`${(f.members.repurchaseRate * 100).toFixed(1)}%`);
  }

  // A full recount from the hub's databases, with the hub killed.
  await hub.kill();
  const scopes: FigureScope[] = [{ sees: () => true, online: true }, { sees: (s) => s === 'S002', online: false }];
  const [all, s002] = await recount(today, scopes);
  const { upToDate: _a, ...hqFigures } = hq;
  const { upToDate: _b, ...myFigures } = mine;
  expect(hqFigures).toEqual(all);
  expect(myFigures).toEqual(s002);

  // Every feed replayed from the start (as after a kill before any checkpoint moved): nothing is counted twice.
  const embedded = await startEmbeddedCouch(hubDir, createLog('test', true));
  try {
    const couch = new Couch(embedded.url);
    for (const feed of ['facts', 'members', 'online']) {
      const cp = await couch.get(DB.dashboard, `cp:${feed}`);
      expect(cp, feed).toBeDefined();
      await couch.db(DB.dashboard).destroy(cp!._id, cp!._rev!);
    }
  } finally {
    await embedded.stop();
  }
  hub = await startHub(hubDir, hubPort);
  const again = await eventually(async () => {
    const f = await apiFigures(asToken);
    return f.upToDate ? f : undefined;
  }, 30_000, 'counters caught up after the restart');
  const { upToDate: _c, ...againFigures } = again;
  expect(againFigures).toEqual(all);

  // A hub of the first layout (a document per member, `mbr:`) rebuilds its counters from the feeds.
  await hub.kill();
  const older = await startEmbeddedCouch(hubDir, createLog('test', true));
  try {
    const couch = new Couch(older.url);
    expect((await couch.range(DB.dashboard, { startkey: 'mbrs:', endkey: 'mbrs:\ufff0' })).length).toBeGreaterThan(0);
    await couch.db(DB.dashboard).insert({ _id: 'mbr:M-OLD', seq: 1, home: 'S001', receipts: 9, lastDay: today });
  } finally {
    await older.stop();
  }
  hub = await startHub(hubDir, hubPort);
  const rebuilt = await eventually(async () => {
    const f = await apiFigures(asToken);
    return f.upToDate ? f : undefined;
  }, 30_000, 'counters rebuilt in the chunked layout');
  const { upToDate: _d, ...rebuiltFigures } = rebuilt;
  expect(rebuiltFigures).toEqual(all);
  await hub.kill();
  const after = await startEmbeddedCouch(hubDir, createLog('test', true));
  try {
    expect(await new Couch(after.url).get(DB.dashboard, 'mbr:M-OLD')).toBeUndefined();
  } finally {
    await after.stop();
  }
});
