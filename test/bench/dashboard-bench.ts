import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { chromium } from 'playwright-core';
import { Couch, type Doc } from '../../hub/couch/couch.ts';
import { DB, factKey } from '../../hub/couch/databases.ts';
import { startEmbeddedCouch } from '../../hub/couch/embedded.ts';
import { currentRules } from '../../hub/rules.ts';
import { createLog } from '../../shared/cli/log.ts';
import { docId } from '../../shared/doc-ids.ts';
import { addDays, localDate } from '../../shared/local-time.ts';
import type { LoyaltyRules } from '../../shared/schemas/rules.ts';
import { rng, seedMemberCode, seedMemberDocs, seedMemberId, seedPhone } from '../../shared/seed-members.ts';
import type { FactLike } from '../../shared/dashboard/aggregates.ts';
import { CHROMIUM } from '../support/browser.ts';
import { CounterFold, feedSeqs, writeCounters } from './dashboard-migrate.ts';
import { removeDir, tempDir } from '../support/edge-node.ts';
import { adminClient, freePort, startHub, withStoredDatabases, type HubProcess } from '../support/hub.ts';

/*
 * Issue 11's figures for the dashboard: with BENCH_DASH_MEMBERS members (default 1,000,000) and
 * BENCH_DASH_FACTS facts (default 5,000,000: each member's join gift, the rest receipts over a
 * year, a tenth of them anonymous) at the hub, the first paint of /console in chromium, the
 * server time of the dashboard's data (the admin routes and the page's HTML), and member search
 * by phone and by id, each against a baseline measured in the same run (GET /healthz; the login
 * page's first paint). The data is written straight into the hub's databases in their normal
 * layout with the hub stopped, and the dashboard's counters with it, as a migration would
 * (dashboard-migrate.ts, decision 013 point 8): the hub then starts with nothing to catch up.
 * Every request is measured after the view of members by name is built, the load average beside.
 * BENCH_DASH_DIR keeps the data set and resumes on it: loaded once (`bench-loaded` holds the time
 * the documents were generated at), counters migrated once (`bench-counters`).
 */

const MEMBERS = Number(process.env.BENCH_DASH_MEMBERS ?? 1_000_000);
const FACTS = Number(process.env.BENCH_DASH_FACTS ?? 5 * MEMBERS);
const STORES = 20;
const ROUNDS = Number(process.env.BENCH_DASH_ROUNDS ?? 200);
const PAINTS = Number(process.env.BENCH_DASH_PAINTS ?? 30);
const TZ = 'Asia/Shanghai';
const BULK = 5000;

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const stats = (xs: number[]) => ({ p50: percentile(xs, 50), p95: percentile(xs, 95), n: xs.length });
export type Stats = ReturnType<typeof stats>;

export const storeId = (k: number) => `S${String(k + 1).padStart(3, '0')}`;

export interface DashboardBench {
  members: number;
  facts: number;
  stores: number;
  loadMembersSeconds: number;
  loadFactsSeconds: number;
  hubStartSeconds: number;
  catchUpSeconds: number;
  nameIndexSeconds: number;
  /** When the hub had nothing left to do in the background (One-ID loaded), from its start. */
  restSeconds: number;
  /** The counters migrated in this run (absent: a kept data set migrated earlier). */
  migration?: { seconds: number; counters: number; chunks: number };
  /** The load average (1, 5, 15 minutes) after each part of the measurement. */
  loadAverage: Record<string, string>;
  figures: { total: number; buyers: number; receiptsToday: number };
  server: Record<string, Stats>;
  paint: { dashboard: Stats; login: Stats };
  search: Record<string, Stats>;
  peakRssMb?: number;
}

/** Writes documents in bulks of BULK, two requests at a time. */
export async function bulkLoad(couch: Couch, db: string, docs: Iterable<Doc>): Promise<number> {
  let batch: Doc[] = [];
  let n = 0;
  const inFlight = new Set<Promise<void>>();
  // A bulk that lost its connection (the embedded server restarted under it) is sent again: the
  // documents are written whole or found as conflicts, so a second send loses nothing.
  const send = async (b: Doc[], attempt = 1): Promise<void> => {
    try {
      const res = await couch.db(db).bulk({ docs: b });
      const bad = res.find((r) => r.error && r.error !== 'conflict');
      if (bad) throw new Error(`${db}: ${bad.id} ${bad.error}`);
    } catch (e) {
      if (attempt >= 5 || !/ECONNRESET|ECONNREFUSED|socket hang up|fetch failed/.test(String((e as Error)?.message) + String((e as { cause?: unknown }).cause))) throw e;
      await new Promise((r) => setTimeout(r, 5000 * attempt));
      return send(b, attempt + 1);
    }
  };
  for (const d of docs) {
    batch.push(d);
    if (batch.length < BULK) continue;
    const p = send(batch).finally(() => inFlight.delete(p));
    inFlight.add(p);
    n += batch.length;
    batch = [];
    if (inFlight.size >= 2) await Promise.race(inFlight);
  }
  if (batch.length) await send(batch);
  await Promise.all(inFlight);
  return n + batch.length;
}

/** The bench's members: `central`, their profiles and keys (hub-members); else their join gifts (hub-facts). */
export function* memberDocs(members: number, rules: LoyaltyRules, now: Date, central: boolean): Generator<Doc> {
  const random = rng(2026);
  for (let i = 0; i < members; i++) {
    const docs = seedMemberDocs(i, random, { storeId: storeId(i % STORES), timeZone: TZ, rules, now }) as Doc[];
    for (const d of docs) {
      if (central && (d.type === 'member' || d.type === 'idk')) yield d;
      if (!central && d.type === 'pts') yield { ...d, _id: factKey(String(d.memberId), d._id) };
    }
  }
}

/** Receipts over the last year (recent days more often), mostly at the member's home store. */
export function* receiptDocs(count: number, members: number, now: Date): Generator<Doc> {
  const random = rng(1129);
  const today = localDate(now, TZ);
  for (let k = 0; k < count; k++) {
    const anonymous = random() < 0.1;
    const m = Math.floor(random() * members);
    const store = anonymous || random() < 0.1 ? storeId(Math.floor(random() * STORES)) : storeId(m % STORES);
    const day = addDays(today, -Math.floor(random() ** 2 * 365));
    const cents = 1000 + Math.floor(random() * 50_000);
    const id = docId.order(store, 'T1', `B${k}`);
    const memberId = anonymous ? undefined : seedMemberId(m);
    yield {
      _id: factKey(memberId, id),
      type: 'order',
      storeId: store,
      terminalId: 'T1',
      receiptNo: `B${k}`,
      ...(memberId ? { memberId } : {}),
      at: `${day}T04:00:00.000Z`,
      day,
      lines: [{ sku: 'BENCH-1', qty: 1, unitPriceCents: cents, totalCents: cents, discountCents: 0, payableCents: cents }],
      totalCents: cents,
      couponDiscountCents: 0,
      pointsCashCents: 0,
      payableCents: cents,
      pointsEarned: memberId ? Math.floor(cents / 100) : 0,
      pointsRedeemed: 0,
      coupons: [],
      requestHash: 'bench',
    };
  }
}

/** What the counters read of a document (aggregates.ts FactLike, MemberLike): a stored and a generated one must agree on it. */
const countedPart = (d: Doc | undefined) =>
  d && JSON.stringify([d._id, d.type, d.storeId, d.memberId, d.day, d.payableCents, d.refundCents, d.delta, d.reason, d.homeStoreId, typeof d.registeredAt === 'string' ? localDate(d.registeredAt, TZ) : undefined]);

/**
 * The dashboard's counters for the generated data, as a migration writes them (dashboard-migrate.ts):
 * the documents are generated again (the same seeds and day), folded, checked against what the
 * databases hold (their counts, and one document in 1,000 field by field), and hub-dashboard is
 * replaced with the counters at the databases' sequences. With the hub stopped.
 */
export async function migrateCounters(couch: Couch, data: { members: number; facts: number; rules: LoyaltyRules; now: Date }, log: (line: string) => void): Promise<{ seconds: number; counters: number; chunks: number }> {
  const t = performance.now();
  const at = await feedSeqs(couch);
  const homes = new Map<string, string>();
  const sample = new Map<string, string>();
  let k = 0;
  const tap = function* (docs: Iterable<Doc>, db: string, each?: (d: Doc) => void): Generator<Doc> {
    for (const d of docs) {
      each?.(d);
      if (k++ % 1000 === 0) sample.set(`${db} ${d._id}`, countedPart(d)!);
      yield d;
    }
  };
  const fold = new CounterFold((id) => homes.get(id) ?? '', TZ);
  fold.foldMembers(tap(memberDocs(data.members, data.rules, data.now, true), DB.members, (d) => d.type === 'member' && homes.set(String(d.id), String(d.homeStoreId))));
  fold.foldFacts(tap(memberDocs(data.members, data.rules, data.now, false), DB.facts) as Iterable<FactLike>);
  fold.foldFacts(tap(receiptDocs(Math.max(0, data.facts - data.members), data.members, data.now), DB.facts) as Iterable<FactLike>);
  log(`counters folded in process: ${fold.registrations} members, ${fold.facts} facts, ${((performance.now() - t) / 1000).toFixed(0)} s`);

  // The fold held the event loop for minutes: the server has closed the idle connection, and the
  // first request on each of its idle connections fails (EPIPE): a few requests that may fail, then on fresh ones.
  for (let i = 0; i < 5; i++) await couch.server.db.get(DB.facts).catch(() => undefined);
  // The fold must be of exactly what the databases hold.
  const count = async (db: string) => ((await couch.server.db.get(db)) as { doc_count: number }).doc_count - (await couch.range(db, { startkey: '_design/', endkey: '_design/\ufff0' })).length;
  const [members, facts] = [await count(DB.members), await count(DB.facts)];
  if (members !== 3 * data.members || facts !== fold.facts) throw new Error(`the databases hold ${members} member documents and ${facts} facts, the generator ${3 * data.members} and ${fold.facts}: not the data this bench loaded`);
  for (const db of [DB.members, DB.facts]) {
    const ids = [...sample.keys()].filter((key) => key.startsWith(`${db} `)).map((key) => key.slice(db.length + 1));
    for (let i = 0; i < ids.length; i += 1000) {
      const stored = await couch.fetchDocs(db, ids.slice(i, i + 1000));
      stored.forEach((d, j) => {
        if (countedPart(d) !== sample.get(`${db} ${ids[i + j]}`)) throw new Error(`${db} ${ids[i + j]}: stored ${countedPart(d)}, generated ${sample.get(`${db} ${ids[i + j]}`)}`);
      });
    }
  }
  const written = await writeCounters(couch, fold, at);
  const seconds = (performance.now() - t) / 1000;
  log(`counters written at facts ${at.facts}, members ${at.members}, identity ${at.online}: ${written.counters} counter documents, ${written.chunks} member chunks, ${seconds.toFixed(0)} s in all (${sample.size} documents checked against the databases)`);
  return { seconds, ...written };
}

async function sessionCookie(hub: HubProcess, name: string, role: string): Promise<{ cookie: string; password: string }> {
  const added = await adminClient(hub).post('/operators', { name, role });
  const login = await fetch(`${hub.url}/console/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, password: added.body.password }) });
  const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
  const password = `pw ${randomBytes(9).toString('base64url')}`;
  const changed = await fetch(`${hub.url}/console/api/password`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': ((await login.json()) as { csrfToken: string }).csrfToken },
    body: JSON.stringify({ current: added.body.password, next: password }),
  });
  return { cookie: changed.headers.getSetCookie()[0]!.split(';')[0]!, password };
}

export async function benchDashboard(log: (line: string) => void = (l) => console.error(l)): Promise<DashboardBench> {
  const dir = process.env.BENCH_DASH_DIR ?? tempDir('bench-dash-');
  const port = await freePort();
  const keep = process.env.BENCH_DASH_DIR !== undefined;
  const loaded = existsSync(`${dir}/bench-loaded`);
  // A kept data set is not started before its counters are migrated: a hub on a million members
  // and stale counters starts catching up at once, and takes minutes to stop.
  let hub: HubProcess | undefined;
  try {
    let loadMembersSeconds = 0;
    let loadFactsSeconds = 0;
    let rules: LoyaltyRules;
    if (!loaded) {
      hub = await startHub(dir, port, ['--login-rate', '6000', '--login-burst', '1000']);
      const admin = adminClient(hub);
      for (let k = 0; k < STORES; k++) await admin.post('/stores', { id: storeId(k), name: `Bench ${storeId(k)}`, region: k < STORES / 2 ? 'East' : 'West' });
      rules = (await admin.get('/rules')).body.rules as LoyaltyRules;
      await hub.stop();
    } else rules = await withStoredDatabases(dir, currentRules);
    // The day the data was generated on: its documents' days count back from it. A kept data set
    // records it in its marker (data sets kept before this wrote the time their load ended there,
    // the same day in HQ's zone); the migration below checks it against what is stored.
    const now = loaded ? new Date(readFileSync(`${dir}/bench-loaded`, 'utf8').trim()) : new Date();
    let migration: Awaited<ReturnType<typeof migrateCounters>> | undefined;
    const embedded = await startEmbeddedCouch(dir, createLog('bench', true));
    try {
      const couch = new Couch(embedded.url);
      if (!loaded) {
        let t = performance.now();
        const central = await bulkLoad(couch, DB.members, memberDocs(MEMBERS, rules, now, true));
        loadMembersSeconds = (performance.now() - t) / 1000;
        log(`members: ${central} documents in ${loadMembersSeconds.toFixed(0)} s`);
        t = performance.now();
        const joins = await bulkLoad(couch, DB.facts, memberDocs(MEMBERS, rules, now, false));
        const receipts = await bulkLoad(couch, DB.facts, receiptDocs(Math.max(0, FACTS - MEMBERS), MEMBERS, now));
        loadFactsSeconds = (performance.now() - t) / 1000;
        log(`facts: ${joins + receipts} in ${loadFactsSeconds.toFixed(0)} s`);
        if (keep) writeFileSync(`${dir}/bench-loaded`, now.toISOString());
      }
      // The counters, as the migration that wrote the documents would write them (once per data set).
      if (!existsSync(`${dir}/bench-counters`)) {
        migration = await migrateCounters(couch, { members: MEMBERS, facts: FACTS, rules, now }, log);
        if (keep) writeFileSync(`${dir}/bench-counters`, JSON.stringify({ at: new Date().toISOString(), ...migration }));
      }
    } finally {
      await embedded.stop();
    }

    // The hub starts on the migrated counters: its catch-up finds only what changed since (nothing
    // but what a previous run of this bench wrote: operators, audit entries).
    let t = performance.now();
    const started = t;
    const running = (hub = await startHub(dir, port, ['--login-rate', '6000', '--login-burst', '1000']));
    const hubStartSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    const token = adminClient(running);
    let last = 0;
    for (;;) {
      const s = (await token.get('/members/stats')).body;
      if (s.upToDate) break;
      if (performance.now() - last > 30_000) {
        last = performance.now();
        log(`catching up: ${((performance.now() - t) / 1000).toFixed(0)} s, members so far ${s.members?.total}, buyers ${s.members?.buyers}`);
      }
    }
    const catchUpSeconds = (performance.now() - t) / 1000;
    log(`caught up in ${catchUpSeconds.toFixed(1)} s`);
    const members = (await token.get('/members/stats')).body.members;
    const sales = (await token.get('/sales/daily?days=14')).body;

    // Search by name reads a view of hub-members whose index the hub builds in the background from
    // its start (a search answers 503 until then): wait for it before measuring anything, so that
    // every figure is of a hub at rest.
    const { cookie } = await sessionCookie(hub, `bench-${randomBytes(3).toString('hex')}`, 'analyst');
    const NAMES = ['wang', 'li n', 'zhang w', 'chen', 'liu f', 'zhao l', 'huang', 'wu j'];
    last = 0;
    while ((await fetch(`${hub.url}/console/members?q=${encodeURIComponent(NAMES[0]!)}&by=name`, { headers: { cookie }, redirect: 'manual' })).status === 503) {
      if (performance.now() - last > 60_000) {
        last = performance.now();
        log(`the name view is being built: ${((performance.now() - started) / 1000).toFixed(0)} s since the hub's start`);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    const nameIndexSeconds = (performance.now() - started) / 1000;
    log(`the name view ready ${nameIndexSeconds.toFixed(0)} s after the hub's start`);
    // One-ID loads its records in the background from the start too, on the same database thread:
    // at rest means after it (the hub's breadcrumb lists what it is still doing).
    const doing = () => {
      try {
        const status = JSON.parse(readFileSync(`${dir}/hub-status.json`, 'utf8')) as { pid?: number; doing?: string[] };
        return status.pid === running.child.pid ? (status.doing ?? []) : ['(the status of an earlier start)'];
      } catch {
        return ['(no status yet)'];
      }
    };
    while (doing().length > 0) {
      if (performance.now() - last > 60_000) {
        last = performance.now();
        log(`waiting for the hub to be at rest (${doing().join(', ')}): ${((performance.now() - started) / 1000).toFixed(0)} s since its start`);
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
    const restSeconds = (performance.now() - started) / 1000;
    log(`the hub at rest ${restSeconds.toFixed(0)} s after its start`);
    const loadAverage: Record<string, string> = {};
    const uptime = (phase: string) => (loadAverage[phase] = os.loadavg().map((x) => x.toFixed(2)).join(', '));
    uptime('before the requests');

    // Server time: the dashboard's data and page against /healthz, interleaved.
    const get = async (path: string, headers: Record<string, string> = {}) => {
      const t0 = performance.now();
      const res = await fetch(running.url + path, { headers, redirect: 'manual' });
      await res.arrayBuffer();
      if (res.status >= 400) throw new Error(`${path}: ${res.status}`);
      return performance.now() - t0;
    };
    const serverRoutes: [string, string, Record<string, string>][] = [
      ['baseline: GET /healthz', '/healthz', {}],
      ['GET /admin/v1/sales/daily?days=14', '/admin/v1/sales/daily?days=14', { cookie }],
      ['GET /admin/v1/members/stats', '/admin/v1/members/stats', { cookie }],
      ['GET /console (the dashboard page, whole HTML)', '/console', { cookie }],
    ];
    const server: Record<string, number[]> = Object.fromEntries(serverRoutes.map(([name]) => [name, [] as number[]]));
    for (let r = 0; r < ROUNDS + 10; r++) for (const [name, path, headers] of serverRoutes) {
      const ms = await get(path, headers);
      if (r >= 10) server[name]!.push(ms);
    }
    uptime('after the data routes');

    // Member search as the console does it (the search answers 303 to the member), and the member's page.
    const random = rng(7);
    const search: Record<string, number[]> = {
      'baseline: GET /healthz': [],
      'search by phone (GET /console/members?q=…)': [],
      'search by member id': [],
      'search by card (the member code on it)': [],
      'search by the start of a name (a page of 20 members)': [],
      'the 360 page it leads to': [],
    };
    for (let r = 0; r < ROUNDS + 10; r++) {
      const i = Math.floor(random() * MEMBERS);
      const times = [
        await get('/healthz'),
        await get(`/console/members?q=${encodeURIComponent(seedPhone(i).slice(3))}`, { cookie }),
        await get(`/console/members?q=${seedMemberId(i)}&by=id`, { cookie }),
        await get(`/console/members?q=${seedMemberCode(i)}&by=card`, { cookie }),
        await get(`/console/members?q=${encodeURIComponent(NAMES[r % NAMES.length]!)}&by=name`, { cookie }),
        await get(`/console/members/${seedMemberId(i)}`, { cookie }),
      ];
      if (r >= 10) Object.values(search).forEach((xs, k) => xs.push(times[k]!));
    }
    uptime('after the searches');

    // First paint in chromium: the dashboard, and the login page as the trivial page of the same server.
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    const paint = { dashboard: [] as number[], login: [] as number[] };
    try {
      const context = await browser.newContext({ baseURL: hub.url, viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      const name = `bench-paint-${randomBytes(3).toString('hex')}`;
      const op = await sessionCookie(hub, name, 'analyst');
      await page.goto('/console/login');
      await page.fill('input[name=name]', name);
      await page.fill('input[name=password]', op.password);
      await page.click('button[type=submit]');
      await page.waitForURL((u) => u.pathname === '/console');
      const anonymous = await (await browser.newContext({ baseURL: hub.url })).newPage();
      const fcp = (p: typeof page) => p.evaluate(() => new Promise<number>((resolve) => {
        const e = performance.getEntriesByName('first-contentful-paint')[0];
        if (e) return resolve(e.startTime);
        new PerformanceObserver((l) => resolve(l.getEntries()[0]!.startTime)).observe({ type: 'paint', buffered: true });
      }));
      for (let r = 0; r < PAINTS + 3; r++) {
        await page.goto('/console', { waitUntil: 'load' });
        const d = await fcp(page);
        await anonymous.goto('/console/login', { waitUntil: 'load' });
        const l = await fcp(anonymous);
        if (r >= 3) {
          paint.dashboard.push(d);
          paint.login.push(l);
        }
      }
    } finally {
      await browser.close();
    }
    uptime('after the paints');
    return {
      members: MEMBERS,
      facts: FACTS,
      stores: STORES,
      loadMembersSeconds,
      loadFactsSeconds,
      hubStartSeconds,
      catchUpSeconds,
      nameIndexSeconds,
      restSeconds,
      ...(migration ? { migration } : {}),
      loadAverage,
      figures: { total: members.total, buyers: members.buyers, receiptsToday: sales.days[sales.days.length - 1].store.receipts },
      server: Object.fromEntries(Object.entries(server).map(([k, v]) => [k, stats(v)])),
      paint: { dashboard: stats(paint.dashboard), login: stats(paint.login) },
      search: Object.fromEntries(Object.entries(search).map(([k, v]) => [k, stats(v)])),
    };
  } finally {
    await hub?.stop().catch(() => {});
    if (!keep) removeDir(dir);
  }
}
