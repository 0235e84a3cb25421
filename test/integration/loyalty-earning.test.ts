import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDate } from '../../shared/local-time.ts';
import { client, removeDir, startEdge, tempDir, type EdgeProcess } from '../support/edge-node.ts';
import { adminClient, enrollStore, eventually, freePort, hubCliOk, startHub, type HubProcess } from '../support/hub.ts';
import { pushAsStore } from '../support/fleet.ts';
import { openAsOperator, screenshot, scrollsSideways, startConsoleRig, type ConsoleRig } from '../support/browser.ts';

/*
 * Earning rules with the product master, a real hub and a real node (issue 13, decision 017):
 * the master imported at the hub reaches the store; a receipt whose lines carry no category is
 * priced by the master's (tobacco earns nothing, snacks double) with the member day and the
 * birthday month, at the till, also while the hub is down; the hub reprices every such order to
 * the same points and takes it in; an order that claims a better category than the master gives
 * its SKU is quarantined.
 */

const TZ = 'Asia/Shanghai';
const seedId = (i: number) => `MSEED${String(i).padStart(8, '0')}`;

let hubDir: string;
let hubPort: number;
let hub: HubProcess;
let store: { dir: string; token: string };
let edge: EdgeProcess;
const admin = () => adminClient(hub);
const pos = () => client(edge.url, store.token);
// The store-local day the tests run on: the member day is made to be today.
const today = () => localDate(new Date(), TZ);

beforeAll(async () => {
  hubDir = tempDir('memberedge-hub-earn-');
  hubPort = await freePort();
  hub = await startHub(hubDir, hubPort);
  store = await enrollStore(hub, 'S001', { members: 10 });
  edge = await startEdge(store.dir, ['--heartbeat-interval', '1']);
}, 120_000);
afterAll(async () => {
  await edge?.stop();
  await hub?.stop();
  if (store) removeDir(store.dir);
  if (hubDir) removeDir(hubDir);
});

const quarantined = async (id: string) => ((await admin().get('/incidents?kind=quarantined_fact')).body.incidents as { details: { id: string; reason: string } }[]).find((i) => i.details.id === id);
const hubFacts = async (memberId: string) => ((await admin().get(`/members/${memberId}`)).body.facts as { id: string }[]).map((f) => f.id);

describe('the product master and earning rules, from the hub to the till and back', () => {
  it('a master imported with the CLI (a CSV, one bad row) is listed at the hub', async () => {
    const csv = join(hubDir, 'products.csv');
    writeFileSync(csv, ['sku,name,category,brand,price', 'CIG-1,Cigarettes,Tobacco/Cigarettes,Red,50.00', 'CHIPS-1,Chips,Food/Snacks,Oishi,10.50', 'MILK-1,Milk,Food/Dairy,Bright,9.99', ',no sku,Food,X,1', 'CUP-001,A cup,Ware/Cups,Mug Co,0'].join('\n'));
    const { stdout } = await hubCliOk(hub, ['products', 'import', csv]);
    expect(JSON.parse(stdout)).toMatchObject({ rows: 5, imported: 4, added: 4, changed: 0, rejected: 1, rejects: [{ rowNo: 4, reason: 'no SKU' }] });
    const listed = await admin().get('/products?limit=10');
    expect(listed.status).toBe(200);
    expect(listed.body.total).toBe(4);
    expect(listed.body.products.find((p: { sku: string }) => p.sku === 'CHIPS-1')).toEqual({ sku: 'CHIPS-1', name: 'Chips', category: 'Food/Snacks', brand: 'Oishi', priceCents: 1050 });
    // A mapping that does not validate is refused, field named, nothing imported.
    const bad = await admin().post('/products/imports', { path: csv, mapping: { format: 'xml', columns: {} } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
  });

  it('the rules get earning and stacking sections; the till prices by the master, the member day and the birthday month', async () => {
    const rules = (await admin().get('/rules')).body.rules;
    const day = today();
    const saved = await admin().put('/rules', {
      rules: {
        ...rules,
        earning: {
          lineRules: [
            { name: 'no points on tobacco', categoryPrefix: 'Tobacco', ratePct: 0 },
            { name: 'snacks double this month', categoryPrefix: 'Food/Snacks', from: `${day.slice(0, 7)}-01`, to: `${day.slice(0, 7)}-28` > day ? `${day.slice(0, 7)}-28` : day, ratePct: 200 },
          ],
          memberDay: { daysOfMonth: [Number(day.slice(8, 10))], multiplierPct: 200 },
          birthdayMonth: { multiplierPct: 150 },
        },
        couponStacking: { order: ['gift', 'cash', 'percent'], giftAddsLine: true },
      },
    });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);

    // Until the rules and the master reach the store, a probe receipt earns otherwise: 10.50 of snacks
    // at L1 on the member day earn 10 × 2 = 21 once the category is known (2 × 2 × 1050 / 100 = 42).
    let n = 0;
    await eventually(async () => {
      const r = await pos().post('/v1/checkouts', { receiptNo: `PROBE${++n}`, memberId: seedId(9), lines: [{ sku: 'CHIPS-1', qty: 1, unitPrice: 1050 }] });
      return r.body?.checkout?.pointsEarned === 42 ? true : undefined;
    }, 30_000, 'the master and the rules at the store');

    // Tobacco 50.00 earns nothing, snacks 10.50 double, milk 9.99 as usual; × 2 for the member day; rounded down once.
    const m = seedId(1);
    const r = await pos().post('/v1/checkouts', {
      receiptNo: 'E1',
      memberId: m,
      lines: [
        { sku: 'CIG-1', qty: 1, unitPrice: 5000 },
        { sku: 'CHIPS-1', qty: 1, unitPrice: 1050 },
        { sku: 'MILK-1', qty: 1, unitPrice: 999 },
      ],
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.checkout.pointsEarned).toBe(Math.floor(((1050 * 200 + 999 * 100) * 200) / 1_000_000));
    expect(r.body.checkout.pointsEarned).toBe(61);

    // A member registered at the till in their birthday month: × 1.5 more.
    const reg = await pos().post('/v1/members', { phone: '13700008888', name: 'Li Na', gender: 'F', birthday: `1990-${day.slice(5, 7)}-01` });
    expect(reg.status, JSON.stringify(reg.body)).toBe(201);
    const born = reg.body.member.id as string;
    const b = await pos().post('/v1/checkouts', { receiptNo: 'B1', memberId: born, lines: [{ sku: 'MILK-1', qty: 1, unitPrice: 10_000 }] });
    expect(b.status, JSON.stringify(b.body)).toBe(201);
    expect(b.body.checkout.pointsEarned).toBe(100 * 2 * 1.5);

    // The hub reprices both orders to the same points and takes them in: no quarantine.
    for (const [member, id] of [[m, 'order:S001:T1:E1'], [born, 'order:S001:T1:B1']] as const) {
      await eventually(async () => ((await hubFacts(member)).includes(id) ? true : undefined), 30_000, `${id} at the hub`);
      expect(await quarantined(id)).toBeUndefined();
    }
    expect((await admin().get(`/members/${m}`)).body.member.points.balance).toBe((await pos().get(`/v1/members/${m}/points`)).body.balance);
  });

  it('a gift coupon puts its SKU on the receipt at zero price; the hub takes the order in', async () => {
    const m = seedId(2);
    const issued = await admin().post('/coupons', { memberId: m, templateId: 'GIFT-CUP' });
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    const code = issued.body.coupon.code as string;
    const r = await eventually(async () => {
      const res = await pos().post('/v1/checkouts', { receiptNo: 'G1', memberId: m, lines: [{ sku: 'MILK-1', qty: 1, unitPrice: 2000 }], couponCodes: [code] });
      return res.status === 201 ? res : undefined;
    }, 30_000, 'the coupon at the store');
    expect(r.body.checkout.lines).toEqual([
      { sku: 'MILK-1', qty: 1, unitPrice: 2000, total: 2000, discount: 0, payable: 2000 },
      { sku: 'CUP-001', qty: 1, unitPrice: 0, total: 0, discount: 0, payable: 0, giftOf: code },
    ]);
    expect(r.body.checkout.couponsRedeemed).toEqual([{ code, discount: 0 }]);
    await eventually(async () => ((await hubFacts(m)).includes('order:S001:T1:G1') ? true : undefined), 30_000, 'the gift order at the hub');
    expect(await quarantined('order:S001:T1:G1')).toBeUndefined();
  });

  it('an order that claims a double-points category for a tobacco SKU is quarantined', async () => {
    const rulesVersion = (await admin().get('/rules')).body.rules.version as number;
    const at = new Date().toISOString();
    const m = seedId(3);
    // Priced as the rules would price it if CIG-1 were snacks: 100.00 × 2 (category) × 2 (member day) = 400.
    const forged = {
      _id: 'order:S001:T1:FORGED-CAT', type: 'order', storeId: 'S001', terminalId: 'T1', receiptNo: 'FORGED-CAT', memberId: m, at, day: localDate(at, TZ),
      lines: [{ sku: 'CIG-1', category: 'Food/Snacks', qty: 1, unitPriceCents: 10_000, totalCents: 10_000, discountCents: 0, payableCents: 10_000 }],
      totalCents: 10_000, couponDiscountCents: 0, pointsCashCents: 0, payableCents: 10_000, pointsEarned: 400, pointsRedeemed: 0, coupons: [], tier: 'L1', rulesVersion, requestHash: 'x',
    };
    expect((await pushAsStore(hub.url, store.dir, [forged])).results[0]!.ok).toBe(true);
    const q = await eventually(() => quarantined(forged._id), 30_000, 'the forged order quarantined');
    expect(q.details.reason).toMatch(/line 1 \(SKU CIG-1\) claims category Food\/Snacks/);
    expect(await hubFacts(m)).not.toContain(forged._id);
  });

  it('with the hub down the till prices by the master it holds; the hub takes the order in when it is back', async () => {
    await hub.stop();
    const m = seedId(4);
    const r = await pos().post('/v1/checkouts', { receiptNo: 'OFF1', memberId: m, lines: [{ sku: 'CIG-1', qty: 2, unitPrice: 5000 }, { sku: 'CHIPS-1', qty: 2, unitPrice: 1050 }] });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.checkout.pointsEarned).toBe(Math.floor((2100 * 200 * 200) / 1_000_000));
    hub = await startHub(hubDir, hubPort);
    await eventually(async () => ((await hubFacts(m)).includes('order:S001:T1:OFF1') ? true : undefined), 60_000, 'the offline order at the hub');
    expect(await quarantined('order:S001:T1:OFF1')).toBeUndefined();
  });
});

describe("the console's loyalty screen: earning rules and stacking, the product master", () => {
  let rig: ConsoleRig;
  beforeAll(async () => {
    rig = await startConsoleRig();
  }, 60_000);
  afterAll(async () => {
    await rig?.close();
  });

  it('an operator edits the earning rules as JSON at 390 px: a wrong value is named where it is, nothing saved; a right one is a new version', async () => {
    const { page } = await openAsOperator(rig, 'admin', { viewport: { width: 390, height: 844 } });
    await page.goto('/console/loyalty');
    expect(await page.textContent('#earning')).toContain('No earning rules');
    await page.goto('/console/loyalty/rules/edit');
    const wrong = { lineRules: [{ name: 'tobacco', categoryPrefix: 'Tobacco', ratePct: 0 }, { name: 'snacks', categoryPrefix: 'Food/Snacks', ratePct: 5000 }] };
    await page.fill('textarea[name=earning]', JSON.stringify(wrong, null, 2));
    await page.click('[data-action=save-rules]');
    expect(await page.textContent('[data-error-for=earning]')).toBe('At lineRules.1.ratePct: At most 1000.');
    expect(await scrollsSideways(page)).toBe(false);
    await screenshot(page, 'loyalty-earning-error');
    expect((await adminClient(rig.hub).get('/rules')).body.rules.version).toBe(1);

    await page.fill('textarea[name=earning]', JSON.stringify({ ...wrong, lineRules: [wrong.lineRules[0], { ...wrong.lineRules[1], ratePct: 200 }], memberDay: { daysOfMonth: [8], multiplierPct: 200 } }));
    await page.fill('textarea[name=couponStacking]', '{ "giftAddsLine": true }');
    await page.click('[data-action=save-rules]');
    await page.waitForURL('**/console/loyalty?done=rules');
    expect(await page.textContent('[data-line-rate=snacks]')).toBe('200%');
    expect(await page.textContent('[data-rule=memberDay]')).toBe('Day 8 of each month: × 200%');
    expect(await scrollsSideways(page)).toBe(false);
    await screenshot(page, 'loyalty-earning');
    const rules = (await adminClient(rig.hub).get('/rules')).body.rules;
    expect(rules).toMatchObject({ version: 2, earning: { lineRules: [{ name: 'tobacco', ratePct: 0 }, { name: 'snacks', ratePct: 200 }] }, couponStacking: { giftAddsLine: true } });
    await page.goto('/console/loyalty/rules/versions');
    expect(await page.textContent('[data-change="earning"]')).toContain('earning');
  });

  it('the product master page lists what was imported, by SKU prefix', async () => {
    const file = join(rig.hub.dir, 'master.ndjson');
    writeFileSync(file, ['{"code":"TEA-1","title":"Green tea","cat":{"path":"Drinks > Tea"},"price":1200}', '{"code":"TEA-2","title":"Black tea","cat":{"path":"Drinks > Tea"},"price":1500}', '{"code":"CUP-9","title":"Cup","cat":{"path":"Ware"}}'].join('\n'));
    const mapping = { format: 'ndjson', columns: { sku: 'code', name: 'title', category: 'cat.path', price: { column: 'price', transform: 'cents' } }, categorySeparator: '>' };
    const imported = await adminClient(rig.hub).post('/products/imports', { path: file, mapping });
    expect(imported.body.import).toMatchObject({ rows: 3, imported: 3, rejected: 0 });
    const { page } = await openAsOperator(rig, 'analyst', { viewport: { width: 390, height: 844 } });
    await page.goto('/console/loyalty/products?prefix=TEA');
    expect(await page.getAttribute('[data-products-total]', 'data-products-total')).toBe('2');
    expect(await page.textContent('#products')).toContain('Drinks/Tea');
    expect(await scrollsSideways(page)).toBe(false);
    await screenshot(page, 'products');
    // Importing is not the analyst's to do.
    const { page: store } = await openAsOperator(rig, 'store_manager');
    const denied = await store.goto('/console/loyalty/products');
    expect(denied?.status()).toBe(403);
  });
});
