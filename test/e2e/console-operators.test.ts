import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { choosePassword, firstAdminPage, logIn, scrollsSideways, screenshot, startConsoleRig, type ConsoleRig } from '../support/browser.ts';
import { adminClient } from '../support/hub.ts';

/*
 * Operators and the org tree in the console (issue 11), in Debian's chromium against a real hub:
 * an admin adds cities, stores and operators with the page's forms, hands out one-time passwords,
 * disables and resets accounts; every change is what the admin API then answers.
 */

let rig: ConsoleRig;
let admin: ReturnType<typeof adminClient>;
let adminPage: Page;
const ADMIN_PASSWORD = 'operators test admin password';

beforeAll(async () => {
  rig = await startConsoleRig(['--login-rate', '600', '--login-burst', '200']);
  admin = adminClient(rig.hub);
  expect((await admin.post('/stores', { id: 'S001', name: 'Shanghai Jing’an', region: 'East' })).status).toBe(201);
  expect((await admin.post('/stores', { id: 'S002', name: 'Beijing Sanlitun', region: 'North' })).status).toBe(201);
  expect((await admin.post('/stores', { id: 'S004', name: 'Tianjin Binhai', region: 'North' })).status).toBe(201);
  adminPage = await firstAdminPage(rig, ADMIN_PASSWORD);
});
afterAll(async () => {
  await rig?.close();
});

const operatorOf = async (name: string) => (await admin.get('/operators')).body.operators.find((o: any) => o.name === name);

/** Adds an operator with the page's form; answers the one-time password the page shows once. */
async function addOperator(page: Page, name: string, role: string, scope: string): Promise<string> {
  await page.goto('/console/operators');
  await page.fill('#add-operator input[name=name]', name);
  await page.selectOption('#add-operator select[name=role]', role);
  await page.selectOption('#add-operator select[name=scope]', scope);
  await page.click('#add-operator button[type=submit]');
  return (await page.textContent('[data-one-time-password]'))!.trim();
}

describe('the org tree on the stores page', () => {
  it('adds a city, a store in it, and moves a store into it; the tree and the API agree', async () => {
    const page = adminPage;
    await page.goto('/console/stores');
    await page.fill('#add-city input[name=name]', 'Hangzhou');
    await page.fill('#add-city input[name=region]', 'east'); // the region as the tree spells it, whatever the case
    await page.click('#add-city button[type=submit]');
    await page.waitForURL(/done=city/);
    expect(await page.textContent('[data-tree-region="East"]')).toContain('Hangzhou');

    await page.fill('#add-store input[name=id]', 'S003');
    await page.fill('#add-store input[name=name]', 'Hangzhou West Lake');
    await page.selectOption('#add-store select[name=city]', 'Hangzhou');
    await page.click('#add-store button[type=submit]');
    expect((await page.textContent('[data-enrollment-code]'))?.trim()).toMatch(/^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$/);
    const s3 = (await admin.get('/stores')).body.stores.find((s: any) => s.id === 'S003');
    expect([s3.region, s3.city]).toEqual(['East', 'Hangzhou']);

    await page.goto('/console/stores');
    await page.selectOption('#move-store select[name=store]', 'S002');
    await page.selectOption('#move-store select[name=city]', 'Hangzhou');
    await page.click('#move-store button[type=submit]');
    await page.waitForURL(/done=moved/);
    expect(await page.textContent('[data-tree-city="Hangzhou"]')).toContain('S002');
    const tree = (await admin.get('/org')).body;
    const east = tree.regions.find((r: any) => r.name === 'East');
    expect(east.cities.find((c: any) => c.name === 'Hangzhou').stores.map((s: any) => s.storeId).sort()).toEqual(['S002', 'S003']);
    await screenshot(page, 'stores-org');
  });

  it('a city in an unknown place or a name JavaScript reserves is refused on the page, nothing written', async () => {
    const page = adminPage;
    await page.goto('/console/stores');
    await page.fill('#add-city input[name=name]', 'constructor');
    await page.fill('#add-city input[name=region]', 'East');
    await page.click('#add-city button[type=submit]');
    expect(await page.textContent('.notice.error')).toContain('name');
    expect(JSON.stringify((await admin.get('/org')).body)).not.toContain('constructor');
    // Moving into a city that does not exist (a forged form) is refused the same way.
    const status = await page.evaluate(async () => {
      const csrf = (document.querySelector('#move-store input[name=_csrf]') as HTMLInputElement).value;
      return (await fetch('/console/stores/move', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `_csrf=${encodeURIComponent(csrf)}&store=S001&city=Atlantis` })).status;
    });
    expect(status).toBe(400);
    expect((await admin.get('/stores')).body.stores.find((s: any) => s.id === 'S001').city).toBeUndefined();
  });
});

describe('operators', () => {
  it('an admin adds a store manager with a scope; the one-time password works once and is shown once', async () => {
    const password = await addOperator(adminPage, 'li.manager', 'store_manager', 'city:Hangzhou');
    expect(password.length).toBeGreaterThanOrEqual(10);
    expect(await operatorOf('li.manager')).toMatchObject({ role: 'store_manager', scope: 'city:Hangzhou', mustChangePassword: true, disabled: false });
    await adminPage.goto('/console/operators');
    expect(await adminPage.textContent('main')).not.toContain(password);
    expect(await adminPage.textContent('[data-operator-state="li.manager"]')).toContain('Password not chosen yet');
    await screenshot(adminPage, 'operators');

    const { page } = await rig.open();
    await logIn(page, 'li.manager', password);
    await choosePassword(page, password, 'li manager chose this');
    // A store manager manages no one: no link, and the page is refused.
    expect(await page.locator('nav a[href="/console/operators"]').count()).toBe(0);
    expect((await page.goto('/console/operators'))?.status()).toBe(403);
    // The stores page shows only the stores of their city.
    await page.goto('/console/stores');
    expect(await page.locator('[data-store]').evaluateAll((els) => els.map((e) => e.getAttribute('data-store')).sort())).toEqual(['S002', 'S003']);
  });

  it('a store manager’s forged form to add an operator is refused, nothing written', async () => {
    const { page } = await rig.open();
    await logIn(page, 'li.manager', 'li manager chose this');
    await page.waitForURL((u) => u.pathname === '/console');
    const status = await page.evaluate(async () => {
      const csrf = (document.querySelector('form[action="/console/logout"] input[name=_csrf]') as HTMLInputElement).value;
      return (await fetch('/console/operators', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `_csrf=${encodeURIComponent(csrf)}&name=mallory&role=admin&scope=` })).status;
    });
    expect(status).toBe(403);
    expect(await operatorOf('mallory')).toBeUndefined();
  });

  it('disabling ends the operator’s sessions; enabling lets them in again; a reset gives a new one-time password', async () => {
    const { page } = await rig.open();
    await logIn(page, 'li.manager', 'li manager chose this');
    await page.waitForURL((u) => u.pathname === '/console');

    await adminPage.goto('/console/operators');
    await adminPage.click('[data-action="disable-li.manager"]');
    await adminPage.waitForURL(/done=disabled/);
    expect((await operatorOf('li.manager')).disabled).toBe(true);
    await page.goto('/console/stores');
    expect(new URL(page.url()).pathname).toBe('/console/login');

    await adminPage.click('[data-action="enable-li.manager"]');
    await adminPage.waitForURL(/done=enabled/);
    await adminPage.click('[data-action="reset-li.manager"]');
    const fresh = (await adminPage.textContent('[data-one-time-password]'))!.trim();
    expect((await operatorOf('li.manager')).mustChangePassword).toBe(true);
    await logIn(page, 'li.manager', 'li manager chose this'); // the old one no longer works
    expect(new URL(page.url()).pathname).toBe('/console/login');
    expect(await page.textContent('.notice.error')).toContain('Wrong name or password');
    await logIn(page, 'li.manager', fresh);
    await choosePassword(page, fresh, 'li manager chose again');
  });

  it('an admin scoped to a region sees and gives only what lies within it', async () => {
    const password = await addOperator(adminPage, 'east.admin', 'admin', 'region:East');
    await addOperator(adminPage, 'north.analyst', 'analyst', 'region:North');
    const { page } = await rig.open();
    await logIn(page, 'east.admin', password);
    await choosePassword(page, password, 'east admin password');
    await page.goto('/console/operators');
    const names = await page.locator('[data-operator]').evaluateAll((els) => els.map((e) => e.getAttribute('data-operator')).sort());
    expect(names).toEqual(['east.admin', 'li.manager']);
    const scopes = await page.locator('#add-operator select[name=scope] option').evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value));
    expect(scopes).not.toContain('');
    expect(scopes).not.toContain('region:North');
    expect(scopes).toContain('city:Hangzhou');
    // An operator outside the scope is not found, whatever the URL says.
    const status = await page.evaluate(async () => {
      const csrf = (document.querySelector('#add-operator input[name=_csrf]') as HTMLInputElement).value;
      return (await fetch('/console/operators/north.analyst/disable', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `_csrf=${encodeURIComponent(csrf)}` })).status;
    });
    expect(status).toBe(404);
    expect((await operatorOf('north.analyst')).disabled).toBe(false);
  });

  it('at 390×844 the operators page does not scroll sideways', async () => {
    const { page } = await rig.open({ viewport: { width: 390, height: 844 } });
    await logIn(page, 'admin', ADMIN_PASSWORD);
    await page.waitForURL((u) => u.pathname === '/console');
    for (const path of ['/console/operators', '/console/stores']) {
      await page.goto(path);
      expect(await scrollsSideways(page), path).toBe(false);
    }
  });
});
