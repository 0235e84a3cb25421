import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, openAsOperator, screenshot, scrollsSideways, type ConsoleRig } from '../support/browser.ts';
import { removeDir, ROOT, spawnReady, tempDir } from '../support/edge-node.ts';
import { adminClient, freePort, type HubProcess } from '../support/hub.ts';

/*
 * The console's Tags screen (issue 12) in Debian's chromium with scripts off, against a real
 * hub whose profiles come from a fake source (the metrics engine's stand-in): the catalogue by
 * class, an edit refused with every problem of the condition named, a preview of the form as it
 * stands, a save, a stale save refused, retiring, a new rule, an analyst reading in Chinese, and
 * no sideways scroll at 390 px. SCREENSHOTS=1 writes docs/console/tags*.png.
 */

let rig: ConsoleRig;
let dir: string;
let browser: Browser;
const contexts: BrowserContext[] = [];

// 12 members: 8 spent ¥5,000 or more in the last year, 4 less.
const PROFILES = Array.from({ length: 12 }, (_, i) => [`G${String(i).padStart(5, '0')}`, { spend365: i < 8 ? 500_000 + i : 1000, age: 20 + i, gender: i % 2 ? 'F' : 'M' }]);

beforeAll(async () => {
  dir = tempDir('memberedge-console-tags-');
  const profiles = join(dir, 'profiles.json');
  writeFileSync(profiles, JSON.stringify(PROFILES));
  const p = await spawnReady(['--import', 'tsx', join(ROOT, 'test', 'support', 'hub-with-profiles.ts'), dir, String(await freePort()), profiles]);
  const hub: HubProcess = Object.assign(p, { dir });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, timeout: 30_000 });
  rig = {
    hub,
    browser,
    async open(opts = {}) {
      // Scripts off: every screen must work without them.
      const context = await browser.newContext({ baseURL: hub.url, locale: opts.locale ?? 'en-US', viewport: opts.viewport ?? { width: 1280, height: 800 }, javaScriptEnabled: false });
      context.setDefaultTimeout(15_000);
      contexts.push(context);
      return { context, page: await context.newPage() };
    },
    async close() {},
  };
});
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close().catch(() => {});
  await rig?.hub.stop();
  if (dir) removeDir(dir);
});

const setCondition = (page: Page, json: unknown) => page.fill('textarea[name=condition]', typeof json === 'string' ? json : JSON.stringify(json));

describe('the Tags screen', () => {
  it('lists the catalogue by class; an edit with a bad condition names each problem; preview; save', async () => {
    const { page } = await openAsOperator(rig, 'marketer');
    await page.goto('/console/tags');
    for (const cls of ['natural', 'preference', 'behaviour', 'value']) await expect(page.locator(`#class-${cls} tbody tr`).count()).resolves.toBeGreaterThanOrEqual(15);
    await expect(page.locator('[data-tag]').count()).resolves.toBeGreaterThanOrEqual(80);
    await screenshot(page, 'tags');
    await page.click('[data-tag=high_spender]');
    await page.waitForURL('**/console/tags/high_spender');
    await expect(page.inputValue('input[name=code]')).resolves.toBe('high_spender');

    await setCondition(page, { all: [{ field: 'shoeSize', op: 'ge', value: 40 }, { field: 'channels', op: 'lt', value: 'store' }] });
    await page.click('[data-action=save-tag]');
    await expect(page.locator('[data-error-path]').evaluateAll((els) => els.map((e) => e.getAttribute('data-error-path')))).resolves.toEqual(['condition.all.0.field', 'condition.all.1.value']);
    await expect(page.locator('[data-error-path="condition.all.0.field"]').innerText()).resolves.toContain('Unknown profile field "shoeSize"');
    await setCondition(page, '{ not json');
    await page.click('[data-action=save-tag]');
    await expect(page.locator('[data-error-for=condition]').innerText()).resolves.toContain('Not valid JSON');

    // Preview the form as it stands: ¥5,000.07 or more is 1 of the 12 (G00007 spent 500,007 cents).
    await setCondition(page, { field: 'spend365', op: 'ge', value: 500_007 });
    await page.click('[data-action=preview-tag]');
    await expect(page.getAttribute('[data-preview-count]', 'data-preview-count')).resolves.toBe('1');
    await expect(page.getAttribute('[data-preview-count]', 'data-preview-evaluated')).resolves.toBe('12');
    await expect(page.locator('[data-sample-member]').evaluateAll((els) => els.map((e) => e.getAttribute('data-sample-member')))).resolves.toEqual(['G00007']);
    await screenshot(page, 'tags-edit');
    await page.click('[data-action=save-tag]');
    await page.waitForURL('**/console/tags?done=saved*');
    const saved = (await adminClient(rig.hub).get('/tags/rules/high_spender')).body;
    expect(saved.rule).toMatchObject({ version: 2, condition: { field: 'spend365', op: 'ge', value: 500_007 } });
    expect(saved.versions[0].by).toMatchObject({ kind: 'operator' });
  });

  it('a save from a version no longer current is refused and says so; retiring works from the page', async () => {
    const { page } = await openAsOperator(rig, 'marketer');
    await page.goto('/console/tags/price_sensitive');
    // Meanwhile someone else changes it (over the API).
    const rule = (await adminClient(rig.hub).get('/tags/rules/price_sensitive')).body.rule;
    expect((await adminClient(rig.hub).put('/tags/rules/price_sensitive', { ...rule, about: 'changed elsewhere' })).status).toBe(200);
    await page.fill('input[name="names.en"]', 'Bargain hunter');
    await page.click('[data-action=save-tag]');
    await expect(page.locator('.notice.error').innerText()).resolves.toContain('version 2 is current now');
    await expect(page.locator('[data-action=open-current]').count()).resolves.toBe(1);
    expect((await adminClient(rig.hub).get('/tags/rules/price_sensitive')).body.rule.names.en).toBe('Price-sensitive');

    await page.goto('/console/tags/price_sensitive');
    await page.click('[data-action=retire-tag]');
    await page.waitForURL('**/console/tags?done=retired*');
    await expect(page.locator('[data-tag-status=price_sensitive]').innerText()).resolves.toBe('Retired');
  });

  it('a new rule from the form', async () => {
    const { page } = await openAsOperator(rig, 'marketer');
    await page.goto('/console/tags');
    await page.click('[data-action=new-tag]');
    await page.fill('input[name=code]', 'twenties');
    await page.selectOption('select[name=class]', 'natural');
    await page.fill('input[name="names.zh-CN"]', '二十多岁');
    await page.fill('input[name="names.en"]', 'In their twenties');
    await setCondition(page, { field: 'age', op: 'between', min: 20, max: 29 });
    await page.click('[data-action=save-tag]');
    await page.waitForURL('**/console/tags?done=saved*');
    await expect(page.locator('#class-natural [data-tag=twenties]').innerText()).resolves.toBe('In their twenties');
    // The same code again: refused on the code field.
    await page.goto('/console/tags/new');
    await page.fill('input[name=code]', 'twenties');
    await page.fill('input[name="names.zh-CN"]', '重复');
    await page.fill('input[name="names.en"]', 'Again');
    await page.click('[data-action=save-tag]');
    await expect(page.locator('[data-error-for=code]').innerText()).resolves.toContain('exists');
  });

  it('an analyst reads in Chinese, cannot change or preview drafts; no sideways scroll at 390 px', async () => {
    const { page } = await openAsOperator(rig, 'analyst', { locale: 'zh-CN', viewport: { width: 390, height: 800 } });
    await page.goto('/console/tags');
    await expect(page.locator('#class-preference h2').innerText()).resolves.toBe('商品偏好');
    await expect(page.locator('[data-action=new-tag]').count()).resolves.toBe(0);
    expect(await scrollsSideways(page)).toBe(false);
    await page.goto('/console/tags/lover_coffee');
    await expect(page.locator('form#tag-form').count()).resolves.toBe(0);
    await expect(page.locator('[data-action=retire-tag]').count()).resolves.toBe(0);
    expect(await scrollsSideways(page)).toBe(false);
    await page.click('[data-action=preview-stored]');
    await expect(page.locator('[data-preview-count]').innerText()).resolves.toContain('名会员');
    const res = await page.goto('/console/tags/new');
    expect(res!.status()).toBe(403);
    // The admin's navigation, with every screen and Tags among them, still fits a phone.
    const admin = await openAsOperator(rig, 'admin', { viewport: { width: 390, height: 800 } });
    await admin.page.goto('/console/tags/high_spender');
    await expect(admin.page.locator('nav a[href="/console/tags"]').count()).resolves.toBe(1);
    expect(await scrollsSideways(admin.page)).toBe(false);
  });
});
