import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, removeDir, startEdge, type EdgeProcess } from '../support/edge-node.ts';
import { scrollsSideways, screenshot, startConsoleRig, type ConsoleRig } from '../support/browser.ts';
import { adminClient, enrollStore, eventually, hubCliOk } from '../support/hub.ts';

/*
 * The dashboard's figures (issue 11, decision 013) in Debian's chromium against a real hub with
 * two real stores that sold something and a Tmall import: HQ's analyst sees members, sales by
 * channel (chart and table), points and One-ID as the admin API answers them; S002's store
 * manager sees S002's figures only, without online orders or One-ID. SCREENSHOTS=1 writes
 * docs/console/dashboard-*.png.
 */

let rig: ConsoleRig;
const edges: EdgeProcess[] = [];
const dirs: string[] = [];
let admin: ReturnType<typeof adminClient>;

const yuan = (cents: number) => (cents / 100).toFixed(2);

beforeAll(async () => {
  rig = await startConsoleRig(['--login-rate', '600', '--login-burst', '200']);
  admin = adminClient(rig.hub);
  expect((await admin.post('/org/cities', { name: 'Shanghai', region: 'East' })).status).toBe(201);
  expect((await admin.post('/org/cities', { name: 'Hangzhou', region: 'East' })).status).toBe(201);
  let receipt = 0;
  for (const [id, first, city, sales] of [['S001', 0, 'Shanghai', [128, 50, 900, 35]], ['S002', 100, 'Hangzhou', [66, 240]]] as const) {
    const s = await enrollStore(rig.hub, id, { members: 12, first });
    expect((await admin.post(`/stores/${id}/move`, { city })).status).toBe(200);
    dirs.push(s.dir);
    const edge = await startEdge(s.dir, ['--heartbeat-interval', '1']);
    edges.push(edge);
    const pos = client(edge.url, s.token);
    for (const [i, yuanAmount] of sales.entries()) {
      const memberId = `MSEED${String(first + (i % 2)).padStart(8, '0')}`;
      expect((await pos.post('/v1/checkouts', { receiptNo: `R${++receipt}`, memberId, lines: [{ sku: 'TEA', qty: 1, unitPrice: yuanAmount * 100 }] })).status).toBe(201);
    }
  }
  const at = new Date().toISOString();
  const file = join(rig.hub.dir, 'tmall-orders.ndjson');
  const order = (tid: string, payment: string) => JSON.stringify({ tid, created: at, status: 'TRADE_FINISHED', total_fee: payment, payment, discount_fee: '0', buyer_nick: `nick-${tid}`, receiver_mobile: '13900000001', orders: [{ outer_sku_id: 'TEA-1', num: 1, price: payment }] });
  writeFileSync(file, [order('T1', '188.00'), order('T2', '42.00')].join('\n') + '\n');
  await hubCliOk(rig.hub, ['import', 'tmall-orders', file]);
  await eventually(async () => {
    const d = (await admin.get('/sales/daily?days=14')).body;
    const today = d.days[d.days.length - 1];
    return today.store.receipts === 6 && today.marketplace.orders === 2 ? true : undefined;
  }, 30_000, 'the receipts and orders counted');
});
afterAll(async () => {
  for (const e of edges) await e.stop();
  await rig?.close();
  for (const d of dirs) removeDir(d);
});

async function operatorPage(role: string, scope?: string, opts: { locale?: string; viewport?: { width: number; height: number } } = {}): Promise<Page> {
  const name = `${role.replace(/_/g, '-')}-${Math.random().toString(36).slice(2, 7)}`;
  const added = await admin.post('/operators', { name, role, ...(scope ? { scope } : {}) });
  expect(added.status, JSON.stringify(added.body)).toBe(201);
  const { page } = await rig.open(opts);
  await page.goto('/console');
  await page.fill('input[name=name]', name);
  await page.fill('input[name=password]', added.body.password);
  await page.click('button[type=submit]');
  await page.waitForURL('**/console/password');
  await page.fill('input[name=current]', added.body.password);
  await page.fill('input[name=next]', `${name} password`);
  await page.fill('input[name=confirm]', `${name} password`);
  await page.click('form[action="/console/password"] button[type=submit]');
  await page.waitForURL((u) => u.pathname === '/console');
  return page;
}

/** The figures the admin API gives the page's operator (same session cookie). */
async function apiAs(page: Page, path: string) {
  const res = await page.request.get(`/admin/v1${path}`);
  expect(res.status()).toBe(200);
  return res.json();
}

describe('the dashboard', () => {
  it("HQ's analyst: members, sales by channel, points and One-ID as the API has them, the charts drawn", async () => {
    const page = await operatorPage('analyst');
    const sales = await apiAs(page, '/sales/daily?days=14');
    const { members } = await apiAs(page, '/members/stats');
    const { metrics } = await apiAs(page, '/identity/metrics');
    const today = sales.days[sales.days.length - 1];
    expect(members).toMatchObject({ total: 24, buyers: 4, repeaters: 2, active90: 4 });
    expect(today.store).toEqual({ receipts: 6, netCents: (128 + 50 + 900 + 35 + 66 + 240) * 100 });
    expect(today.marketplace).toEqual({ orders: 2, salesCents: 23_000 });

    expect(await page.textContent('#members-panel [data-stat="Members"]')).toBe(members.total.toLocaleString('en'));
    expect(await page.textContent('#members-panel [data-stat="Active, 90 days"]')).toBe(String(members.active90));
    expect(await page.textContent('#members-panel [data-stat="Repurchase rate"]')).toBe(`${(members.repurchaseRate * 100).toFixed(1)}%`);
    expect(await page.textContent('#members-panel')).toContain('2 of 4');
    for (const ch of ['store', 'ecommerce', 'marketplace'] as const) {
      const cents = ch === 'store' ? today.store.netCents : today[ch].salesCents;
      expect(await page.textContent(`[data-sales="${today.day}:${ch}"]`)).toBe(yuan(cents));
    }
    expect(await page.textContent(`[data-receipts="${today.day}"]`)).toBe('6');
    const points = sales.points[sales.points.length - 1];
    expect(await page.textContent(`[data-issued="${today.day}"]`)).toBe(points.issued.toLocaleString('en'));
    expect(await page.textContent('#one-id-panel [data-stat="Identification rate"]')).toBe(`${(metrics.identificationRate * 100).toFixed(1)}%`);
    expect(await page.textContent('#one-id-panel [data-stat="Data completeness"]')).toBe(`${(metrics.averageCompleteness * 100).toFixed(1)}%`);
    // ECharts drew both charts; the page painted.
    await page.waitForSelector('#sales-chart [data-drawn="true"] canvas');
    await page.waitForSelector('#points-chart [data-drawn="true"] canvas');
    const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime);
    expect(fcp).toBeGreaterThan(0);
    await screenshot(page, 'dashboard-hq');
  });

  it("S002's store manager sees S002's figures only: no online orders, no One-ID", async () => {
    const page = await operatorPage('store_manager', 'store:S002');
    const sales = await apiAs(page, '/sales/daily?days=14');
    const { members } = await apiAs(page, '/members/stats');
    const today = sales.days[sales.days.length - 1];
    expect(today.store).toEqual({ receipts: 2, netCents: (66 + 240) * 100 });
    expect(today.marketplace.orders).toBe(0);
    expect(members).toMatchObject({ total: 12, buyers: 2, repeaters: 0, active90: 2 });
    expect(await page.textContent('#members-panel [data-stat="Members"]')).toBe('12');
    expect(await page.textContent(`[data-sales="${today.day}:store"]`)).toBe('306.00');
    expect(await page.locator(`[data-sales="${today.day}:marketplace"]`).count()).toBe(0);
    expect(await page.locator('#one-id-panel').count()).toBe(0);
    await page.waitForSelector('#sales-chart [data-drawn="true"] canvas');
    await screenshot(page, 'dashboard-store-manager');
  });

  it('fits a phone, and reads in Chinese', async () => {
    const phone = await operatorPage('analyst', undefined, { viewport: { width: 390, height: 844 } });
    await phone.waitForSelector('#sales-chart [data-drawn="true"] canvas');
    expect(await scrollsSideways(phone)).toBe(false);
    await screenshot(phone, 'dashboard-phone');
    const zh = await operatorPage('analyst', undefined, { locale: 'zh-CN' });
    expect(await zh.textContent('#members-panel h2')).toBe('会员');
    expect(await zh.textContent('#sales-chart h2')).toContain('各渠道销售额');
    await screenshot(zh, 'dashboard-zh');
  });
});
