import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedMemberCode } from '../../shared/seed-members.ts';
import { client, edgeCliOk, lastLine, removeDir, startEdge, type EdgeProcess } from '../support/edge-node.ts';
import { scrollsSideways, screenshot, startConsoleRig, type ConsoleRig } from '../support/browser.ts';
import { enrollStore, eventually } from '../support/hub.ts';

/*
 * The guide pages (issue 11) in a real browser on a phone-sized screen: a real hub, a real
 * enrolled store node with members the hub seeded, a guide account made with the CLI while the
 * node serves. What the pages show is held against the POS API; then the hub is killed and the
 * guide goes on. SCREENSHOTS=1 writes docs/console/guide-*.png.
 */

const PHONE = { width: 390, height: 844 };
let rig: ConsoleRig;
let edge: EdgeProcess | undefined;
let edgeDir: string | undefined;
let pos: ReturnType<typeof client>;
let password: string;
/** The password anna chooses at her first sign-in. */
const ANNA_PASSWORD = 'anna chose this one';
let memberId: string;

beforeAll(async () => {
  rig = await startConsoleRig();
  const s1 = await enrollStore(rig.hub, 'S001', { members: 20 });
  edgeDir = s1.dir;
  edge = await startEdge(s1.dir, ['--heartbeat-interval', '1']);
  pos = client(edge.url, s1.token);
  // Made while the node serves, as a store manager would.
  const out = await edgeCliOk(['guide', 'add', 'anna', '--data', s1.dir]);
  password = lastLine(out);
  expect(password).toMatch(/^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$/);
  const found = await pos.post('/v1/members/identify', { phone: '+86 139 0000 0001' });
  expect(found.status, JSON.stringify(found.body)).toBe(200);
  memberId = found.body.member.id;
  const lines = (n: number) => [
    { sku: `TEA-${n}`, category: 'tea', qty: 2, unitPrice: 12_800 },
    { sku: 'CUP-1', category: 'cups', qty: 1, unitPrice: 5_000 },
  ];
  for (let i = 1; i <= 3; i++) expect((await pos.post('/v1/checkouts', { receiptNo: `G${i}`, memberId, lines: lines(i) })).status).toBe(201);
  expect((await pos.post('/v1/checkouts', { receiptNo: 'G4', memberId, lines: [{ sku: 'GRINDER', category: 'grinders', qty: 1, unitPrice: 39_900 }] })).status).toBe(201);
});
afterAll(async () => {
  await edge?.stop();
  await rig?.close();
  if (edgeDir) removeDir(edgeDir);
});

const path = (page: Page) => new URL(page.url()).pathname;

async function signIn(page: Page, name: string, pw: string) {
  await page.fill('input[name=name]', name);
  await page.fill('input[name=password]', pw);
  await page.click('form[action="/guide/login"] button[type=submit]');
}

async function find(page: Page, q: string) {
  await page.goto('/guide');
  await page.fill('input[name=q]', q);
  await page.click('form[action="/guide/find"] button[type=submit]');
}

/** The profile page shows what the POS API answers for the member. */
async function expectProfileAsPos(page: Page, id: string) {
  expect(path(page)).toBe(`/guide/m/${id}`);
  const api = (await pos.get(`/v1/members/${id}`)).body.member;
  expect(await page.getAttribute('[data-balance]', 'data-balance')).toBe(String(api.points.balance));
  expect(await page.getAttribute('[data-tier]', 'data-tier')).toBe(api.tier);
  expect(await page.textContent('[data-phone]')).toContain(api.phoneMasked);
  expect(await page.textContent('h1')).toBe(api.name);
  expect(await page.locator('[data-coupon]').count()).toBe(api.coupons.length);
  return api;
}

describe('the guide pages', () => {
  let page: Page;

  it('a page without a session goes to sign-in; a wrong password is refused', async () => {
    ({ page } = await rig.open({ viewport: PHONE, baseURL: edge!.url }));
    await page.goto(`/guide/m/${memberId}`);
    expect(path(page)).toBe('/guide/login');
    expect(await scrollsSideways(page)).toBe(false);
    await screenshot(page, 'guide-login');
    await signIn(page, 'anna', 'not her password');
    expect(await page.textContent('[role=alert]')).toContain('Wrong name or password');
    expect(path(page)).toBe('/guide/login');
    await signIn(page, 'nobody', password);
    expect(await page.textContent('[role=alert]')).toContain('Wrong name or password');
  });

  it('the printed password leads first to a page to choose one’s own; then the printed one no longer signs in', async () => {
    await signIn(page, 'anna', password);
    await page.waitForURL('**/guide/password');
    // Until then every page sends the guide back here.
    await page.goto(`/guide/m/${memberId}`);
    expect(path(page)).toBe('/guide/password');
    expect(await scrollsSideways(page)).toBe(false);
    await screenshot(page, 'guide-password');
    const choose = async (current: string, next: string, confirm = next) => {
      await page.fill('input[name=current]', current);
      await page.fill('input[name=next]', next);
      await page.fill('input[name=confirm]', confirm);
      await page.click('form[action="/guide/password"] button[type=submit]');
    };
    await choose(password, ANNA_PASSWORD, 'something else entirely');
    expect(await page.textContent('[role=alert]')).toContain('differ');
    await choose('not the printed one', ANNA_PASSWORD);
    expect(await page.textContent('[role=alert]')).toContain('wrong');
    await choose(password, ANNA_PASSWORD);
    await page.waitForURL((u) => u.pathname === '/guide');
    const file = JSON.parse(readFileSync(join(edgeDir!, 'guides.json'), 'utf8')).guides.find((g: any) => g.name === 'anna');
    expect(file).toMatchObject({ mustChangePassword: false, passwordAt: expect.any(String) });
    const { page: other } = await rig.open({ viewport: PHONE, baseURL: edge!.url });
    await other.goto('/guide/login');
    await signIn(other, 'anna', password);
    expect(await other.textContent('[role=alert]')).toContain('Wrong name or password');
  });

  it('a guide signs in, finds a member by phone and sees what the till sees, with purchases and what to talk about', async () => {
    await page.goto('/guide');
    expect(await page.textContent('h1')).toBe('Find a member');
    expect(await scrollsSideways(page)).toBe(false);
    await screenshot(page, 'guide-find');

    await find(page, '139-0000-0001');
    await page.waitForURL(`**/guide/m/${memberId}`);
    const api = await expectProfileAsPos(page, memberId);
    expect(api.points.balance).toBeGreaterThan(0);
    expect(await page.locator('[data-purchase]').count()).toBe(4);
    expect(await page.locator('[data-category]').evaluateAll((els) => els.map((e) => e.getAttribute('data-category')))).toEqual(['tea', 'cups', 'grinders']);
    expect(await page.textContent('[data-to-next]')).toMatch(/more to/);
    expect(await scrollsSideways(page)).toBe(false);
    await screenshot(page, 'guide-profile');

    // A number that is nobody's is said so, on the find page.
    await find(page, '+86 139 9999 0000');
    expect(await page.textContent('[role=alert]')).toContain('No member');
  });

  it('a form without the CSRF token changes nothing', async () => {
    const res = await page.request.post('/guide/register', { form: { phone: '13912340000' }, maxRedirects: 0 });
    expect(res.status()).toBe(403);
    expect((await pos.post('/v1/members/identify', { phone: '13912340000' })).status).toBe(404);
    const out = await page.request.post('/guide/logout', { form: {}, maxRedirects: 0 });
    expect(out.status()).toBe(403);
    await page.goto('/guide');
    expect(path(page)).toBe('/guide'); // still signed in
  });

  it('with the hub killed, the guide finds another member by member code and registers a walk-in', async () => {
    await rig.hub.kill();
    await eventually(async () => ((await pos.get('/healthz')).body.sync?.state === 'offline' ? true : undefined), 60_000, 'the node offline');

    await find(page, seedMemberCode(2));
    await page.waitForURL('**/guide/m/**');
    const second = path(page).split('/').pop()!;
    expect(second).not.toBe(memberId);
    await expectProfileAsPos(page, second);
    expect(await page.isVisible('.offline')).toBe(true);
    expect(await scrollsSideways(page)).toBe(false);
    await screenshot(page, 'guide-profile-offline');

    await page.goto('/guide/register');
    expect(await scrollsSideways(page)).toBe(false);
    await page.fill('input[name=phone]', '139 1234 5678');
    await page.fill('input[name=name]', 'Walk In');
    await page.selectOption('select[name=gender]', 'F');
    await screenshot(page, 'guide-register');
    await page.click('form[action="/guide/register"] button[type=submit]');
    await page.waitForURL('**/guide/m/**?new=1');
    const walkIn = (await pos.post('/v1/members/identify', { phone: '13912345678' })).body.member;
    expect(path(page)).toBe(`/guide/m/${walkIn.id}`);
    await expectProfileAsPos(page, walkIn.id);
    expect(await page.textContent('[role=status]:not(.offline)')).toContain('Registered');
    expect(await scrollsSideways(page)).toBe(false);

    // The same phone again: the page says so and links the member.
    await page.goto('/guide/register');
    await page.fill('input[name=phone]', '+86 139-1234-5678');
    await page.click('form[action="/guide/register"] button[type=submit]');
    expect(await page.textContent('[role=alert]')).toContain('exists');
    expect(await page.getAttribute('[role=alert] a', 'href')).toBe(`/guide/m/${walkIn.id}`);
  });

  it('in Chinese, at 390×844, no page scrolls sideways; signing out ends the session', async () => {
    const { page: zh } = await rig.open({ viewport: PHONE, baseURL: edge!.url, locale: 'zh-CN' });
    await zh.goto('/guide');
    expect(await zh.textContent('h1')).toBe('登录');
    await signIn(zh, 'anna', ANNA_PASSWORD);
    await zh.waitForURL('**/guide');
    for (const p of ['/guide', `/guide/m/${memberId}`, '/guide/register']) {
      await zh.goto(p);
      expect(await scrollsSideways(zh), p).toBe(false);
    }
    await zh.goto(`/guide/m/${memberId}`);
    expect(await zh.textContent('#points .label')).toBe('积分');
    await screenshot(zh, 'guide-profile-zh');
    await zh.click('form[action="/guide/logout"] button[type=submit]');
    await zh.waitForURL('**/guide/login');
    await zh.goto(`/guide/m/${memberId}`);
    expect(path(zh)).toBe('/guide/login');
  });

  it('a revoked guide is signed out', async () => {
    await edgeCliOk(['guide', 'revoke', 'anna', '--data', edgeDir!]);
    await eventually(async () => {
      await page.goto('/guide');
      return path(page) === '/guide/login' ? true : undefined;
    }, 10_000, 'the revoked guide signed out');
  });
});
