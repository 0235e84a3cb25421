import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anyRequest, formatViolations, runFuzz, seedFrom } from '../support/fuzz.ts';
import { guideRoutes, setupGuide, type GuideSetup } from '../support/fuzz-pages.ts';

/*
 * Fuzz of a store's guide pages (test/support/fuzz-pages.ts) as a signed-in guide's phone sends
 * them, and with the session, the CSRF token or the fields wrong: no page fails (5xx), no process
 * dies, no text from outside is shown as markup, and a refused form writes nothing to the store.
 * FUZZ_GUIDE_SEED=<seed> replays a run, FUZZ_GUIDE_RUNS=<n> makes it longer.
 */

const SEED = seedFrom('FUZZ_GUIDE_SEED', 20261130);
const RUNS = Number(process.env.FUZZ_GUIDE_RUNS ?? 300);

let setup: GuideSetup;
beforeAll(async () => {
  setup = await setupGuide();
}, 120_000);
afterAll(async () => {
  await setup?.stop();
});

describe('fuzz: the guide pages', () => {
  it(`${RUNS} generated requests keep every invariant`, async () => {
    const routes = guideRoutes(setup.guideFixture);
    const report = await runFuzz(setup.target, anyRequest(routes), { seed: SEED, runs: RUNS });
    expect([...report.byRoute.keys()].length).toBe(routes.length);
    // Members were found and registered (a redirect to their profile), not only refused.
    expect([...report.byCode.keys()].some((k) => k.startsWith('303 '))).toBe(true);
    expect(formatViolations(report, 'FUZZ_GUIDE_SEED')).toBe('');
  }, Math.max(300_000, RUNS * 400));
});
