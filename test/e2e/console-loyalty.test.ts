import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPhone } from '../../shared/seed-members.ts';
import { firstAdminPage, logIn, openAsOperator, scrollsSideways, screenshot, startConsoleRig, type ConsoleRig } from '../support/browser.ts';
import { client, removeDir, startEdge, type EdgeProcess } from '../support/edge-node.ts';
import { adminClient, enrollStore, eventually } from '../support/hub.ts';

/*
 * The console's Loyalty screen (issue 11) in Debian's chromium, against a real hub and a real
 * store node: an operator edits a tier's multiplier and the next checkout at the till earns by
 * it; wrong values are refused field by field (in both languages) and a stale save is refused;
 * a marketer makes a coupon template and issues a coupon that the till then has. SCREENSHOTS=1
 * writes docs/console/loyalty*.png.
 */

let rig: ConsoleRig;
let edge: EdgeProcess | undefined;
let edgeDir: string | undefined;
let admin: ReturnType<typeof adminClient>;
let pos: ReturnType<typeof client>;
let adminPage: Page;
let memberId: string;
const ADMIN_PASSWORD = 'the admin chose this one';

beforeAll(async () => {
  rig = await startConsoleRig(['--login-rate', '600', '--login-burst', '200']);
  admin = adminClient(rig.hub);
  const s1 = await enrollStore(rig.hub, 'S001', { members: 10 });
  edgeDir = s1.dir;
  edge = await startEdge(s1.dir, ['--heartbeat-interval', '1']);
  pos = client(edge.url, s1.token);
  const found = await pos.post('/v1/members/identify', { phone: seedPhone(1) });
  expect(found.status, JSON.stringify(found.body)).toBe(200);
  memberId = found.body.member.id;
  // The first admin's password, chosen in the browser.
  adminPage = await firstAdminPage(rig, ADMIN_PASSWORD);
});
afterAll(async () => {
  await edge?.stop();
  await rig?.close();
  if (edgeDir) removeDir(edgeDir);
});


/** A new operator of a role (and scope), logged in with their own password in a fresh browser profile. */

/** A new operator of a role (and scope), logged in with their own password in a fresh browser profile. */
const operatorPage = (role: string, opts: { locale?: string; scope?: string } = {}) => openAsOperator(rig, role, opts);

const rulesAtTill = async () => (await pos.get('/healthz')).body.rulesVersion as number;
const tierAtTill = async (id: string) => (await pos.get(`/v1/members/${id}`)).body.member.tier as string;

describe('the Loyalty screen', () => {
  it('an admin edits the multiplier of a member’s tier; the history says who changed what; the next checkout at the till earns by the new rule', async () => {
    const page = adminPage;
    const before = (await admin.get('/rules')).body.rules;
    const tier = await tierAtTill(memberId);
    const row = before.tiers.findIndex((t: any) => t.code === tier);
    const old = before.tiers[row].multiplierPct;
    const next = old === 300 ? 250 : 300;

    await page.goto('/console/loyalty');
    expect(await page.textContent(`[data-multiplier="${tier}"]`)).toBe(`${old}%`);
    expect(await page.textContent('[data-rules-version]')).toBe(String(before.version));
    await screenshot(page, 'loyalty');
    await page.click('[data-action="edit-rules"]');
    await page.waitForURL('**/console/loyalty/rules/edit');
    expect(await page.inputValue(`input[name="tiers.${row}.multiplierPct"]`)).toBe(String(old));
    await page.fill(`input[name="tiers.${row}.multiplierPct"]`, String(next));
    await page.click('[data-action="save-rules"]');
    await page.waitForURL(/done=rules/);
    expect(await page.textContent(`[data-multiplier="${tier}"]`)).toBe(`${next}%`);
    const saved = (await admin.get('/rules')).body.rules;
    expect(saved.version).toBe(before.version + 1);
    expect(saved.tiers[row].multiplierPct).toBe(next);
    // Nothing but the multiplier changed.
    expect({ ...saved, version: 0, tiers: [] }).toEqual({ ...before, version: 0, tiers: [] });

    await page.goto('/console/loyalty/rules/versions');
    expect(await page.textContent(`[data-by="${saved.version}"]`)).toBe('admin');
    expect(await page.textContent(`[data-change="tiers[${tier}].multiplierPct"]`)).toContain(`${old} → ${next}`);
    await screenshot(page, 'loyalty-history');

    // At the till: the new version arrives, and a purchase earns by it.
    await eventually(async () => ((await rulesAtTill()) === saved.version ? true : undefined), 20_000, 'the new rules at the store');
    expect(await tierAtTill(memberId)).toBe(tier);
    const sale = await pos.post('/v1/checkouts', { receiptNo: 'LOY1', memberId, lines: [{ sku: 'TEA', qty: 1, unitPrice: 10_000 }] });
    expect(sale.status, JSON.stringify(sale.body)).toBe(201);
    expect(sale.body.checkout.pointsEarned).toBe(Math.floor((100 * saved.earn.pointsPerYuan * next) / 100));
  });

  it('wrong values are refused field by field, nothing written; in Chinese too', async () => {
    const before = (await admin.get('/rules')).body.rules;
    const page = adminPage;
    await page.goto('/console/loyalty/rules/edit');
    await page.fill('input[name="offlineSpendLimit"]', 'lots');
    await page.fill('input[name="cash.maxShareBps"]', '20000');
    await page.fill('input[name="tiers.0.minSpend"]', '12.345');
    await page.click('[data-action="save-rules"]');
    await page.waitForSelector('[data-form-errors]');
    expect(await page.textContent('[data-error-for="offlineSpendLimit"]')).toBe('Enter a whole number.');
    expect(await page.textContent('[data-error-for="cash.maxShareBps"]')).toBe('At most 10000.');
    expect(await page.textContent('[data-error-for="tiers.0.minSpend"]')).toContain('RMB');
    // What the operator typed is still there to correct.
    expect(await page.inputValue('input[name="offlineSpendLimit"]')).toBe('lots');
    await screenshot(page, 'loyalty-edit-errors');
    expect((await admin.get('/rules')).body.rules).toEqual(before);

    const { page: zh } = await operatorPage('admin', { locale: 'zh-CN' });
    await zh.goto('/console/loyalty/rules/edit');
    await zh.fill('input[name="offlineSpendLimit"]', '-1');
    await zh.fill('input[name="tiers.1.minSpend"]', '0');
    await zh.click('[data-action="save-rules"]');
    await zh.waitForSelector('[data-form-errors]');
    expect(await zh.textContent('[data-error-for="offlineSpendLimit"]')).toBe('不能小于 0。');
    await zh.fill('input[name="offlineSpendLimit"]', '100');
    await zh.click('[data-action="save-rules"]');
    await zh.waitForSelector('[data-form-errors]');
    expect(await zh.textContent('[data-error-for="tiers"]')).toBe('每个等级的消费起点必须高于上一级。');
    expect((await admin.get('/rules')).body.rules).toEqual(before);
  });

  it('a save from a version someone else has changed since is refused with a clear message, nothing written', async () => {
    const page = adminPage;
    await page.goto('/console/loyalty/rules/edit');
    const opened = (await admin.get('/rules')).body.rules;
    // Meanwhile a script changes the rules.
    expect((await admin.put('/rules', { rules: { ...opened, joinGift: opened.joinGift + 1 } })).status).toBe(200);
    const meanwhile = (await admin.get('/rules')).body.rules;
    await page.fill('input[name="offlineSpendLimit"]', '1234');
    await page.click('[data-action="save-rules"]');
    await page.waitForSelector('.notice.error');
    expect(await page.textContent('.notice.error')).toContain(`version ${opened.version}`);
    expect(await page.textContent('.notice.error')).toContain('Nothing was written');
    expect((await admin.get('/rules')).body.rules).toEqual(meanwhile);
    // The way on: the current version, with the change made meanwhile.
    await page.click('[data-action="open-current"]');
    await page.waitForURL('**/console/loyalty/rules/edit');
    expect(await page.inputValue('input[name="joinGift"]')).toBe(String(meanwhile.joinGift));
    expect(await page.inputValue('input[name="version"]')).toBe(String(meanwhile.version));
  });

  it('a marketer makes a coupon template and changes it; may not edit the rules (no link, 403 page, a forged post refused)', async () => {
    const { page, name } = await operatorPage('marketer');
    await page.goto('/console/loyalty');
    expect(await page.locator('[data-action="edit-rules"]').count()).toBe(0);
    expect((await page.goto('/console/loyalty/rules/edit'))?.status()).toBe(403);
    const rules = (await admin.get('/rules')).body.rules;
    const csrf = await (await page.goto('/console/loyalty'))!.text().then((html) => /name="_csrf" value="([^"]+)"/.exec(html)![1]!);
    const forged = await page.evaluate(async ({ csrf, version }) => (await fetch('/console/loyalty/rules', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf, version: String(version), joinGift: '1' }).toString() })).status, { csrf, version: rules.version });
    expect(forged).toBe(403);
    expect((await admin.get('/rules')).body.rules).toEqual(rules);

    await page.click('[data-action="new-template"]');
    await page.fill('input[name=id]', 'SPRING-15');
    await page.fill('input[name=title]', 'Spring: 15 off 100');
    await page.selectOption('select[name="terms.kind"]', 'cash');
    await page.fill('input[name="terms.value"]', '15');
    await page.fill('input[name="terms.minSpend"]', '0');
    await page.fill('input[name=validDays]', 'ten');
    await page.click('[data-action="save-template"]');
    await page.waitForSelector('[data-error-for="validDays"]');
    await page.fill('input[name=validDays]', '10');
    await page.click('[data-action="save-template"]');
    await page.waitForURL(/done=template/);
    const made = (await admin.get('/templates')).body.templates.find((t: any) => t.id === 'SPRING-15');
    expect(made).toMatchObject({ version: 1, title: 'Spring: 15 off 100', terms: { kind: 'cash', valueCents: 1500, minSpendCents: 0 }, validDays: 10 });
    await page.click('a[href="/console/loyalty/templates/SPRING-15"]');
    await page.fill('input[name=title]', 'Spring: 15 off');
    await page.click('[data-action="save-template"]');
    await page.waitForURL(/done=template/);
    await page.goto('/console/loyalty/templates/SPRING-15');
    expect(await page.textContent('[data-by="2"]')).toBe(name);
    expect(await page.textContent('[data-change="title"]')).toContain('Spring: 15 off 100 → Spring: 15 off');
    await screenshot(page, 'loyalty-template');
    // The same id again as a new template is refused: it exists.
    await page.goto('/console/loyalty/templates/new');
    await page.fill('input[name=id]', 'SPRING-15');
    await page.fill('input[name=title]', 'Twice');
    await page.fill('input[name="terms.value"]', '1');
    await page.click('[data-action="save-template"]');
    await page.waitForSelector('.notice.error');
    expect((await admin.get('/templates')).body.templates.find((t: any) => t.id === 'SPRING-15').title).toBe('Spring: 15 off');
  });

  it('an analyst reads the loyalty screen and templates, with no forms', async () => {
    const { page } = await operatorPage('analyst');
    await page.goto('/console/loyalty');
    expect(await page.locator('#issue').count()).toBe(0);
    expect(await page.locator('[data-action="new-template"]').count()).toBe(0);
    await page.goto('/console/loyalty/templates/CASH20');
    expect(await page.locator('form#template-form').count()).toBe(0);
    expect(await page.inputValue('input[name=title]')).toBe('20 RMB off 100');
  });

  it('a coupon issued from the member 360 page and one from the loyalty screen (by phone) reach the member’s coupons at the till; a form sent twice issues one', async () => {
    const page = adminPage;
    await page.goto(`/console/members/${memberId}`);
    await page.click('#coupons summary');
    await page.selectOption('#issue-coupon select[name=templateId]', 'SPRING-15');
    await page.click('#issue-coupon [data-action="issue-coupon"]');
    await page.waitForURL(/done=coupon/);
    const fromMember = (await page.getAttribute('[data-issued]', 'data-issued'))!;
    expect(await page.textContent('#coupons')).toContain(fromMember);
    expect(await page.textContent('.notice.ok')).toBe(`Coupon ${fromMember} issued to member ${memberId}.`);
    await screenshot(page, 'loyalty-member-coupon');

    await page.goto('/console/loyalty');
    await page.fill('#issue input[name=member]', '139-0000-0001');
    await page.selectOption('#issue select[name=templateId]', 'CASH20');
    const fields = await page.evaluate(() => Object.fromEntries(new FormData(document.querySelector('#issue form') as HTMLFormElement) as any));
    await page.click('#issue [data-action="issue-coupon"]');
    await page.waitForURL(/done=coupon/);
    const byPhone = (await page.getAttribute('[data-issued]', 'data-issued'))!;
    // The same form again (its request id): the coupon it issued, no second one.
    const again = await page.evaluate(async (f) => (await fetch('/console/loyalty/coupons', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(f).toString() })).url, fields as Record<string, string>);
    expect(again).toContain('again=1');
    expect(again).toContain(byPhone);
    const coupons = (await admin.get(`/members/${memberId}`)).body.member.coupons.map((c: any) => c.code);
    expect(coupons.filter((c: string) => c === byPhone)).toHaveLength(1);
    expect(coupons).toContain(fromMember);

    await eventually(async () => {
      const atTill = ((await pos.get(`/v1/members/${memberId}`)).body.member.coupons ?? []).map((c: any) => c.code);
      return atTill.includes(fromMember) && atTill.includes(byPhone) ? true : undefined;
    }, 20_000, 'both coupons at the till');
    const verified = await pos.post(`/v1/coupons/${fromMember}/verify`, { memberId, lines: [{ sku: 'A', qty: 1, unitPrice: 10_000 }] });
    expect(verified.body).toMatchObject({ valid: true, discount: 1500 });

    // Issues are audited with the member as target.
    const { entries } = (await admin.get('/audit?limit=200')).body;
    expect(entries.filter((e: any) => e.route === '/console/loyalty/coupons' && e.target === memberId).length).toBe(2);
  });

  it('a marketer scoped to another region cannot issue to this member: not found, nothing written', async () => {
    expect((await admin.post('/stores', { id: 'S009', name: 'Far away', region: 'North' })).status).toBe(201);
    const { page } = await operatorPage('marketer', { scope: 'region:North' });
    const before = (await admin.get(`/members/${memberId}`)).body.member.coupons.length;
    await page.goto('/console/loyalty');
    await page.fill('#issue input[name=member]', memberId);
    await page.click('#issue [data-action="issue-coupon"]');
    await page.waitForSelector('.notice.error');
    expect(await page.textContent('.notice.error')).toBe('No member found.');
    expect((await admin.get(`/members/${memberId}`)).body.member.coupons.length).toBe(before);
  });

  it('at 390×844 the loyalty pages do not scroll sideways', async () => {
    const { page } = await rig.open({ viewport: { width: 390, height: 844 } });
    await logIn(page, 'admin', ADMIN_PASSWORD);
    await page.waitForURL((u) => u.pathname === '/console');
    for (const path of ['/console/loyalty', '/console/loyalty/rules/edit', '/console/loyalty/rules/versions', '/console/loyalty/templates/SPRING-15', '/console/loyalty/templates/new']) {
      await page.goto(path);
      expect(await scrollsSideways(page), path).toBe(false);
    }
    await page.goto('/console/loyalty/rules/edit');
    await screenshot(page, 'loyalty-edit-phone');
  });
});
