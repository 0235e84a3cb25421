import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { choosePassword, logIn, openAsOperator, scrollsSideways, screenshot, startConsoleRig, type ConsoleRig } from '../support/browser.ts';
import { adminClient, eventually } from '../support/hub.ts';

/*
 * The console's Segments screen (issue 12, decision 023) in Debian's chromium against a real hub:
 * a marketer builds a rule and sees the count follow it as it changes (scripts), saves it,
 * exports its members (masked: a marketer may not see personal data) and downloads the file;
 * without scripts the Count button answers with the page. SCREENSHOTS=1 writes
 * docs/console/segments*.png.
 */

let rig: ConsoleRig;
let admin: ReturnType<typeof adminClient>;
const phones = ['+8613700000001', '+8613700000002', '+8613700000003', '+8613700000004', '+8613700000005'];

beforeAll(async () => {
  rig = await startConsoleRig(['--login-rate', '600', '--login-burst', '200']);
  admin = adminClient(rig.hub);
  for (const [i, phone] of phones.entries()) {
    const r = await admin.post('/identity/records', { id: `crm:E2E-${i}`, source: 'crm', observedAt: new Date().toISOString(), identities: { phone }, profile: { name: `Person ${i}`, gender: i < 3 ? 'F' : 'M' } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  }
  await eventually(async () => ((await admin.post('/segments/count', { rule: { field: 'isMember', op: 'eq', value: 1 } })).body.count === 5 ? true : undefined), 30_000, 'five members in the profiles');
});
afterAll(async () => {
  await rig?.close();
});

describe('the Segments screen', () => {
  it('counts the rule as it changes, saves it, and exports its members masked', async () => {
    const { page } = await openAsOperator(rig, 'marketer');
    await page.goto('/console/segments');
    await page.click('[data-action=new-segment]');
    await page.fill('input[name=name]', 'Women');
    await page.selectOption('select[name="c0.field"]', 'gender');
    await page.selectOption('select[name="c0.op"]', 'in');
    await page.fill('input[name="c0.value"]', 'F');
    await page.waitForFunction(() => document.getElementById('segment-count')!.textContent!.includes('3 of 5'));
    await page.fill('input[name="c0.value"]', 'M');
    await page.waitForFunction(() => document.getElementById('segment-count')!.textContent!.includes('2 of 5'));
    await page.fill('input[name="c0.value"]', 'F');
    await page.waitForFunction(() => document.getElementById('segment-count')!.textContent!.includes('3 of 5'));
    await screenshot(page, 'segments-edit');
    await page.click('[data-action=save-segment]');
    await page.waitForURL(/\/console\/segments\/[0-9A-Z]{26}\?saved=1/);
    expect(await page.textContent('#segment-count')).toContain('3 of 5');

    await page.click('[data-action=export-csv]');
    await page.waitForURL(/\/console\/segments\/exports\//);
    await page.waitForSelector('[data-action=download]', { timeout: 20_000 });
    await screenshot(page, 'segments-export');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-action=download]')]);
    const text = readFileSync((await download.path())!, 'utf8').trim().split('\n');
    expect(text.length).toBe(4);
    const masked = phones.slice(0, 3).map((p) => `${p.slice(3, 6)}****${p.slice(10)}`).sort();
    expect(text.slice(1).map((l) => l.split(',')[3]).sort()).toEqual(masked);

    await page.goto('/console/segments');
    expect(await page.textContent('main')).toContain('Women');
    await screenshot(page, 'segments');
  });

  it('without scripts the Count button answers with the page, in Chinese, and nothing scrolls sideways at 390 px', async () => {
    const added = await admin.post('/operators', { name: 'marketer-noscript', role: 'marketer' });
    const context = await rig.browser.newContext({ baseURL: rig.hub.url, javaScriptEnabled: false, locale: 'zh-CN', viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await logIn(page, 'marketer-noscript', added.body.password);
    await choosePassword(page, added.body.password, 'marketer-noscript password');
    await page.goto('/console/segments/new');
    await page.fill('input[name=name]', '男性');
    await page.selectOption('select[name="c0.field"]', 'gender');
    await page.selectOption('select[name="c0.op"]', 'in');
    await page.fill('input[name="c0.value"]', 'M');
    await page.click('[data-action=count]');
    expect(await page.textContent('#segment-count')).toContain('5 名会员中 2 名');
    expect(await scrollsSideways(page)).toBe(false);
    await page.selectOption('select[name="c1.field"]', 'tags');
    await page.selectOption('select[name="c1.op"]', 'gt');
    await page.fill('input[name="c1.value"]', '3');
    await page.click('[data-action=count]');
    expect(await page.locator('[data-error-for="c1.op"]').count()).toBe(1);
    // The count is a form post: without the session's CSRF token it is refused.
    const refused = await page.request.post('/console/segments/count', { form: { 'c0.field': 'gender', 'c0.op': 'in', 'c0.value': 'M' }, headers: { accept: 'application/json' } });
    expect(refused.status()).toBe(403);
    await context.close();
  });
});
