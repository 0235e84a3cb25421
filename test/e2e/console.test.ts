import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsoleRig, type ConsoleRig } from '../support/browser.ts';

/*
 * The HQ console (issue 11) in a real browser: Debian's chromium driven by playwright-core,
 * against a real hub process.
 */

let rig: ConsoleRig;
beforeAll(async () => {
  rig = await startConsoleRig(['--login-rate', '600', '--login-burst', '200']);
});
afterAll(async () => {
  await rig?.close();
});

describe('the browser rig', () => {
  it('chromium reaches the hub', async () => {
    const { page } = await rig.open();
    const res = await page.goto('/healthz');
    expect(res?.status()).toBe(200);
    expect(await page.textContent('body')).toContain('"status":"ok"');
  });
});
