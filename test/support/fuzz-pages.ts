import fc from 'fast-check';
import { rulesToForm } from '../../shared/loyalty/rules-form.ts';
import { templateToForm } from '../../shared/loyalty/template-form.ts';
import { tierBenefitsToForm } from '../../shared/loyalty/tier-benefits-form.ts';
import { DEFAULT_TEMPLATES } from '../../shared/schemas/coupon.ts';
import { DEFAULT_RULES } from '../../shared/schemas/rules.ts';
import { edgeCliOk, lastLine } from './edge-node.ts';
import { enc, hostileString, j, MARKUP_PROBES, Obj, p, query, seg, setupEdge, setupHub, toJson, type EdgeSetup, type HubSetup, type J, type RouteSpec } from './fuzz.ts';
import { adminClient } from './hub.ts';
import { signInGuide } from './guide-session.ts';
import { OperatorSession } from './operator-session.ts';

/*
 * The HQ console's pages and forms (/console) and a store's guide pages (/guide) for the fuzz
 * harness: as a signed-in browser sends them (the session cookie, the CSRF token in the form,
 * form encoding), and sometimes not. Pages answer HTML, so the harness checks them for what a
 * page must never do (a 5xx, input shown as markup) and every refused form for writes. Logout,
 * login and the password page are left out: they end or replace the session the run uses, and
 * have tests of their own.
 */

export interface ConsoleFixture {
  /** The admin's session CSRF token, as the pages' forms carry it. */
  csrf: string;
  /** The operator the run is logged in as (the console refuses to disable or reset oneself). */
  self: string;
  storeIds: string[];
  memberIds: string[];
}

/** A form body: fields as a browser encodes them; the mutator may drop, double or poison any, the token too. */
const formText = (body: J): string => (body instanceof Obj ? body.entries.map(([k, v]) => `${enc(k)}=${enc(typeof v === 'string' ? v : toJson(v))}`).join('&') : toJson(body));

/** Text a form field gets: mostly plausible, sometimes markup or hostile. */
const field = (...plausible: string[]) => fc.oneof({ arbitrary: fc.constantFrom(...plausible), weight: 6 }, { arbitrary: fc.constantFrom(...MARKUP_PROBES), weight: 2 }, { arbitrary: hostileString, weight: 1 });

type PathArb = fc.Arbitrary<{ text: string; decoded: string }>;
const none = (text: string): PathArb => fc.constant({ text, decoded: '' });
const withQuery = (path: string, q: PathArb): PathArb => q.map((x) => ({ text: path + x.text, decoded: x.decoded }));
const page = (route: string, path: PathArb): RouteSpec => ({ route: `GET ${route}`, method: 'GET', path, auth: 'operator' });
/** A form of a page, with the session's CSRF token among its fields. */
const former =
  (csrf: string) =>
  (route: string, path: PathArb, fields: Record<string, fc.Arbitrary<string>>, writes: string[]): RouteSpec => ({
    route: `POST ${route}`,
    method: 'POST',
    path,
    auth: 'operator',
    writes,
    contentType: 'form',
    encode: formText,
    body: fc.record({ _csrf: fc.constant(csrf), ...fields }).map(j),
  });

/**
 * A whole edit form as the page fills it (the rules, a template), one field of it made hostile
 * or markup at times; the version edited is one of the first few, so some saves are current.
 */
function filledForm(csrf: string, route: string, path: string, entries: [string, string][], writes: string[]): RouteSpec {
  const poisoned = fc.tuple(fc.nat(entries.length - 1), fc.option(fc.oneof(fc.constantFrom(...MARKUP_PROBES), hostileString), { nil: undefined }), fc.integer({ min: 0, max: 4 }));
  return {
    ...former(csrf)(route, none(path), {}, writes),
    body: poisoned.map(([at, bad, version]) => j(new Obj([['_csrf', csrf], ...entries.map(([k, v], i): [string, J] => [k, k === 'version' ? String(version) : i === at && bad !== undefined ? bad : v])]))),
  };
}

export function consoleRoutes(fx: ConsoleFixture): RouteSpec[] {
  const form = former(fx.csrf);
  const template = DEFAULT_TEMPLATES[0]!;
  const store = seg(fc.constantFrom(...fx.storeIds, 'NOPE'));
  const member = seg(fc.constantFrom(...fx.memberIds, 'NOSUCH0001'));
  const incident = seg(fc.constantFrom('incident:overspend:NOPE', 'incident:points_ceiling:S001:T1:R1'));
  const operator = seg(fc.constantFrom('fz-op1', 'nobody', fx.self, 'admin'));
  return [
    page('/console', none('/console')),
    page('/console/stores', withQuery('/console/stores', query({ done: fc.constantFrom('disabled', 'moved', 'city', '__proto__'), store: fc.constantFrom('S001', MARKUP_PROBES[0]!) }))),
    page('/console/incidents', withQuery('/console/incidents', query({ status: fc.constantFrom('open', 'resolved', 'withdrawn', ''), kind: fc.constantFrom('overspend', 'nope', ''), store: fc.constantFrom('S001', '') }))),
    page('/console/incidents/:id', p`/console/incidents/${incident}`),
    page('/console/members', withQuery('/console/members', query({ q: field('139-0000-0001', '+86 139 0000 0001', 'MSEED00000001', 'Li', 'wang'), by: fc.constantFrom('auto', 'name', 'phone', 'nope') }))),
    page('/console/members/:id', p`/console/members/${member}`),
    page('/console/members/:id/export', p`/console/members/${member}/export`),
    form('/console/members/:id/consent', p`/console/members/${member}/consent`, { channel: field('sms', 'wechat', 'email', 'phone'), granted: field('true', 'false') }, ['storeDb']),
    form('/console/members/:id/erase', p`/console/members/${seg(fc.constantFrom(fx.memberIds[fx.memberIds.length - 1]!, 'NOSUCH0001'))}/erase`, { confirm: field('yes', 'no', ''), reason: field('Asked at HQ', '') }, ['storeDb', 'identity']),
    page('/console/audit', withQuery('/console/audit', query({ before: fc.constantFrom('audit:01M8MMQS8HJHR04DAQAF58NE8N', 'audit:') }))),
    page('/console/operators', withQuery('/console/operators', query({ done: fc.constantFrom('disabled', 'enabled'), name: fc.constantFrom('fz-op1', MARKUP_PROBES[1]!) }))),
    { route: 'GET /console/lang', method: 'GET', path: withQuery('/console/lang', query({ to: fc.constantFrom('en', 'zh-CN', 'xx'), back: fc.constantFrom('/console/stores', '//evil.example', 'https://evil.example/', '/console/../admin') })), auth: 'operator' },
    form('/console/stores', none('/console/stores'), { id: field('FZ1', 'FZ2'), name: field('Fuzz store'), city: field('', 'Fuzzcity'), region: field('', 'East') }, ['stores', 'org']),
    form('/console/org/cities', none('/console/org/cities'), { name: field('Fuzzcity', '__proto__', 'a:b'), region: field('East', 'West') }, ['org']),
    form('/console/stores/move', none('/console/stores/move'), { store: field(...fx.storeIds), city: field('Fuzzcity', 'Atlantis') }, ['stores', 'org']),
    ...(['codes', 'disable', 'enable'] as const).map((action) => form(`/console/stores/:id/${action}`, p`/console/stores/${store}/${none(action)}`, {}, ['stores'])),
    form('/console/incidents/:id/resolve', p`/console/incidents/${incident}/resolve`, { note: field('Checked with the store.'), action: field('none', 'claw_back', 'write_off'), points: field('', '100', '-5', '1e9') }, ['incidents']),
    form('/console/members/:id/split', p`/console/members/${member}/split`, { records: field('fz:1', 'crm:1'), back: field(...fx.memberIds) }, ['identity']),
    form('/console/operators', none('/console/operators'), { name: field('fz-op1', 'fz-op2', 'Admin'), role: field('analyst', 'marketer', 'overlord', 'constructor'), scope: field('', 'store:S001', 'region:East', 'city:Nowhere') }, ['operators']),
    ...(['disable', 'enable', 'reset'] as const).map((action) => form(`/console/operators/:name/${action}`, p`/console/operators/${operator}/${none(action)}`, {}, ['operators'])),
    // One-ID (hub/console/pages/one-id.tsx, one-id-imports.tsx); a file upload is a multipart form, left to its own tests
    page('/console/one-id', none('/console/one-id')),
    page('/console/one-id/quarantine', withQuery('/console/one-id/quarantine', query({ done: fc.constantFrom('held', 'released') }))),
    page('/console/one-id/suggestions', withQuery('/console/one-id/suggestions', query({ done: fc.constantFrom('accepted', 'rejected') }))),
    page('/console/one-id/imports', none('/console/one-id/imports')),
    page('/console/one-id/imports/:id', p`/console/one-id/imports/${seg(fc.constantFrom('imp-1', 'NOPE'))}`),
    page('/console/one-id/imports/:id/rejects.ndjson', p`/console/one-id/imports/${seg(fc.constantFrom('imp-1', 'NOPE'))}/rejects.ndjson`),
    form('/console/one-id/quarantine', none('/console/one-id/quarantine'), { type: field('phone', 'card', 'email', '__proto__'), value: field('+86 137 0000 0001', 'FZCARD1') }, ['identity']),
    form('/console/one-id/quarantine/release', none('/console/one-id/quarantine/release'), { key: field('phone:+8613700000001', 'card:FZCARD1') }, ['identity']),
    form('/console/one-id/suggestions/:answer', p`/console/one-id/suggestions/${seg(fc.constantFrom('accept', 'reject', 'maybe'))}`, { a: field(...fx.memberIds), b: field(...fx.memberIds), back: field('member:MSEED00000001', '') }, ['identity']),
    // Loyalty (hub/console/pages/loyalty.tsx, coupon-templates.tsx, coupon-issue.tsx)
    page('/console/loyalty', withQuery('/console/loyalty', query({ done: fc.constantFrom('rules', 'template', 'coupon'), code: fc.constantFrom('FZ-1', MARKUP_PROBES[2]!), member: fc.constantFrom(...fx.memberIds) }))),
    page('/console/loyalty/rules/edit', none('/console/loyalty/rules/edit')),
    page('/console/loyalty/rules/versions', none('/console/loyalty/rules/versions')),
    page('/console/loyalty/templates/new', none('/console/loyalty/templates/new')),
    page('/console/loyalty/templates/:id', p`/console/loyalty/templates/${seg(fc.constantFrom(template.id, 'NOPE'))}`),
    filledForm(fx.csrf, '/console/loyalty/rules', '/console/loyalty/rules', rulesToForm(DEFAULT_RULES), ['rules', 'storeDb']),
    filledForm(fx.csrf, '/console/loyalty/templates', '/console/loyalty/templates', templateToForm({ ...template, id: 'FZT1', title: 'Fuzz template' }), ['templates', 'storeDb']),
    // Tier life and benefits (hub/console/pages/tier-benefits.tsx, decision 019)
    page('/console/loyalty/tiers', withQuery('/console/loyalty/tiers', query({ done: fc.constantFrom('1', '__proto__') }))),
    filledForm(fx.csrf, '/console/loyalty/tiers', '/console/loyalty/tiers', tierBenefitsToForm(DEFAULT_RULES), ['rules', 'storeDb']),
    form('/console/loyalty/coupons', none('/console/loyalty/coupons'), { member: field(...fx.memberIds, '139-0000-0001'), templateId: field(template.id, 'NOPE'), requestId: field('fz-req-1', 'fz-req-2') }, ['storeDb']),
    form('/console/members/:id/coupons', p`/console/members/${member}/coupons`, { templateId: field(template.id, 'NOPE'), requestId: field('fz-req-3') }, ['storeDb']),
  ];
}

export interface ConsoleSetup extends HubSetup {
  consoleFixture: ConsoleFixture;
}

/** The hub of the API fuzz (two enrolled stores), with an admin logged in to the console: the run's session. */
export async function setupConsole(): Promise<ConsoleSetup> {
  const setup = await setupHub();
  try {
    const admin = adminClient({ url: setup.target.url, dir: setup.hubDir });
    const self = 'fz-admin';
    const added = await admin.post('/operators', { name: self, role: 'admin' });
    if (added.status !== 201) throw new Error(`operator add: ${added.status}`);
    const session = new OperatorSession(setup.target.url);
    await session.login(self, added.body.password);
    const changed = await session.call('POST', '/console/api/password', { current: added.body.password, next: 'fuzz admin password' });
    if (changed.status !== 200 || !session.cookie || !session.csrf) throw new Error(`password change: ${changed.status}`);
    setup.target.credentials.operator = `memberedge_session=${session.cookie}`;
    setup.target.probes.incidents = { read: async () => (await admin.get('/incidents')).body };
    return { ...setup, consoleFixture: { csrf: session.csrf, self, storeIds: [setup.fixture.storeId, setup.fixture.otherStoreId], memberIds: setup.fixture.memberIds } };
  } catch (err) {
    await setup.stop();
    throw err;
  }
}

export interface GuideFixture {
  csrf: string;
  memberIds: string[];
}

/** A store's guide pages (edge/guide), as a signed-in guide's phone sends them. */
export function guideRoutes(fx: GuideFixture): RouteSpec[] {
  const form = former(fx.csrf);
  return [
    page('/guide', none('/guide')),
    page('/guide/m/:id', p`/guide/m/${seg(fc.constantFrom(...fx.memberIds, 'NOSUCH0001'))}`),
    page('/guide/register', none('/guide/register')),
    page('/guide/password', none('/guide/password')),
    // Never the session's password: a change would end the run's session (its own test is in guide.test.ts).
    form('/guide/password', none('/guide/password'), { current: field('not the password'), next: field('a new password here', 'short'), confirm: field('a new password here') }, []),
    { route: 'GET /guide/lang', method: 'GET', path: withQuery('/guide/lang', query({ to: fc.constantFrom('en', 'zh-CN', 'xx'), back: fc.constantFrom('/guide', '//evil.example', 'https://evil.example/') })), auth: 'operator' },
    form('/guide/find', none('/guide/find'), { q: field('139 0000 0001', '+86 137 0000 0009', 'MSEED00000001', 'https://wx.example/m?c=1') }, ['members']),
    form('/guide/register', none('/guide/register'), { phone: field('+86 136 0000 0001', '136-0000-0002', '12345'), name: field('Walk In', '王伟', ''), gender: field('', 'F', 'M', 'X'), birthday: field('', '1990-02-03', '2990-01-01', '1990-02-30') }, ['seq']),
  ];
}

export interface GuideSetup extends EdgeSetup {
  guideFixture: GuideFixture;
}

/** The edge fuzz's store node, with a guide account signed in: the run's session. */
export async function setupGuide(): Promise<GuideSetup> {
  const setup = await setupEdge();
  try {
    const password = lastLine(await edgeCliOk(['guide', 'add', 'fzguide', '--data', setup.storeDir]));
    const { cookie, csrf } = await signInGuide(setup.target.url, 'fzguide', password);
    setup.target.credentials.operator = cookie;
    return { ...setup, guideFixture: { csrf, memberIds: setup.fixture.memberIds } };
  } catch (err) {
    await setup.stop();
    throw err;
  }
}
