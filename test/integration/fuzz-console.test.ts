import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleRoutes, setupConsole, type ConsoleSetup } from '../support/fuzz-pages.ts';
import { anyRequest, checkAnswer, formatViolations, MARKUP_PROBES, plainRequest, runFuzz, seedFrom, send } from '../support/fuzz.ts';

/*
 * Fuzz of the HQ console's pages and forms (test/support/fuzz-console.ts) as a logged-in admin's
 * browser sends them, and with the session, the CSRF token or the fields wrong: no page fails
 * (5xx), no process dies, no text from outside is shown as markup, and a refused form writes
 * nothing. FUZZ_CONSOLE_SEED=<seed> replays a run, FUZZ_CONSOLE_RUNS=<n> makes it longer.
 */

const SEED = seedFrom('FUZZ_CONSOLE_SEED', 20261130);
const RUNS = Number(process.env.FUZZ_CONSOLE_RUNS ?? 250);

let setup: ConsoleSetup;
beforeAll(async () => {
  setup = await setupConsole();
}, 120_000);
afterAll(async () => {
  await setup?.stop();
});

describe('fuzz: the console', () => {
  it('the harness sees markup in a page (else "no input shown as markup" could not fail)', () => {
    const req = plainRequest('GET', '/console/stores', 'operator');
    expect(checkAnswer(req, { status: 200, type: 'text/html; charset=UTF-8', text: `<td>${MARKUP_PROBES[1]}</td>` }).map((v) => v.kind)).toEqual(['markup']);
    expect(checkAnswer(req, { status: 200, type: 'text/html; charset=UTF-8', text: '<td>&lt;img src=x onerror=fz-xss()&gt;</td>' })).toEqual([]);
  });

  it('a store named with markup is shown as text on the stores page', async () => {
    const name = MARKUP_PROBES[0]!;
    const csrf = setup.consoleFixture.csrf;
    const added = await send(setup.target, { ...plainRequest('POST', '/console/stores', 'operator'), contentType: 'form', body: `_csrf=${encodeURIComponent(csrf)}&id=FZX&name=${encodeURIComponent(name)}` });
    expect(added.status).toBe(201);
    const page = await send(setup.target, plainRequest('GET', '/console/stores', 'operator'));
    expect(page.status).toBe(200);
    expect(page.text).toContain('FZX');
    expect(page.text).not.toContain(name);
    expect(checkAnswer(plainRequest('GET', '/console/stores', 'operator'), page)).toEqual([]);
  });

  it('a form the service refuses is a page of its refusal, not a 500 (found by this fuzzer)', async () => {
    const csrf = encodeURIComponent(setup.consoleFixture.csrf);
    const form = (path: string, body: string) => send(setup.target, { ...plainRequest('POST', path, 'operator'), contentType: 'form', body: `_csrf=${csrf}&${body}` });
    // A role that is no role's id went to the operators' service unchecked: a ZodError, a 500.
    const role = await form('/console/operators', 'name=fz-bad&role=4.3e-92&scope=store%3AS001');
    expect(role.status).toBe(400);
    expect(role.text).toContain('Choose one of the roles');
    // A new code for a disabled store: the service's 403 store_disabled was not among the errors pages showed.
    expect((await form('/console/stores/S002/disable', 'x=1')).status).toBe(303);
    const code = await form('/console/stores/S002/codes', 'x=1');
    expect(code.status).toBe(403);
    expect(code.text).toContain('disabled');
    expect((await form('/console/stores/S002/enable', 'x=1')).status).toBe(303);
  });

  it(`${RUNS} generated requests keep every invariant`, async () => {
    const routes = consoleRoutes(setup.consoleFixture);
    const report = await runFuzz(setup.target, anyRequest(routes), { seed: SEED, runs: RUNS });
    expect([...report.byRoute.keys()].length).toBe(routes.length);
    // The run reached deep code: forms were accepted (a redirect to their outcome, or a page made), not only refused.
    expect([...report.byCode.keys()].some((k) => /^(201|303) /.test(k))).toBe(true);
    expect(formatViolations(report, 'FUZZ_CONSOLE_SEED')).toBe('');
  }, Math.max(300_000, RUNS * 400));
});
