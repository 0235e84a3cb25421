import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Couch } from '../../hub/couch/couch.ts';
import { startEmbeddedCouch, type EmbeddedCouch } from '../../hub/couch/embedded.ts';
import { firstTagsBucket, recordFirstTags, recordTagEvents, tagHistoryOf } from '../../hub/tags/tag-history.ts';
import { tagTimeline } from '../../hub/profile/profile-tags.ts';
import { createLog } from '../../shared/cli/log.ts';
import type { TagEvent } from '../../shared/profile/tag-rules.ts';
import { removeDir, ROOT, spawnReady, tempDir, type ServiceProcess } from '../support/edge-node.ts';
import { adminClient, freePort, hubCliOk } from '../support/hub.ts';
import { newOperator, OperatorSession } from '../support/operator-session.ts';

/*
 * Tag rules at a real hub (issue 12, decision 022): the default catalogue seeded on the first
 * start and only then, create / edit / stale edit / retire over the admin API by operators with
 * and without the permission (audited), previews over a fake profile source standing in for
 * the metrics engine, the CLI; and the tag history in a real database.
 */

let hub: ServiceProcess & { dir: string };
let dir: string;
let port: number;
let profilesFile: string;
const admin = () => adminClient(hub);

// 30 members aged 25-29 (G00..G29), 10 aged 30 (G30..G39), 5 of unknown age (G40..G44).
const PROFILES: [string, Record<string, unknown>][] = [
  ...Array.from({ length: 30 }, (_, i) => [`G${String(i).padStart(5, '0')}`, { age: 25 + (i % 5), gender: i % 2 ? 'F' : 'M', channels: ['store'] }] as [string, Record<string, unknown>]),
  ...Array.from({ length: 10 }, (_, i) => [`G${String(30 + i).padStart(5, '0')}`, { age: 30, gender: 'F', channels: ['store', 'marketplace'] }] as [string, Record<string, unknown>]),
  ...Array.from({ length: 5 }, (_, i) => [`G${String(40 + i).padStart(5, '0')}`, { gender: 'U' }] as [string, Record<string, unknown>]),
];

const startTagHub = async () => {
  const p = await spawnReady(['--import', 'tsx', join(ROOT, 'test', 'support', 'hub-with-profiles.ts'), dir, String(port), profilesFile]);
  return Object.assign(p, { dir });
};

beforeAll(async () => {
  dir = tempDir('memberedge-tags-');
  port = await freePort();
  profilesFile = join(dir, 'profiles.json');
  writeFileSync(profilesFile, JSON.stringify(PROFILES));
  hub = await startTagHub();
});
afterAll(async () => {
  await hub?.stop();
  if (dir) removeDir(dir);
});

let named = 0;
const operator = (role: string) => newOperator(hub, `${role.replace(/_/g, '-')}-${++named}`, role);
const put = (s: OperatorSession, path: string, body: unknown) => s.call('PUT', `/admin/v1${path}`, body);

const YOUNG = { code: 'young_adults', class: 'natural', names: { 'zh-CN': '青年', en: 'Young adults' }, condition: { field: 'age', op: 'between', min: 25, max: 29 } };

describe('the default catalogue', () => {
  it('is there after the first start: every rule at version 1, in four classes, made by the hub', async () => {
    const { rules } = (await admin().get('/tags/rules')).body;
    expect(rules.length).toBeGreaterThanOrEqual(80);
    expect(new Set(rules.map((r: any) => r.class))).toEqual(new Set(['natural', 'preference', 'behaviour', 'value']));
    expect(rules.every((r: any) => r.version === 1 && r.status === 'active')).toBe(true);
    const one = await admin().get('/tags/rules/high_spender');
    expect(one.body.rule.names).toEqual({ 'zh-CN': '高消费', en: 'High spender' });
    expect(one.body.versions).toEqual([expect.objectContaining({ version: 1, by: { kind: 'token', name: 'hub' } })]);
    expect((await admin().get('/tags/rules?class=value')).body.rules.every((r: any) => r.class === 'value')).toBe(true);
    expect((await admin().get('/tags/rules/no_such_tag')).status).toBe(404);
    expect((await admin().get('/tags/rules/__proto__')).body.error.code).toBe('tag_rule_not_found');
  });
});

describe('create, edit, stale edit, retire', () => {
  it('a marketer creates a rule (audited); the same code again is 409 tag_rule_exists', async () => {
    const m = await operator('marketer');
    const created = await m.post('/tags/rules', YOUNG);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.rule).toMatchObject({ code: 'young_adults', version: 1, status: 'active' });
    expect((await m.post('/tags/rules', YOUNG)).body.error.code).toBe('tag_rule_exists');
    const audit = (await admin().get('/audit?limit=20')).body.entries;
    expect(audit.find((e: any) => e.actor.name === m.name && e.route === '/admin/v1/tags/rules' && e.status === 201)).toMatchObject({ method: 'POST', target: 'young_adults' });
  });

  it('a rule naming an unknown field, or comparing a set with <, is refused field by field, nothing written', async () => {
    const bad = await admin().post('/tags/rules', { ...YOUNG, code: 'bad_rule', condition: { all: [{ field: 'shoeSize', op: 'ge', value: 40 }, { field: 'channels', op: 'lt', value: 'store' }, { field: 'gender', op: 'ge', value: 1 }] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    expect(bad.body.error.errors.map((e: any) => [e.path, e.rule])).toEqual([
      ['condition.all.0.field', 'tagUnknownField'],
      ['condition.all.1.value', 'whole'],
      ['condition.all.2.op', 'tagOpForKind'],
    ]);
    expect((await admin().get('/tags/rules/bad_rule')).status).toBe(404);
  });

  it('an edit names its version; one made from an older version is 409 stale_version and changes nothing', async () => {
    const m = await operator('marketer');
    const v1 = (await m.get('/tags/rules/young_adults')).body.rule;
    const saved = await put(m, '/tags/rules/young_adults', { ...v1, condition: { field: 'age', op: 'between', min: 25, max: 30 } });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(saved.body.rule.version).toBe(2);
    const stale = await put(m, '/tags/rules/young_adults', { ...v1, names: { 'zh-CN': '年轻人', en: 'Youth' } });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'stale_version', baseVersion: 1, currentVersion: 2 });
    const now = (await m.get('/tags/rules/young_adults')).body;
    expect(now.rule).toMatchObject({ version: 2, names: YOUNG.names, condition: { max: 30 } });
    expect(now.versions[0]).toMatchObject({ version: 2, by: { kind: 'operator', name: m.name }, changes: [{ path: 'condition.max', before: 29, after: 30 }] });
    expect((await put(m, '/tags/rules/other_code', { ...v1, version: 2 })).body.error.code).toBe('validation_failed');
  });

  it('an analyst reads and previews stored rules but changes nothing; a store manager sees none', async () => {
    const a = await operator('analyst');
    expect((await a.get('/tags/rules')).status).toBe(200);
    expect((await a.get('/tags/rules/young_adults/preview')).body.preview.count).toBe(40);
    const rule = (await a.get('/tags/rules/young_adults')).body.rule;
    for (const res of [await put(a, '/tags/rules/young_adults', rule), await a.post('/tags/rules', { ...YOUNG, code: 'analyst_rule' }), await a.post('/tags/rules/young_adults/retire', {}), await a.post('/tags/preview', { rule: YOUNG })]) {
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    }
    expect((await a.get('/tags/rules/young_adults')).body.rule.version).toBe(2);
    const sm = await operator('store_manager');
    expect((await sm.get('/tags/rules')).status).toBe(403);
  });

  it('retiring is a new version with status retired; a stale retire is refused', async () => {
    const m = await operator('marketer');
    expect((await m.post('/tags/rules/young_adults/retire', { version: 1 })).body.error.code).toBe('stale_version');
    const retired = await m.post('/tags/rules/young_adults/retire', { version: 2 });
    expect(retired.status).toBe(200);
    expect(retired.body.rule).toMatchObject({ status: 'retired', version: 3 });
    expect((await m.post('/tags/rules/nothing_here/retire', {})).body.error.code).toBe('tag_rule_not_found');
  });
});

describe('preview over the profiles the engine provides (a fake source here)', () => {
  it('counts the members a draft would tag, with a sample of at most 20 of them', async () => {
    const m = await operator('marketer');
    const res = await m.post('/tags/preview', { rule: YOUNG });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const { preview } = res.body;
    expect(preview).toMatchObject({ evaluated: 45, count: 30 });
    expect(preview.day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(preview.sample).toHaveLength(20);
    expect(new Set(preview.sample).size).toBe(20);
    for (const id of preview.sample) expect(Number(id.slice(1))).toBeLessThan(30);
    // not: the complement among members with an age (10), and those without one (5).
    expect((await m.post('/tags/preview', { rule: { ...YOUNG, condition: { not: YOUNG.condition } } })).body.preview.count).toBe(15);
    // A default rule, over the same members.
    const omni = (await admin().get('/tags/rules/omnichannel')).body.rule;
    expect((await m.post('/tags/preview', { rule: omni })).body.preview).toMatchObject({ count: 10 });
    expect((await m.post('/tags/preview', { rule: { ...YOUNG, condition: { field: 'nope', op: 'ge', value: 1 } } })).body.error.code).toBe('validation_failed');
  });
});

describe('the CLI', () => {
  it('tags set FILE creates, then replaces from the version in the file; list, show, preview and retire', async () => {
    const file = join(dir, 'women.json');
    writeFileSync(file, JSON.stringify({ code: 'women_cli', class: 'natural', names: { 'zh-CN': '女士', en: 'Women' }, condition: { field: 'gender', op: 'in', values: ['F'] } }));
    expect((await hubCliOk(hub, ['tags', 'set', file])).stdout).toContain('tag rule women_cli saved as version 1');
    writeFileSync(file, JSON.stringify({ code: 'women_cli', class: 'natural', names: { 'zh-CN': '女士', en: 'Women' }, condition: { field: 'gender', op: 'in', values: ['F'] }, version: 1, about: 'from the CLI' }));
    expect((await hubCliOk(hub, ['tags', 'set', file])).stdout).toContain('version 2');
    const list = (await hubCliOk(hub, ['tags', 'list', '--class', 'natural'])).stdout;
    expect(list).toMatch(/women_cli\s+natural\s+active\s+v2\s+女士 \/ Women/);
    expect(list).not.toContain('high_spender');
    expect(JSON.parse((await hubCliOk(hub, ['tags', 'show', 'women_cli'])).stdout).rule.about).toBe('from the CLI');
    expect((await hubCliOk(hub, ['tags', 'preview', file])).stdout).toContain('25 of 45 members');
    expect((await hubCliOk(hub, ['tags', 'retire', 'women_cli'])).stdout).toContain('retired (version 3)');
  });
});

describe('after a restart', () => {
  it('the catalogue is not seeded again: changes and retirements stay as operators left them', async () => {
    await hub.stop();
    hub = await startTagHub();
    expect((await admin().get('/tags/rules/young_adults')).body.rule).toMatchObject({ status: 'retired', version: 3 });
    expect((await admin().get('/tags/rules/high_spender')).body.versions).toHaveLength(1);
  });
});

describe('tag history in its database', () => {
  let couch: EmbeddedCouch;
  let historyDir: string;
  beforeAll(async () => {
    historyDir = tempDir('memberedge-tag-history-');
    couch = await startEmbeddedCouch(historyDir, createLog('test', true));
    await new Couch(couch.url).ensureCentral();
  });
  afterAll(async () => {
    await couch?.stop();
    if (historyDir) removeDir(historyDir);
  });

  const ev = (tag: string, change: 'entered' | 'left', day: string, ref = 'f1'): TagEvent => ({ tag, change, day, cause: { kind: 'fact', ref } });

  it('keeps one document per member per month, appends, never stores an event twice, and reads newest first by month', async () => {
    const db = new Couch(couch.url);
    expect(await recordTagEvents(db, [['GAAAA1', [ev('high_spender', 'entered', '2026-05-30'), ev('new_member', 'left', '2026-05-30')]], ['GBBBB2', [ev('stage_active', 'entered', '2026-06-01')]]])).toBe(3);
    expect(await recordTagEvents(db, [['GAAAA1', [ev('high_spender', 'entered', '2026-05-30'), ev('stage_dormant', 'entered', '2026-06-02', 'nightly')]]])).toBe(1);
    expect(await recordTagEvents(db, [['GAAAA1', [ev('high_spender', 'left', '2026-07-01')]]])).toBe(1);
    const ids = (await db.db('hub-tag-history').list()).rows.map((r) => r.id);
    expect(ids).toEqual(['th:GAAAA1:2026-05', 'th:GAAAA1:2026-06', 'th:GAAAA1:2026-07', 'th:GBBBB2:2026-06']);
    const all = await tagHistoryOf(db, 'GAAAA1');
    expect(all.events.map((e) => `${e.day} ${e.tag} ${e.change}`)).toEqual(['2026-07-01 high_spender left', '2026-06-02 stage_dormant entered', '2026-05-30 new_member left', '2026-05-30 high_spender entered']);
    expect(all.next).toBeNull();
    const page = await tagHistoryOf(db, 'GAAAA1', { limit: 1 });
    expect(page.events).toHaveLength(1);
    expect(page.next).toBe('2026-07');
    const rest = await tagHistoryOf(db, 'GAAAA1', { before: page.next!, limit: 1 });
    expect(rest.events.map((e) => e.tag)).toEqual(['stage_dormant']);
    expect(rest.next).toBe('2026-06');
    expect((await tagHistoryOf(db, 'GAAAA')).events).toEqual([]);
    expect((await tagHistoryOf(db, 'x:y')).events).toEqual([]);
  });

  it('two writers at once: every event is kept', async () => {
    const db = new Couch(couch.url);
    await Promise.all(Array.from({ length: 5 }, (_, i) => recordTagEvents(db, [['GCCCC3', [ev(`tag_${i}`, 'entered', '2026-08-01')]]])));
    expect((await tagHistoryOf(db, 'GCCCC3')).events.map((e) => e.tag).sort()).toEqual(['tag_0', 'tag_1', 'tag_2', 'tag_3', 'tag_4']);
    // Said to have no history (written without a read first), five at once: still every event.
    await Promise.all(Array.from({ length: 5 }, (_, i) => recordTagEvents(db, [['GDDDD4', [ev(`tag_${i}`, 'entered', '2026-08-01')]]], () => true)));
    expect((await tagHistoryOf(db, 'GDDDD4')).events.map((e) => e.tag).sort()).toEqual(['tag_0', 'tag_1', 'tag_2', 'tag_3', 'tag_4']);
  });

  it('first tags in bucket documents: one per bucket and day, appended to by a second run that day, read before the member\'s months', async () => {
    const db = new Couch(couch.url);
    const members = Array.from({ length: 40 }, (_, i) => `GFIRST${i}`);
    expect(await recordFirstTags(db, members.map((g) => [g, [ev('high_spender', 'entered', '2026-10-05', 'nightly'), ev('stage_active', 'entered', '2026-10-05', 'nightly')]]))).toBe(80);
    const firstIds = (await db.db('hub-tag-history').list({ startkey: 'tf:', endkey: 'tf:\ufff0' })).rows.map((r) => r.id);
    expect(firstIds.length).toBe(new Set(members.map(firstTagsBucket)).size);
    expect(firstIds.every((id) => /^tf:\d{4}:2026-10-05$/.test(id))).toBe(true);
    // A second run the same day (its documents there: conflicts, read, appended), with an event stored already.
    expect(await recordFirstTags(db, [['GFIRST0', [ev('high_spender', 'entered', '2026-10-05', 'nightly'), ev('new_member', 'entered', '2026-10-05', 'nightly')]]])).toBe(1);
    // Later events in the member's month documents.
    await recordTagEvents(db, [['GFIRST0', [ev('high_spender', 'left', '2026-10-20'), ev('coffee_lover', 'entered', '2026-11-02')]]]);
    const all = await tagHistoryOf(db, 'GFIRST0');
    expect(all.events.map((e) => `${e.day} ${e.tag} ${e.change}`)).toEqual(['2026-11-02 coffee_lover entered', '2026-10-20 high_spender left', '2026-10-05 new_member entered', '2026-10-05 stage_active entered', '2026-10-05 high_spender entered']);
    // Paged by month: October whole (its first events with it), on the second page.
    const page = await tagHistoryOf(db, 'GFIRST0', { limit: 1 });
    expect([page.events.length, page.next]).toEqual([1, '2026-11']);
    expect((await tagHistoryOf(db, 'GFIRST0', { before: '2026-11' })).events).toHaveLength(4);
    const timeline = await tagTimeline(db, 'GFIRST0');
    expect(timeline.map((t) => `${t.day} ${t.kind} ${t.ref}`)).toEqual([
      '2026-10-05 tag_entered tag:first:2026-10-05:00000:high_spender',
      '2026-10-05 tag_entered tag:first:2026-10-05:00001:stage_active',
      '2026-10-05 tag_entered tag:first:2026-10-05:00002:new_member',
      '2026-10-20 tag_left tag:2026-10:00000:high_spender',
      '2026-11-02 tag_entered tag:2026-11:00000:coffee_lover',
    ]);
    // Another member of the same buckets sees only its own.
    expect((await tagHistoryOf(db, 'GFIRST1')).events.map((e) => e.tag)).toEqual(['stage_active', 'high_spender']);
  });

  it('a member said to have no history whose month document is there after all: appended to, nothing lost or doubled', async () => {
    const db = new Couch(couch.url);
    expect(await recordTagEvents(db, [['GEEEE5', [ev('high_spender', 'entered', '2026-09-01')]]])).toBe(1);
    expect(await recordTagEvents(db, [['GEEEE5', [ev('high_spender', 'entered', '2026-09-01'), ev('high_spender', 'left', '2026-09-20')]]], () => true)).toBe(1);
    expect((await tagHistoryOf(db, 'GEEEE5')).events.map((e) => `${e.day} ${e.tag} ${e.change}`)).toEqual(['2026-09-20 high_spender left', '2026-09-01 high_spender entered']);
  });
});
