import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Couch } from '../../hub/couch/couch.ts';
import { startEmbeddedCouch } from '../../hub/couch/embedded.ts';
import { createLog } from '../../shared/cli/log.ts';
import { PERMISSIONS } from '../../shared/permissions.ts';
import { lastLine, removeDir, runTool, tempDir } from '../support/edge-node.ts';
import { MIN_COST_ENV } from '../../shared/passwords.ts';
import { adminClient, freePort, hubCliOk, startHub, withStoredDatabases, type HubProcess } from '../support/hub.ts';
import { OperatorSession } from '../support/operator-session.ts';

/*
 * Operators of the console (issue 11, first slice): accounts with one-time passwords, sessions
 * in a cookie with a CSRF token, lockout, roles checked on every admin route, the audit log. A
 * real hub process, called over HTTP as a browser would (cookies by hand).
 */

let hub: HubProcess;
let adminToken: string;
const dirs: string[] = [];
/** Every secret this file sees (passwords, cookies, CSRF tokens, the admin token): none may reach the audit log or the hub's log. */
const secrets = new Set<string>();

beforeAll(async () => {
  const dir = tempDir('memberedge-hub-ops-');
  dirs.push(dir);
  // Logins from this test all come from 127.0.0.1: room for them all (the limit has its own test below).
  hub = await startHub(dir, await freePort(), ['--login-rate', '600', '--login-burst', '200']);
  adminToken = readFileSync(join(dir, 'admin-token'), 'utf8').trim();
  secrets.add(adminToken);
});
afterAll(async () => {
  await hub?.stop();
  dirs.forEach(removeDir);
});

/** A browser of one operator; every secret it sees is remembered, to look for it where it must not be. */
class Browser extends OperatorSession {
  constructor(url = hub.url) {
    super(url, (s) => secrets.add(s));
  }
}

let named = 0;
/** A new operator of `role` (made with the admin token), logged in, their own password chosen. */
async function operator(role: string): Promise<{ name: string; password: string; browser: Browser }> {
  const name = `${role.replace(/_/g, '-')}-${++named}`;
  const added = await adminClient(hub).post('/operators', { name, role });
  expect(added.status, JSON.stringify(added.body)).toBe(201);
  const browser = new Browser();
  expect((await browser.login(name, added.body.password)).status).toBe(200);
  const password = `pw ${randomBytes(9).toString('base64url')}`;
  secrets.add(password);
  const changed = await browser.call('POST', '/console/api/password', { current: added.body.password, next: password });
  expect(changed.status, JSON.stringify(changed.body)).toBe(200);
  return { name, password, browser };
}

const auditEntries = async (): Promise<any[]> => {
  const all: any[] = [];
  let before: string | null = null;
  do {
    const page = await adminClient(hub).get(`/audit?limit=1000${before ? `&before=${before}` : ''}`);
    expect(page.status).toBe(200);
    all.push(...page.body.entries);
    before = page.body.next;
  } while (before);
  return all;
};

describe('the first operator', () => {
  it("a new hub makes 'admin' with a one-time password in DIR/initial-admin-password (0600); the log says where, never what", async () => {
    const file = join(hub.dir, 'initial-admin-password');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const password = readFileSync(file, 'utf8').trim();
    secrets.add(password);
    expect(password.length).toBeGreaterThanOrEqual(10);
    expect(hub.output()).toContain(file);
    expect(hub.output()).toContain('/console/api/session');
    expect(hub.output()).not.toContain(password);
    const ops = await adminClient(hub).get('/operators');
    expect(ops.body.operators).toEqual([expect.objectContaining({ name: 'admin', role: 'admin', mustChangePassword: true, disabled: false })]);
    expect(JSON.stringify(ops.body)).not.toMatch(/passwordHash|scrypt/);

    // The one-time password opens a session that can do one thing: choose a password.
    const admin = new Browser();
    const login = await admin.login('admin', password);
    expect(login.status).toBe(200);
    expect(login.body.operator).toEqual({ name: 'admin', role: 'admin', scope: null, mustChangePassword: true });
    expect(login.setCookie).toMatch(/; HttpOnly/);
    expect(login.setCookie).toMatch(/; SameSite=Strict/);
    expect(login.setCookie).toMatch(/; Path=\//);
    expect(login.setCookie).not.toMatch(/; Secure/); // plain http on loopback
    expect(login.cookie).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const blocked = await admin.call('GET', '/admin/v1/stores');
    expect(blocked.status).toBe(403);
    expect(blocked.body.error.code).toBe('password_change_required');

    const short = await admin.call('POST', '/console/api/password', { current: password, next: 'too short' });
    expect(short.status).toBe(400);
    expect(short.body.error).toMatchObject({ code: 'validation_failed', field: 'next' });
    const before = admin.cookie;
    const changed = await admin.call('POST', '/console/api/password', { current: password, next: 'the admin chose this' });
    secrets.add('the admin chose this');
    expect(changed.status).toBe(200);
    expect(changed.body.operator.mustChangePassword).toBe(false);
    expect(changed.cookie).not.toBe(before); // a new session with the new password
    expect(existsSync(file)).toBe(false); // the file no longer holds the password: gone
    expect((await admin.call('GET', '/admin/v1/stores')).status).toBe(200);
    expect((await new Browser().login('admin', password)).body.error.code).toBe('login_failed');
    expect((await new Browser().login('admin', 'the admin chose this')).status).toBe(200);
  });
});

describe('sessions', () => {
  it('the cookie is Secure when the browser came over https (X-Forwarded-Proto from the proxy)', async () => {
    const { name, password } = await operator('analyst');
    const res = await new Browser().login(name, password, { 'x-forwarded-proto': 'https' });
    expect(res.status).toBe(200);
    expect(res.setCookie).toMatch(/; Secure/);
  });

  it('no session fixation: an id the hub did not issue is never accepted, and every login issues a new one', async () => {
    const { name, password } = await operator('analyst');
    const chosen = randomBytes(32).toString('base64url');
    const victim = new Browser();
    victim.cookie = chosen; // planted by an attacker before the login
    expect((await victim.call('GET', '/console/api/session')).status).toBe(401);
    const first = await victim.login(name, password);
    expect(first.status).toBe(200);
    expect(first.cookie).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.cookie).not.toBe(chosen);
    const attacker = new Browser();
    attacker.cookie = chosen;
    expect((await attacker.call('GET', '/console/api/session')).status).toBe(401);
    expect((await attacker.call('GET', '/admin/v1/stores')).status).toBe(401);

    const second = await victim.login(name, password);
    expect(second.cookie).not.toBe(first.cookie);
    const old = new Browser();
    old.cookie = first.cookie;
    expect((await old.call('GET', '/console/api/session')).status).toBe(401); // the login ended the session the browser held
    expect((await victim.call('GET', '/console/api/session')).body.operator.name).toBe(name);
    for (const junk of ['', 'x', 'A'.repeat(43), '../../_all_docs', '__proto__']) {
      const b = new Browser();
      b.cookie = junk;
      expect((await b.call('GET', '/console/api/session')).status, junk).toBe(401);
    }
  });

  it('logout ends the session at the hub: the old cookie is refused everywhere', async () => {
    const { browser } = await operator('analyst');
    const cookie = browser.cookie;
    const noCsrf = await browser.call('DELETE', '/console/api/session', undefined, { 'x-csrf-token': 'wrong' });
    expect(noCsrf.body.error.code).toBe('csrf_failed');
    expect((await browser.call('GET', '/console/api/session')).status).toBe(200); // still logged in
    const out = await browser.call('DELETE', '/console/api/session');
    expect(out.status).toBe(200);
    expect(out.setCookie).toMatch(/Max-Age=0/);
    const replay = new Browser();
    replay.cookie = cookie;
    expect((await replay.call('GET', '/console/api/session')).status).toBe(401);
    const admin = await replay.call('GET', '/admin/v1/stores');
    expect(admin.status).toBe(401);
    expect(admin.body.error.code).toBe('unauthorized');
  });

  it("disabling an operator ends their sessions at once; they cannot log in", async () => {
    const { name, password, browser } = await operator('analyst');
    expect((await adminClient(hub).post(`/operators/${name}/disable`)).status).toBe(200);
    expect((await browser.call('GET', '/admin/v1/stores')).status).toBe(401);
    expect((await new Browser().login(name, password)).body.error.code).toBe('login_failed');
  });
});

describe('lockout', () => {
  it('five wrong passwords lock the account: then even the right one gets the same login_failed as a wrong one', async () => {
    const { name, password } = await operator('analyst');
    const unknown = await new Browser().login('nobody-at-all', 'whatever it is');
    expect(unknown.status).toBe(401);
    for (let i = 0; i < 5; i++) {
      const res = await new Browser().login(name, `wrong ${i} password`);
      expect(res.status).toBe(401);
      expect(res.body).toEqual(unknown.body);
    }
    const right = await new Browser().login(name, password);
    expect(right.status).toBe(401);
    expect(right.body).toEqual(unknown.body); // no way to tell locked from wrong from unknown
    expect(right.cookie).toBeUndefined();
    const op = (await adminClient(hub).get('/operators')).body.operators.find((o: any) => o.name === name);
    expect(Date.parse(op.lockedUntil) - Date.now()).toBeGreaterThan(14 * 60_000);

    const mine = (await auditEntries()).filter((e) => e.actor.name === name && e.route === '/console/api/session');
    expect(mine.filter((e) => e.event === 'login_failed' && e.detail === 'wrong_password')).toHaveLength(5);
    expect(mine.filter((e) => e.event === 'lockout')).toHaveLength(1);
    expect(mine.filter((e) => e.event === 'login_failed' && e.detail === 'locked')).toHaveLength(1);

    // A reset (new one-time password) lifts the lock.
    const reset = await adminClient(hub).post(`/operators/${name}/reset`);
    secrets.add(reset.body.password);
    expect((await new Browser().login(name, reset.body.password)).status).toBe(200);
  });
});

describe('permissions on the admin API', () => {
  it('a state-changing call with a session needs its CSRF token: missing or wrong is 403 csrf_failed and writes nothing', async () => {
    const { browser } = await operator('field_engineer');
    const other = await operator('field_engineer');
    const attempts: [string, Record<string, string>, string?][] = [
      ['missing', {}],
      ['wrong', { 'x-csrf-token': 'not-the-token' }],
      ["another session's", { 'x-csrf-token': other.browser.csrf! }],
      ['empty', { 'x-csrf-token': '' }],
    ];
    const token = browser.csrf;
    browser.csrf = undefined;
    for (const [what, headers] of attempts) {
      const res = await browser.call('POST', '/admin/v1/stores', { id: 'CSRF1', name: 'Forged' }, headers);
      expect(res.status, what).toBe(403);
      expect(res.body.error.code, what).toBe('csrf_failed');
    }
    // A form post (the console's HTML forms to come) may carry it as `_csrf` instead.
    const form = (csrf: string) => browser.call('POST', '/admin/v1/stores', `id=CSRF1&name=Forged&_csrf=${encodeURIComponent(csrf)}`, { 'content-type': 'application/x-www-form-urlencoded' });
    expect((await form('wrong')).body.error.code).toBe('csrf_failed');
    expect((await form(token!)).status).toBe(415); // past the CSRF check; the admin API reads JSON
    expect((await adminClient(hub).get('/stores')).body.stores.map((s: any) => s.id)).not.toContain('CSRF1');

    browser.csrf = token;
    expect((await browser.call('POST', '/admin/v1/stores', { id: 'CSRF1', name: 'Real' })).status).toBe(201);
    expect((await adminClient(hub).get('/stores')).body.stores.map((s: any) => s.id)).toContain('CSRF1');
  });

  it('a marketer calling admin-only routes gets 403 forbidden, and nothing is written', async () => {
    const { browser } = await operator('marketer');
    const rules = (await browser.call('GET', '/admin/v1/rules')).body.rules;
    expect(rules.version).toBeGreaterThan(0);
    const store = await browser.call('POST', '/admin/v1/stores', { id: 'MKT1', name: 'Marketer store' });
    expect(store.status).toBe(403);
    expect(store.body.error.code).toBe('forbidden');
    const { version, ...content } = rules;
    const put = await browser.call('PUT', '/admin/v1/rules', { rules: { ...content, version: version + 1 } });
    expect(put.status).toBe(403);
    expect(put.body.error.code).toBe('forbidden');
    for (const [method, path] of [['GET', '/admin/v1/audit'], ['GET', '/admin/v1/operators'], ['POST', '/admin/v1/operators'], ['GET', '/admin/v1/members/M0000001']]) {
      expect((await browser.call(method!, path!, method === 'GET' ? undefined : { name: 'sneaky', role: 'admin' })).status, path).toBe(403);
    }
    expect((await adminClient(hub).get('/rules')).body.rules.version).toBe(version);
    expect((await adminClient(hub).get('/stores')).body.stores.map((s: any) => s.id)).not.toContain('MKT1');
    expect((await adminClient(hub).get('/operators')).body.operators.map((o: any) => o.name)).not.toContain('sneaky');
  });

  it('a field engineer cannot read a member (403 before any lookup), but sees the fleet', async () => {
    const { browser } = await operator('field_engineer');
    const member = await browser.call('GET', '/admin/v1/members/M0000001');
    expect(member.status).toBe(403);
    expect(member.body.error.code).toBe('forbidden');
    expect((await browser.call('GET', '/admin/v1/identity/members/M0000001')).status).toBe(403);
    expect((await browser.call('GET', '/admin/v1/fleet')).status).toBe(200);
  });

  it('the admin token still works for every route, needs no CSRF token, and is audited as `token`', async () => {
    const admin = adminClient(hub);
    for (const path of ['/stores', '/rules', '/templates', '/fleet', '/incidents', '/operators', '/roles', '/audit', '/identity/metrics']) expect((await admin.get(path)).status, path).toBe(200);
    expect((await admin.get('/roles')).body.roles.map((r: any) => r.id).sort()).toEqual(['admin', 'analyst', 'field_engineer', 'marketer', 'store_manager']);
    expect((await admin.post('/stores', { id: 'TOK1', name: 'By token' })).status).toBe(201);
    const entry = (await auditEntries()).find((e) => e.route === '/admin/v1/stores' && e.target === 'TOK1');
    expect(entry).toMatchObject({ actor: { kind: 'token', name: 'token' }, method: 'POST', status: 201, ip: '127.0.0.1' });
  });
});

describe('the audit log', () => {
  it('records who did what to which id, when, from where and with what outcome; newest first, paged', async () => {
    const { name, browser } = await operator('field_engineer');
    const started = Date.now();
    expect((await browser.call('POST', '/admin/v1/stores', { id: 'AUD1', name: 'Audited' }, { 'x-forwarded-for': '203.0.113.9' })).status).toBe(201);
    expect((await browser.call('POST', '/admin/v1/stores/AUD1/disable')).status).toBe(200);
    expect((await browser.call('GET', '/admin/v1/members/M0000001')).status).toBe(403);
    const entries = (await auditEntries()).filter((e) => e.actor.name === name);
    const [denied, disabled, added] = entries.filter((e) => e.route.startsWith('/admin/v1/'));
    expect(added).toMatchObject({ actor: { kind: 'operator', name }, method: 'POST', route: '/admin/v1/stores', target: 'AUD1', status: 201, ip: '127.0.0.1', forwardedFor: '203.0.113.9' });
    expect(disabled).toMatchObject({ method: 'POST', route: '/admin/v1/stores/:id/disable', target: 'AUD1', status: 200 });
    expect(denied).toMatchObject({ method: 'GET', route: '/admin/v1/members/:id', target: 'M0000001', status: 403 }); // a read of personal data, refused
    expect(Date.parse(added.at)).toBeGreaterThanOrEqual(started - 1000);
    expect(entries.map((e) => e.event).filter(Boolean)).toEqual(['password_changed', 'login']);

    const page1 = await adminClient(hub).get('/audit?limit=2');
    const page2 = await adminClient(hub).get(`/audit?limit=2&before=${page1.body.next}`);
    expect(page1.body.entries).toHaveLength(2);
    expect(page2.body.entries).toHaveLength(2);
    const ids = [...page1.body.entries, ...page2.body.entries].map((e: any) => e._id);
    expect(ids).toEqual([...ids].sort().reverse());
    expect(new Set(ids).size).toBe(4);
    for (const q of ['limit=0', 'before=x', 'before=__proto__', 'limit=5&limit=6']) expect((await adminClient(hub).get(`/audit?${q}`)).status, q).toBe(400);
  });

  it("an admin call's answer does not wait for its entry, and a burst of calls is all in the log read right after", async () => {
    const admin = adminClient(hub);
    const targets = Array.from({ length: 40 }, (_, i) => `M${String(9_100_000 + i).padStart(7, '0')}`);
    const answers = await Promise.all(targets.map((id) => admin.get(`/members/${id}`)));
    expect(answers.map((a) => a.status)).toEqual(targets.map(() => 404));
    const logged = (await auditEntries()).filter((e) => e.route === '/admin/v1/members/:id' && targets.includes(e.target));
    expect(logged.map((e) => e.target).sort()).toEqual(targets);
    expect(new Set(logged.map((e) => e._id)).size).toBe(targets.length);
    for (const e of logged) expect(e).toMatchObject({ actor: { kind: 'token', name: 'token' }, method: 'GET', status: 404 });
  });

  it('holds no secret: no password, cookie, CSRF token or admin token, in the audit log or the hub log', async () => {
    await operator('marketer'); // at least one login and one password change, whatever ran before
    const audit = JSON.stringify(await auditEntries());
    expect(secrets.size).toBeGreaterThan(5);
    for (const s of secrets) {
      expect(audit.includes(s), `audit log holds ${s.slice(0, 6)}...`).toBe(false);
      expect(hub.output().includes(s), `hub log holds ${s.slice(0, 6)}...`).toBe(false);
    }
  });
});

describe('the operator commands', () => {
  it('operator add prints a one-time password that logs in; list, reset and disable', async () => {
    expect((await adminClient(hub).post('/stores', { id: 'S001', name: 'Scoped to' })).status).toBe(201); // a scope names a node of the org tree
    const added = await hubCliOk(hub, ['operator', 'add', 'cli-ops', '--role', 'store_manager', '--scope', 'store:S001']);
    const password = lastLine(added.stdout);
    secrets.add(password);
    expect(added.stderr).not.toContain(password);
    const b = new Browser();
    const login = await b.login('cli-ops', password);
    expect(login.status).toBe(200);
    expect(login.body.operator).toEqual({ name: 'cli-ops', role: 'store_manager', scope: 'store:S001', mustChangePassword: true });

    const list = JSON.parse((await hubCliOk(hub, ['operator', 'list'])).stdout) as any[];
    expect(list.find((o) => o.name === 'cli-ops')).toMatchObject({ role: 'store_manager', scope: 'store:S001', mustChangePassword: true });
    expect(JSON.stringify(list)).not.toMatch(/passwordHash|scrypt/);

    const reset = lastLine((await hubCliOk(hub, ['operator', 'reset', 'cli-ops'])).stdout);
    secrets.add(reset);
    expect(reset).not.toBe(password);
    expect((await b.call('GET', '/console/api/session')).status).toBe(401); // a reset ends their sessions
    expect((await new Browser().login('cli-ops', password)).status).toBe(401);
    expect((await new Browser().login('cli-ops', reset)).status).toBe(200);

    expect(JSON.parse((await hubCliOk(hub, ['operator', 'disable', 'cli-ops'])).stdout)).toMatchObject({ name: 'cli-ops', disabled: true });
    expect((await new Browser().login('cli-ops', reset)).status).toBe(401);

    const badRole = await runTool('hub', ['operator', 'add', 'cli-ops2', '--role', 'overlord', '--hub', hub.url, '--data', hub.dir]);
    expect(badRole.code).toBe(1);
    expect(badRole.stderr).toMatch(/role.*validation_failed/);
    const twice = await runTool('hub', ['operator', 'add', 'cli-ops', '--role', 'analyst', '--hub', hub.url, '--data', hub.dir]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('operator_exists');
  });
});

describe('a hub as shipped: no MEMBEREDGE_PASSWORD_MIN_COST, logins per client address limited to 3 at once', () => {
  let limited: HubProcess;
  beforeAll(async () => {
    const dir = tempDir('memberedge-hub-ops-rate-');
    dirs.push(dir);
    limited = await startHub(dir, await freePort(), ['--login-rate', '1', '--login-burst', '3'], { [MIN_COST_ENV]: '' });
  });
  afterAll(() => limited?.stop());

  it('are limited (429 rate_limited), before any password is checked', async () => {
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await new Browser(limited.url).login('admin', 'not the password'));
    expect(answers.map((a) => a.status)).toEqual([401, 401, 401, 429, 429]);
    expect(answers[3]!.body.error.code).toBe('rate_limited');
  });

  it("hashes passwords at the real cost, N = 2^15, and warns of nothing; the suite's hubs, at the test cost, warn that they are", async () => {
    expect(limited.output()).not.toContain(MIN_COST_ENV);
    expect(hub.output()).toContain(`${MIN_COST_ENV}=1: passwords are hashed at the least cost`);
    await limited.stop();
    const stored = (await withStoredDatabases(limited.dir, (couch) => couch.get('hub-operators', 'operator:admin'))) as { passwordHash?: string } | undefined;
    expect(stored?.passwordHash).toMatch(/^scrypt\$15\$8\$1\$/);
  });
});

describe('a hub made before a release added permissions', () => {
  it("its admin role gains them at the next start, another role those of its default it never knew; what an admin took away stays away", async () => {
    const dir = tempDir('memberedge-hub-ops-roles-');
    dirs.push(dir);
    const port = await freePort();
    const old = await startHub(dir, port);
    await old.stop();
    // As an older release stored them (no `known`): admin without the newest permissions, an analyst an admin trimmed.
    const couch = await startEmbeddedCouch(dir, createLog('test', true));
    try {
      const c = new Couch(couch.url);
      await c.update<any>('hub-operators', 'role:admin', ({ known: _, ...r }) => ({ ...r, permissions: r.permissions.filter((p: string) => p !== 'members:erase' && p !== 'tags:write') }));
      await c.update<any>('hub-operators', 'role:analyst', ({ known: _, ...r }) => ({ ...r, permissions: ['members:read'] }));
    } finally {
      await couch.stop();
    }
    let again = await startHub(dir, port);
    const rolesNow = async () => (await adminClient(again).get('/roles')).body.roles as { id: string; permissions: string[] }[];
    try {
      expect([...(await rolesNow()).find((r) => r.id === 'admin')!.permissions].sort()).toEqual([...PERMISSIONS].sort());
      // The analyst's default gained products:read and tags:read since; members:export and the rest stay taken away.
      expect([...(await rolesNow()).find((r) => r.id === 'analyst')!.permissions].sort()).toEqual(['members:read', 'products:read', 'tags:read']);
      // An admin now takes tags:read away again: the next start leaves it so.
      await again.stop();
      const c2 = await startEmbeddedCouch(dir, createLog('test', true));
      try {
        await new Couch(c2.url).update<any>('hub-operators', 'role:analyst', (r) => ({ ...r, permissions: ['members:read', 'products:read'] }));
      } finally {
        await c2.stop();
      }
      again = await startHub(dir, port);
      expect((await rolesNow()).find((r) => r.id === 'analyst')!.permissions).toEqual(['members:read', 'products:read']);
    } finally {
      await again.stop();
    }
  });
});
