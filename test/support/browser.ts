import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { removeDir, ROOT, tempDir } from './edge-node.ts';
import { adminClient, freePort, startHub, type HubProcess } from './hub.ts';

/**
 * The console in a real browser: Debian's chromium (installed by `.ci/run`, never a downloaded
 * build) driven by playwright-core, headless, against a real `hub serve` process.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where the tests write the console's screenshots, when SCREENSHOTS=1 (docs/console.md shows them). */
export const SCREENSHOT_DIR = join(ROOT, 'docs', 'console');

export interface ConsoleRig {
  hub: HubProcess;
  browser: Browser;
  /** A fresh browser profile (its own cookies) at the hub (or `baseURL`: a store node's guide pages), in a language and a viewport. */
  open(opts?: { locale?: string; viewport?: { width: number; height: number }; baseURL?: string }): Promise<{ context: BrowserContext; page: Page }>;
  /** Closes every context, the browser, the hub, and removes the hub's data dir. */
  close(): Promise<void>;
}

/** Starts a hub in a temp dir and chromium; `close` ends both (call it in afterAll). */
export async function startConsoleRig(hubArgs: string[] = []): Promise<ConsoleRig> {
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: apt-get install chromium fonts-wqy-microhei (as .ci/run does)`);
  const dir = tempDir('memberedge-console-');
  const hub = await startHub(dir, await freePort(), hubArgs);
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, timeout: 30_000 });
  } catch (err) {
    await hub.stop();
    removeDir(dir);
    throw err;
  }
  const contexts: BrowserContext[] = [];
  return {
    hub,
    browser,
    async open(opts = {}) {
      const context = await browser.newContext({ baseURL: opts.baseURL ?? hub.url, locale: opts.locale ?? 'en-US', viewport: opts.viewport ?? { width: 1280, height: 800 } });
      context.setDefaultTimeout(15_000);
      contexts.push(context);
      return { context, page: await context.newPage() };
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => {});
      await browser.close().catch(() => {});
      await hub.stop();
      removeDir(dir);
    },
  };
}

/** Writes docs/console/<name>.png of the whole page when SCREENSHOTS=1; normal runs write nothing. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.SCREENSHOTS !== '1') return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** Whether the page is wider than the window (a horizontal scroll bar on a phone). */
export const scrollsSideways = (page: Page) => page.evaluate(() => document.scrollingElement!.scrollWidth > window.innerWidth);

/** Logs in on the console's login page (a page that is not logged in is sent there first). */
export async function logIn(page: Page, name: string, password: string): Promise<void> {
  await page.goto('/console/login');
  await page.fill('input[name=name]', name);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
}

/** Replaces a one-time password on the page every first login leads to, and lands on the dashboard. */
export async function choosePassword(page: Page, current: string, next: string): Promise<void> {
  await page.waitForURL('**/console/password');
  await page.fill('input[name=current]', current);
  await page.fill('input[name=next]', next);
  await page.fill('input[name=confirm]', next);
  await page.click('form[action="/console/password"] button[type=submit]');
  await page.waitForURL((u) => u.pathname === '/console');
}

/** The first admin, logged in with the hub's initial password and past the page that replaces it. */
export async function firstAdminPage(rig: ConsoleRig, password: string): Promise<Page> {
  const initial = readFileSync(join(rig.hub.dir, 'initial-admin-password'), 'utf8').trim();
  const { page } = await rig.open();
  await logIn(page, 'admin', initial);
  await choosePassword(page, initial, password);
  return page;
}

/** A new operator of a role (and scope), logged in with their own password in a fresh browser profile. */
export async function openAsOperator(rig: ConsoleRig, role: string, opts: { locale?: string; viewport?: { width: number; height: number }; scope?: string } = {}): Promise<{ page: Page; name: string }> {
  const name = `${role.replace(/_/g, '-')}-${Math.random().toString(36).slice(2, 7)}`;
  const added = await adminClient(rig.hub).post('/operators', { name, role, ...(opts.scope ? { scope: opts.scope } : {}) });
  if (added.status !== 201) throw new Error(`operator add: ${added.status} ${JSON.stringify(added.body)}`);
  const { page } = await rig.open({ ...(opts.locale ? { locale: opts.locale } : {}), ...(opts.viewport ? { viewport: opts.viewport } : {}) });
  await logIn(page, name, added.body.password);
  await choosePassword(page, added.body.password, `${name} password`);
  return { page, name };
}
