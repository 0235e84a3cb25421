import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstAdminPage, openAsOperator, scrollsSideways, screenshot, startConsoleRig, type ConsoleRig } from '../support/browser.ts';
import { client, removeDir, startEdge, type EdgeProcess } from '../support/edge-node.ts';
import { adminClient, enrollStore, eventually } from '../support/hub.ts';

/*
 * The product master's import form on the console's loyalty screen (issue 13, decision 017), in
 * Debian's chromium against a real hub and a real store node: an admin uploads a CSV with its
 * own column names and a mapping, sees what was imported and refused, and the store then prices
 * receipt lines without a category by the master; a mapping without the SKU or a file without a
 * mapped column is refused on the page (in both languages), nothing written; an operator without
 * products:write sees no form and a forged post is 403; a large file shows how far it is, then
 * its summary. SCREENSHOTS=1 writes
 * docs/console/products-import*.png.
 */

let rig: ConsoleRig;
let edge: EdgeProcess | undefined;
let edgeDir: string | undefined;
let admin: ReturnType<typeof adminClient>;
let pos: ReturnType<typeof client>;
let adminPage: Page;
const member = 'MSEED00000003';

// The partner's own column names; categories written "A > B"; prices in fen; one row without a SKU.
const CSV = ['code,title,cat,maker,fen', 'CIG-9,Cigarettes,Tobacco > Cigarettes,Red,5000', 'MILK-9,Milk,Food > Dairy,Bright,999', ',No code,Food,X,100', 'TEA-9,Green tea,Food > Tea,Leaf,1250'].join('\n');

beforeAll(async () => {
  rig = await startConsoleRig(['--login-rate', '600', '--login-burst', '200']);
  admin = adminClient(rig.hub);
  const s1 = await enrollStore(rig.hub, 'S001', { members: 5 });
  edgeDir = s1.dir;
  edge = await startEdge(s1.dir, ['--heartbeat-interval', '1']);
  pos = client(edge.url, s1.token);
  // No points on tobacco: a line the till can only know is tobacco from the master.
  const rules = (await admin.get('/rules')).body.rules;
  const saved = await admin.put('/rules', { rules: { ...rules, earning: { lineRules: [{ name: 'no points on tobacco', categoryPrefix: 'Tobacco', ratePct: 0 }] } } });
  expect(saved.status, JSON.stringify(saved.body)).toBe(200);
  adminPage = await firstAdminPage(rig, 'the admin chose this one');
}, 120_000);
afterAll(async () => {
  await edge?.stop();
  await rig?.close();
  if (edgeDir) removeDir(edgeDir);
});

const total = async () => (await admin.get('/products?limit=1')).body.total as number;

async function fillMapping(page: Page, file: { name: string; body: string }, columns: Record<string, string>, extra: { priceUnit?: string; categorySeparator?: string } = {}) {
  await page.setInputFiles('#products-import input[type=file]', { name: file.name, mimeType: 'text/csv', buffer: Buffer.from(file.body) });
  for (const [field, column] of Object.entries(columns)) await page.fill(`#products-import input[name="col.${field}"]`, column);
  if (extra.priceUnit) await page.selectOption('#products-import select[name=priceUnit]', extra.priceUnit);
  if (extra.categorySeparator) await page.fill('#products-import input[name=categorySeparator]', extra.categorySeparator);
  await page.click('[data-action="import-products"]');
  await page.waitForLoadState('load');
}

describe('the product master import form', () => {
  it('an admin uploads a CSV with a mapping: the summary shows rows imported and refused, the master lists them, the store prices by them', async () => {
    const page = adminPage;
    // Before: the till knows nothing of CIG-9, so it earns as any line does.
    const before = await pos.post('/v1/checkouts', { receiptNo: 'P0', memberId: member, lines: [{ sku: 'CIG-9', qty: 1, unitPrice: 5000 }] });
    expect(before.status, JSON.stringify(before.body)).toBe(201);
    expect(before.body.checkout.pointsEarned).toBeGreaterThan(0);

    await page.goto('/console/loyalty');
    await page.click('[data-action="products"]');
    await page.waitForURL('**/console/loyalty/products');
    expect(await page.locator('#products-import').count()).toBe(1);
    await fillMapping(page, { name: 'partner-items.csv', body: CSV }, { sku: 'code', name: 'title', category: 'cat', brand: 'maker', price: 'fen' }, { priceUnit: 'cents', categorySeparator: '>' });

    const count = (k: string) => page.locator(`#import-summary [data-count="${k}"] .value`).innerText();
    expect(await count('rows')).toBe('4');
    expect(await count('imported')).toBe('3');
    expect(await count('added')).toBe('3');
    expect(await count('rejected')).toBe('1');
    expect(await page.locator('#import-summary [data-reject-row]').allInnerTexts()).toEqual(['3']);
    expect(await page.locator('#import-summary .reason').innerText()).toBe('no SKU');
    expect(await page.locator('#products [data-sku]').allInnerTexts()).toEqual(['CIG-9', 'MILK-9', 'TEA-9']);
    expect(await page.locator('#products tbody tr', { hasText: 'TEA-9' }).innerText()).toContain('Food/Tea');
    await screenshot(page, 'products-import');

    // The hub's listing, and the audit entry of the form.
    const listed = await admin.get('/products?limit=10');
    expect(listed.body.products).toEqual([
      { sku: 'CIG-9', name: 'Cigarettes', category: 'Tobacco/Cigarettes', brand: 'Red', priceCents: 5000 },
      { sku: 'MILK-9', name: 'Milk', category: 'Food/Dairy', brand: 'Bright', priceCents: 999 },
      { sku: 'TEA-9', name: 'Green tea', category: 'Food/Tea', brand: 'Leaf', priceCents: 1250 },
    ]);
    const audit = (await admin.get('/audit?limit=50')).body.entries as { route: string; method: string; target?: string; status: number; actor: { name: string } }[];
    expect(audit.some((e) => e.route === '/console/loyalty/products/imports' && e.method === 'POST' && /^products:partner-items\.csv:[0-9a-f-]{13}$/.test(e.target ?? '') && e.status === 200 && e.actor.name === 'admin')).toBe(true);

    // The store: a receipt line without a category takes the master's, and tobacco earns nothing.
    let n = 0;
    await eventually(async () => {
      const r = await pos.post('/v1/checkouts', { receiptNo: `P${++n}`, memberId: member, lines: [{ sku: 'CIG-9', qty: 1, unitPrice: 5000 }] });
      return r.status === 201 && r.body.checkout.pointsEarned === 0 ? true : undefined;
    }, 30_000, 'the master at the store');
    // Milk earns as before; the tobacco beside it adds nothing.
    const milk = await pos.post('/v1/checkouts', { receiptNo: 'PM', memberId: member, lines: [{ sku: 'MILK-9', qty: 1, unitPrice: 999 }] });
    const both = await pos.post('/v1/checkouts', { receiptNo: 'PMC', memberId: member, lines: [{ sku: 'MILK-9', qty: 1, unitPrice: 999 }, { sku: 'CIG-9', qty: 2, unitPrice: 5000 }] });
    expect(both.status, JSON.stringify(both.body)).toBe(201);
    expect(milk.body.checkout.pointsEarned).toBeGreaterThan(0);
    expect(both.body.checkout.pointsEarned).toBe(milk.body.checkout.pointsEarned);
  });

  it('a mapping without the SKU, or a file without a mapped column, is refused on the page with its code, nothing written (in Chinese too, at 390 px)', async () => {
    const page = adminPage;
    const had = await total();
    await page.goto('/console/loyalty/products');
    await fillMapping(page, { name: 'more.csv', body: 'code,title\nX-1,Thing\n' }, { sku: '', name: 'title', category: '', brand: '', price: '' });
    expect(await page.locator('[data-error-code]').getAttribute('data-error-code')).toBe('validation_failed');
    expect(await page.locator('[data-error-for="col.sku"]').innerText()).toBe('Required.');
    // What was typed stays in the form.
    expect(await page.inputValue('#products-import input[name="col.name"]')).toBe('title');

    await fillMapping(page, { name: 'more.csv', body: 'code,title\nX-1,Thing\n' }, { sku: 'code', name: 'title', category: 'cat', brand: '', price: '' });
    expect(await page.locator('[data-error-code]').getAttribute('data-error-code')).toBe('import_column_missing');
    expect(await page.locator('[data-error-for="col.category"]').innerText()).toBe('The file has no column “cat”.');
    expect(await total()).toBe(had);

    const zh = await openAsOperator(rig, 'admin', { locale: 'zh-CN', viewport: { width: 390, height: 844 } });
    await zh.page.goto('/console/loyalty/products');
    expect(await scrollsSideways(zh.page)).toBe(false);
    await fillMapping(zh.page, { name: 'garbage.csv', body: 'sku,name\n\n' }, { sku: 'sku', name: 'name', category: '', brand: '', price: '' });
    expect(await zh.page.locator('[data-error-code]').getAttribute('data-error-code')).toBe('file_not_readable');
    expect(await zh.page.locator('[data-error-code]').innerText()).toBe('文件中没有一行可以读取：未导入任何数据。');
    expect(await scrollsSideways(zh.page)).toBe(false);
    await screenshot(zh.page, 'products-import-refused-390');
    expect(await total()).toBe(had);
  });

  it('an operator without products:write sees the master but no form, and a forged post is 403 with nothing written', async () => {
    const { page } = await openAsOperator(rig, 'marketer');
    const had = await total();
    await page.goto('/console/loyalty/products');
    expect(await page.locator('#products [data-sku]').count()).toBe(had);
    expect(await page.locator('#products-import').count()).toBe(0);
    const status = await page.evaluate(async (csv) => {
      const html = await (await fetch('/console/loyalty')).text();
      const csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
      const form = new FormData();
      form.set('_csrf', csrf);
      form.set('col.sku', 'code');
      form.set('file', new File([csv], 'x.csv', { type: 'text/csv' }));
      return (await fetch('/console/loyalty/products/imports', { method: 'POST', body: form })).status;
    }, 'code\nFORGED-1\n');
    expect(status).toBe(403);
    expect(await total()).toBe(had);
    const audit = (await admin.get('/audit?limit=50')).body.entries as { route: string; status: number }[];
    expect(audit.some((e) => e.route === '/console/loyalty/products/imports' && e.status === 403)).toBe(true);
  });

  it('a large file (60,000 rows) answers with how far it is, reloading itself, then its summary; at 390 px', async () => {
    const { page } = await rig.open({ viewport: { width: 390, height: 844 } });
    await page.goto('/console/login');
    await page.fill('input[name=name]', 'admin');
    await page.fill('input[name=password]', 'the admin chose this one');
    await page.click('button[type=submit]');
    await page.waitForURL((u) => u.pathname === '/console');
    const had = await total();
    const rows = ['sku,name,category,brand,price'];
    for (let i = 0; i < 60_000; i++) rows.push(`BIG-${String(i).padStart(5, '0')},Item ${i},Food/Group ${i % 50},Brand ${i % 20},${(i % 500) + 1}.50`);
    await page.goto('/console/loyalty/products');
    await fillMapping(page, { name: 'large.csv', body: rows.join('\n') }, {});
    // Depending on the machine, the answer is the progress (the import outlasted it) or already the summary.
    if ((await page.locator('#import-progress').count()) > 0) {
      expect(await page.locator('meta[http-equiv=refresh]').count()).toBe(1);
      expect(page.url()).toMatch(/\/console\/loyalty\/products\/imports\/[0-9a-f-]{13}$/);
      expect(await scrollsSideways(page)).toBe(false);
      await screenshot(page, 'products-import-progress-390');
    }
    await page.locator('#import-summary').waitFor({ timeout: 180_000 });
    expect(await page.locator('#import-summary [data-count="imported"] .value').innerText()).toBe('60,000');
    expect(await page.locator('meta[http-equiv=refresh]').count()).toBe(0);
    expect(await scrollsSideways(page)).toBe(false);
    expect(await total()).toBe(had + 60_000);
  }, 240_000);
});
