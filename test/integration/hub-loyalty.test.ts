import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedMemberId } from '../../shared/seed-members.ts';
import { removeDir, tempDir } from '../support/edge-node.ts';
import { adminClient, freePort, startHub, type HubProcess } from '../support/hub.ts';
import { newOperator, OperatorSession } from '../support/operator-session.ts';

/*
 * The loyalty rules, coupon templates and their version histories, and issuing coupons, over
 * the admin API of a real hub (issue 11): who changed what and when, a change from a stale
 * version refused with nothing written, the permissions of each role with stable codes, the
 * scope of an operator who issues, a request id that issues once.
 */

let hub: HubProcess;
let dir: string;
const admin = () => adminClient(hub);

beforeAll(async () => {
  dir = tempDir('memberedge-hub-loyalty-');
  hub = await startHub(dir, await freePort(), ['--login-rate', '600', '--login-burst', '200']);
  // Two stores in two regions, each with members of its own: S001's are MSEED…0-4, S002's MSEED…100-104.
  expect((await admin().post('/stores', { id: 'S001', name: 'One', region: 'East' })).status).toBe(201);
  expect((await admin().post('/stores', { id: 'S002', name: 'Two', region: 'West' })).status).toBe(201);
  expect((await admin().post('/stores/S001/seed', { count: 5 })).status).toBe(201);
  expect((await admin().post('/stores/S002/seed', { count: 5, first: 100 })).status).toBe(201);
});
afterAll(async () => {
  await hub?.stop();
  if (dir) removeDir(dir);
});

let named = 0;
const operator = (role: string, scope?: string) => newOperator(hub, `${role.replace(/_/g, '-')}-${++named}`, role, { scope: scope || undefined });
const put = (s: OperatorSession, path: string, body: unknown) => s.call('PUT', `/admin/v1${path}`, body);

describe('rules: versions with who, when and what', () => {
  it('a new hub has version 1, the defaults, made by nobody in particular', async () => {
    const { versions } = (await admin().get('/rules/versions')).body;
    expect(versions).toEqual([{ version: 1, by: null, at: null, changes: [] }]);
  });

  it('a change is a new version, kept with who made it, when, and each field it changed; the old version stays stored', async () => {
    const rules = (await admin().get('/rules')).body.rules;
    const next = { ...rules, offlineSpendLimit: 8000, tiers: rules.tiers.map((t: any) => (t.code === 'L3' ? { ...t, multiplierPct: 175 } : t)) };
    const saved = await admin().put('/rules', { rules: next });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(saved.body.rules.version).toBe(rules.version + 1);
    const { versions } = (await admin().get('/rules/versions')).body;
    expect(versions.map((v: any) => v.version)).toEqual([2, 1]);
    expect(versions[0]).toMatchObject({ by: { kind: 'token', name: 'token' }, changes: [{ path: 'offlineSpendLimit', before: 5000, after: 8000 }, { path: 'tiers[L3].multiplierPct', before: 150, after: 175 }] });
    expect(Date.now() - Date.parse(versions[0].at)).toBeLessThan(60_000);
  });

  it('a change made from a version no longer current is 409 stale_version, and nothing is written', async () => {
    const rules = (await admin().get('/rules')).body.rules;
    const stale = await admin().put('/rules', { rules: { ...rules, version: rules.version - 1, joinGift: 999 } });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'stale_version', baseVersion: rules.version - 1, currentVersion: rules.version });
    expect((await admin().get('/rules')).body.rules).toEqual(rules);
    expect((await admin().get('/rules/versions')).body.versions).toHaveLength(rules.version);
  });

  it('of two changes from the same version sent at once, one is saved and the other refused', async () => {
    const rules = (await admin().get('/rules')).body.rules;
    const answers = await Promise.all([300, 400].map((joinGift) => admin().put('/rules', { rules: { ...rules, joinGift } })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    const now = (await admin().get('/rules')).body.rules;
    expect(now.version).toBe(rules.version + 1);
    expect(now.joinGift).toBe(answers.find((a) => a.status === 200)!.body.rules.joinGift);
  });

  it('rules the schema refuses are 400 naming the field, nothing written', async () => {
    const rules = (await admin().get('/rules')).body.rules;
    for (const [bad, field] of [
      [{ ...rules, tiers: [...rules.tiers].reverse() }, 'tiers'],
      [{ ...rules, tiers: rules.tiers.map((t: any) => ({ ...t, code: 'L1' })) }, 'tiers'],
      [{ ...rules, offlineSpendLimit: -1 }, 'offlineSpendLimit'],
    ] as const) {
      const res = await admin().put('/rules', { rules: bad });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'validation_failed', field: `rules.${field}` });
    }
    expect((await admin().get('/rules')).body.rules).toEqual(rules);
  });
});

describe('coupon templates: versions', () => {
  const tpl = { id: 'WELCOME-5', title: '5 off', terms: { kind: 'cash', valueCents: 500, minSpendCents: 0 }, scope: {}, validDays: 14 };

  it('made new (version 0 edited), changed from version 1, refused from version 1 again; the history lists both with changes', async () => {
    const created = await admin().put('/templates/WELCOME-5', { ...tpl, version: 0 });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body.template.version).toBe(1);
    expect((await admin().put('/templates/WELCOME-5', { ...tpl, version: 0 })).body.error).toMatchObject({ code: 'stale_version', currentVersion: 1 });
    const marketer = await operator('marketer');
    const changed = await put(marketer, '/templates/WELCOME-5', { ...tpl, title: '5 off, welcome', version: 1 });
    expect(changed.status).toBe(200);
    expect(changed.body.template.version).toBe(2);
    const stale = await put(marketer, '/templates/WELCOME-5', { ...tpl, title: 'lost', version: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('stale_version');
    const history = (await admin().get('/templates/WELCOME-5/versions')).body;
    expect(history.template.title).toBe('5 off, welcome');
    expect(history.versions).toEqual([
      { version: 2, by: { kind: 'operator', name: marketer.name }, at: expect.any(String), changes: [{ path: 'title', before: '5 off', after: '5 off, welcome' }] },
      { version: 1, by: { kind: 'token', name: 'token' }, at: expect.any(String), changes: [] },
    ]);
    // Without a version the change is made whatever came before (scripts written before versions).
    expect((await admin().put('/templates/WELCOME-5', { ...tpl, title: '5 off, welcome' })).body.template.version).toBe(3);
  });

  it('the default templates have a history of their current version; an unknown template is 404', async () => {
    expect((await admin().get('/templates/CASH20/versions')).body.versions).toEqual([{ version: 1, by: null, at: null, changes: [] }]);
    expect((await admin().get('/templates/NOPE/versions')).body.error.code).toBe('template_not_found');
    expect((await admin().get(`/templates/${'x'.repeat(300)}/versions`)).status).toBe(404);
  });
});

describe('who may do what', () => {
  it('a marketer reads the rules and their history but may not change them: 403 forbidden, nothing written', async () => {
    const marketer = await operator('marketer');
    const rules = (await marketer.get('/rules')).body.rules;
    expect((await marketer.get('/rules/versions')).status).toBe(200);
    const res = await put(marketer, '/rules', { rules: { ...rules, joinGift: 1 } });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect((await admin().get('/rules')).body.rules).toEqual(rules);
  });

  it('an analyst reads rules, templates and histories, and may neither edit a template nor issue a coupon', async () => {
    const analyst = await operator('analyst');
    for (const path of ['/rules', '/rules/versions', '/templates', '/templates/CASH20/versions']) expect((await analyst.get(path)).status, path).toBe(200);
    const before = (await admin().get('/templates')).body.templates;
    const edit = await put(analyst, '/templates/CASH20', { ...before.find((t: any) => t.id === 'CASH20'), title: 'hacked' });
    expect(edit.status).toBe(403);
    expect(edit.body.error.code).toBe('forbidden');
    const issue = await analyst.post('/coupons', { memberId: seedMemberId(1), templateId: 'CASH20' });
    expect(issue.status).toBe(403);
    expect(issue.body.error.code).toBe('forbidden');
    expect((await admin().get('/templates')).body.templates).toEqual(before);
    expect((await admin().get(`/members/${seedMemberId(1)}`)).body.member.coupons).toEqual([]);
  });

  it('a store manager and a field engineer cannot read the rules history', async () => {
    for (const role of ['store_manager', 'field_engineer']) expect((await (await operator(role)).get('/rules/versions')).status, role).toBe(403);
  });
});

describe('issuing a coupon', () => {
  it('the same request id issues one coupon: the second answer is the first coupon (200, replayed)', async () => {
    const marketer = await operator('marketer');
    const body = { memberId: seedMemberId(2), templateId: 'PCT10', requestId: 'req-0000001' };
    const first = await marketer.post('/coupons', body);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const again = await marketer.post('/coupons', body);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ replayed: true, coupon: { code: first.body.coupon.code, memberId: seedMemberId(2), templateId: 'PCT10' } });
    const other = await marketer.post('/coupons', { ...body, requestId: 'req-0000002' });
    expect(other.status).toBe(201);
    expect(other.body.coupon.code).not.toBe(first.body.coupon.code);
    const coupons = (await admin().get(`/members/${seedMemberId(2)}`)).body.member.coupons.map((c: any) => c.code).sort();
    expect(coupons).toEqual([first.body.coupon.code, other.body.coupon.code].sort());
    expect((await marketer.post('/coupons', { ...body, requestId: 'x' })).body.error).toMatchObject({ code: 'validation_failed', field: 'requestId' });
  });

  it('an operator scoped to a region issues to its members only: another region’s member is not found, nothing written', async () => {
    const west = await operator('marketer', 'region:West');
    const refused = await west.post('/coupons', { memberId: seedMemberId(3), templateId: 'CASH20', requestId: 'req-west-001' });
    expect(refused.status).toBe(404);
    expect(refused.body.error.code).toBe('member_not_found');
    expect((await admin().get(`/members/${seedMemberId(3)}`)).body.member.coupons).toEqual([]);
    const ok = await west.post('/coupons', { memberId: seedMemberId(101), templateId: 'CASH20', requestId: 'req-west-002' });
    expect(ok.status).toBe(201);
  });

  it('every change is in the audit log with its actor and outcome', async () => {
    const { entries } = (await admin().get('/audit?limit=1000')).body;
    const of = (route: string, status: number) => entries.filter((e: any) => e.route === route && e.status === status);
    expect(of('/admin/v1/rules', 409).length).toBeGreaterThan(0);
    expect(of('/admin/v1/rules', 403)[0]?.actor.kind).toBe('operator');
    expect(of('/admin/v1/coupons', 404)[0]).toMatchObject({ target: seedMemberId(3) });
    expect(of('/admin/v1/templates/:id', 200).some((e: any) => e.target === 'WELCOME-5')).toBe(true);
  });
});
