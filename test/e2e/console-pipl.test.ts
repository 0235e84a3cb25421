import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { client, removeDir, startEdge, type EdgeProcess } from '../support/edge-node.ts';
import { type ConsoleRig, openAsOperator, screenshot, scrollsSideways, startConsoleRig } from '../support/browser.ts';
import { adminClient, enrollStore, eventually } from '../support/hub.ts';

/*
 * Personal data rights on the member's page (PIPL, decision 014), in Debian's chromium against a
 * real hub and a real store node: an operator records a member's consent, downloads everything
 * about the member, and erases their personal data; roles without the permission see no form;
 * the till then finds no one by the old phone.
 */

let rig: ConsoleRig;
let edge: EdgeProcess | undefined;
let edgeDir: string | undefined;
let admin: ReturnType<typeof adminClient>;
let pos: ReturnType<typeof client>;
const memberId = 'MSEED00000004';
const phone = '+8613900000004';

beforeAll(async () => {
  rig = await startConsoleRig(['--login-rate', '600', '--login-burst', '200']);
  admin = adminClient(rig.hub);
  const s1 = await enrollStore(rig.hub, 'S001', { members: 10 });
  edgeDir = s1.dir;
  edge = await startEdge(s1.dir, ['--heartbeat-interval', '1']);
  pos = client(edge.url, s1.token);
  expect((await pos.post('/v1/checkouts', { receiptNo: 'R1', memberId, lines: [{ sku: 'TEA', qty: 1, unitPrice: 12_800 }] })).status).toBe(201);
  await eventually(async () => ((await admin.get(`/members/${memberId}`)).body.facts?.some((f: { type: string }) => f.type === 'order') ? true : undefined), 20_000, 'the receipt at the hub');
}, 120_000);

afterAll(async () => {
  await edge?.stop();
  await rig?.close();
  if (edgeDir) removeDir(edgeDir);
});

/** A new operator of a role, logged in with their own password in a fresh browser profile. */
const operatorPage = async (role: string, opts: { viewport?: { width: number; height: number }; locale?: string } = {}): Promise<Page> => (await openAsOperator(rig, role, opts)).page;

it('consent, export and erasure on the member page: each form for the roles that may, audited, the till finds no one afterwards', { timeout: 180_000 }, async () => {
  // An analyst reads and exports, and records nothing; a store manager records consent, erases nothing.
  const analyst = await operatorPage('analyst');
  await analyst.goto(`/console/members/${memberId}`);
  expect(await analyst.isVisible('#export-link')).toBe(true);
  expect(await analyst.isVisible('#consent-form')).toBe(false);
  expect(await analyst.isVisible('#erase-form')).toBe(false);
  const manager = await operatorPage('store_manager');
  await manager.goto(`/console/members/${memberId}`);
  expect(await manager.isVisible('#consent-form')).toBe(true);
  expect(await manager.isVisible('#export-link')).toBe(false);
  expect(await manager.isVisible('#erase-form')).toBe(false);
  expect((await manager.request.get(`/console/members/${memberId}/export`)).status()).toBe(403);

  const page = await operatorPage('admin');
  await page.goto(`/console/members/${memberId}`);
  expect(await page.textContent('[data-consent="sms"]')).toBe('Not asked');
  await page.selectOption('#consent-form select[name=channel]', 'sms');
  await page.selectOption('#consent-form select[name=granted]', 'true');
  await page.click('#consent-form button[type=submit]');
  await page.waitForURL((u) => u.searchParams.get('done') === 'consent');
  expect(await page.textContent('[data-consent="sms"]')).toBe('Agreed');
  const api = (await admin.get(`/members/${memberId}/consent`)).body;
  expect(api.channels.find((c: { channel: string }) => c.channel === 'sms')).toMatchObject({ granted: true, source: 'console' });
  expect(api.history[0]).toMatchObject({ channel: 'sms', granted: true, by: expect.stringMatching(/^admin-/) });
  // The till gets the consent like any fact of the member's.
  await eventually(async () => ((await pos.get(`/v1/members/${memberId}/consent`)).body.consents?.find((c: { channel: string }) => c.channel === 'sms')?.granted === true ? true : undefined), 20_000, 'the consent at the till');
  // Without the session's CSRF token nothing is recorded.
  expect((await page.request.post(`/console/members/${memberId}/consent`, { form: { channel: 'sms', granted: 'false' } })).status()).toBe(403);
  expect((await admin.get(`/members/${memberId}/consent`)).body.history).toHaveLength(1);

  // The download: the member's data as the admin API exports it, audited.
  const download = await page.request.get(`/console/members/${memberId}/export`);
  expect(download.status()).toBe(200);
  expect(download.headers()['content-disposition']).toContain(`member-${memberId}.json`);
  const data = await download.json();
  expect(data.profile[0]).toMatchObject({ id: memberId, phone });
  expect(data.facts.orders).toHaveLength(1);
  const audit = (await admin.get('/audit?limit=30')).body.entries as { route: string; target?: string; actor: { name: string } }[];
  expect(audit.some((e) => e.route === '/console/members/:id/export' && e.target === memberId && e.actor.name.startsWith('admin-'))).toBe(true);
  await screenshot(page, 'member-privacy');

  // Erasure: the confirmation is required; then the member's personal data is gone.
  await page.fill('#erase-form input[name=reason]', 'written request received 2026-11-30');
  await page.click('#erase-form button[type=submit]');
  expect(new URL(page.url()).searchParams.get('done')).not.toBe('erase'); // the browser asks for the checkbox first
  expect(await page.isVisible('#erase-form')).toBe(true);
  await page.check('#erase-form input[name=confirm]');
  await page.click('#erase-form button[type=submit]');
  await page.waitForURL((u) => u.searchParams.get('done') === 'erase', { timeout: 60_000 });
  expect(await page.textContent('#privacy')).toContain('Personal data erased on');
  expect(await page.isVisible('#erase-form')).toBe(false);
  expect(await page.isVisible('#consent-form')).toBe(false);
  expect(await page.textContent('[data-phone]')).not.toContain('0004');
  expect((await admin.get('/audit?limit=10')).body.entries.some((e: { route: string; target?: string; status: number }) => e.route === '/console/members/:id/erase' && e.target === memberId && e.status === 303)).toBe(true);
  await eventually(async () => ((await pos.post('/v1/members/identify', { phone })).status === 404 ? true : undefined), 20_000, 'the phone finds no one at the till');
  await screenshot(page, 'member-erased');

  // zh-CN, and a phone-sized window that does not scroll sideways.
  const small = await operatorPage('admin', { viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
  await small.goto(`/console/members/${memberId}`);
  expect(await small.textContent('#privacy h2')).toContain('个人信息');
  expect(await scrollsSideways(small)).toBe(false);
});
