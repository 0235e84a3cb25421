import type { ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { listen } from '../shared/cli/listen-error.ts';
import type { Log } from '../shared/cli/log.ts';
import type { ArrayParts } from '../shared/cli/hub-status.ts';
import { VERSION } from '../edge/version.ts';
import { createHubApp } from './app.ts';
import { Bundles } from './bundles.ts';
import type { HubContext } from './context.ts';
import { resumeErasures } from './privacy/erasure.ts';
import { Couch } from './couch/couch.ts';
import { startEmbeddedCouch, type EmbeddedCouch } from './couch/embedded.ts';
import { GatewayRefusals } from './gateway-refusals.ts';
import { ensureHubDir, loadAdminToken, hubPaths } from './hub-dir.ts';
import { HubMembers } from './members.ts';
import { ensureDefaultRules } from './rules.ts';
import { StoreClocks } from './store-clocks.ts';
import { Organisation } from './org/organisation.ts';
import { Stores } from './stores.ts';
import { IdentityDb } from './identity/identity-db.ts';
import { IMPORT_THREAD_BYTES, ImportJobs } from './identity/import-jobs.ts';
import { loadOneIdOptions } from './identity/options.ts';
import { SHIPPED_MAPPINGS } from './import/load-mapping.ts';
import { IdentityService } from './identity/service.ts';
import { IngestWorker } from './workers/ingest.ts';
import { DashboardCounters } from './dashboard/counters.ts';
import { DASHBOARD_TIME_ZONE } from './routes/admin.ts';
import { AuditLog } from './operators/audit.ts';
import { forgetInitialPassword, Operators } from './operators/operators.ts';
import { Sessions } from './operators/sessions.ts';
import { warmNameIndex } from './member-search.ts';
import { engineProfiles, type ProfileSource } from './tags/profile-source.ts';
import { ensureDefaultTagRules, listTagRules } from './tags/tag-rule-store.ts';
import { ProfileEngine } from './profile/engine.ts';
import { RfmAndStages } from './profile/rfm-stages.ts';
import { StoreProfiles } from './profile/store-profiles.ts';
import { composeExtensions } from './profile/extensions.ts';
import { couchTagHistory, ProfileTags, tagTimeline } from './profile/profile-tags.ts';
import { LifecycleConfigSchema, type LifecycleConfig } from '../shared/profile/lifecycle.ts';
import { localDate } from '../shared/local-time.ts';
import { identityDirectory } from './profile/identity-directory.ts';
import { SegmentExports } from './segments/export-jobs.ts';
import { startBirthdaySweeps } from './birthday-gifts.ts';

export interface HubOptions {
  dir: string;
  port: number;
  host: string;
  log: Log;
  /** Apache CouchDB 3 (with admin credentials in the URL); absent = the embedded server. */
  couchUrl?: string | undefined;
  /** How often every store database is checked for changes the gateway did not announce. */
  sweepEveryMs?: number;
  /** How often the dashboard's counters follow the feeds (a read also catches them up). */
  dashboardEveryMs?: number;
  clockSkewMs?: number;
  clock?: () => Date;
  /** Where `import` finds a source's mapping; default deploy/mappings. */
  mappingsDir?: string;
  /** Import files from this size on are read on a worker thread (decision 037); default 8 MB. */
  importThreadBytes?: number;
  /** Console logins per minute per client address (default 10), and the burst allowed at once (default 10). */
  loginRate?: { perMinute: number; burst: number };
  /** Golden members' profiles for tag previews in place of the metrics engine's (tests). */
  profileSource?: ProfileSource;
  /** When the hub gives birthday gifts to members who have not bought this month (cron at HQ; default 00:30 daily). */
  birthdaySweep?: string;
  /** Member profiles: how often they follow the feeds (default 2 s), and the nightly full recompute (default 03:00 Asia/Shanghai). */
  profiles?: { everyMs?: number; nightly?: { cron: string; timeZone: string }; lifecycle?: Partial<LifecycleConfig> };
  /** The embedded database died again and again without staying up: the hub should exit (decision 028). */
  onDatabaseGiveUp?: (err: Error) => void;
  /** Called once the port is the hub's, before anything else starts (a hub that cannot listen leaves nothing behind). */
  onListening?: () => void;
  /** How long a request waits for a database that does not answer (restarting) before it fails (default 60 s). */
  databasePatienceMs?: number;
}

export interface RunningHub {
  url: string;
  ctx: HubContext;
  embedded: EmbeddedCouch | undefined;
  /** The long jobs under way, one line each (the hub's breadcrumb, hub/last-words.ts). */
  doing(): string[];
  /** Bytes the hub's typed arrays hold, by owner (the breadcrumb). */
  arrays(): ArrayParts;
  close(): Promise<void>;
}

/**
 * Starts the hub: its database (embedded unless COUCH_URL), the central databases, the workers,
 * the API. It listens first: a port in use is then one clear error before any database or
 * worker has started. Requests that arrive meanwhile wait for the app (stores' replication sees
 * a slow answer, not an error it would have to tell from the hub's own).
 */
export async function serveHub(opts: HubOptions): Promise<RunningHub> {
  type App = ReturnType<typeof createHubApp>;
  let serveApp!: (app: App) => void;
  let failed!: (err: unknown) => void;
  const app = new Promise<App>((resolve, reject) => ((serveApp = resolve), (failed = reject)));
  app.catch(() => {}); // a failed start is reported by serveHub itself
  const server = await listen(async (req, env) => (await app).fetch(req, env), { port: opts.port, host: opts.host, command: 'hub serve' });
  try {
    opts.onListening?.();
    return await startHub(opts, server, serveApp);
  } catch (err) {
    failed(err);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw err;
  }
}


async function startHub(opts: HubOptions, server: ServerType, serveApp: (app: ReturnType<typeof createHubApp>) => void): Promise<RunningHub> {
  const { hubId } = await ensureHubDir(opts.dir);
  const embedded = opts.couchUrl ? undefined : await startEmbeddedCouch(opts.dir, opts.log, opts.onDatabaseGiveUp ? { onGiveUp: opts.onDatabaseGiveUp } : {});
  // Requests ride out a restart of the database (the embedded child, or CouchDB) rather than fail.
  const couch = new Couch(opts.couchUrl ?? embedded!.url, { ms: opts.databasePatienceMs ?? 60_000, log: opts.log });
  await couch.ensureCentral();
  await ensureDefaultRules(couch);
  const seededTags = await ensureDefaultTagRules(couch, (opts.clock ?? (() => new Date()))());
  if (seededTags > 0) opts.log.info('seeded the default tag catalogue', { rules: seededTags });
  const { token, generated } = await loadAdminToken(opts.dir);
  if (generated) opts.log.info('generated an admin token', { file: hubPaths(opts.dir).adminToken });

  const clock = opts.clock ?? (() => new Date());
  const operators = new Operators(couch, clock);
  await operators.ensureDefaultRoles();
  const initialPassword = hubPaths(opts.dir).initialAdminPassword;
  if (await operators.ensureFirstAdmin(initialPassword)) {
    // Where the password is, never what it is; a warning, so that --quiet still says it.
    opts.log.warn("created the first operator 'admin' with a one-time password: log in to the console (POST /console/api/session) as admin with the password in the file, then choose your own (the file is deleted then)", { operator: 'admin', file: initialPassword });
  }
  const stores = new Stores(couch, clock);
  const members = new HubMembers(couch);
  await members.loadAliases();
  const resumed = await members.resumeCopies();
  if (resumed > 0) opts.log.info('finished copies of members to stores that a stopped hub had begun', { copies: resumed });
  const enabledStores = async () => (await stores.list()).filter((s) => !s.disabled);
  const identityDb = new IdentityDb(couch);
  await identityDb.ensure();
  const identity = new IdentityService({ couch, db: identityDb, members, log: opts.log, clock, options: await loadOneIdOptions(opts.dir), snapshotDir: hubPaths(opts.dir).snapshots });
  const imports = new ImportJobs({ db: identityDb, log: opts.log, clock, dataDir: opts.dir, mappingsDir: opts.mappingsDir ?? SHIPPED_MAPPINGS, threadBytes: opts.importThreadBytes ?? IMPORT_THREAD_BYTES, sink: identity });
  const clocks = new StoreClocks({ couch, clock, log: opts.log, skewMs: opts.clockSkewMs ?? 120_000 });
  await clocks.load();
  const ingest = new IngestWorker({
    couch,
    members,
    log: opts.log,
    clock,
    clocks,
    storeIds: async () => (await enabledStores()).map((s) => s.id),
    onRegistrations: (docs) => identity.observeStoreMembers(docs),
  });
  const bundles = new Bundles(couch, opts.dir, enabledStores, opts.log);
  const segmentExports = new SegmentExports(hubPaths(opts.dir).exports, clock, opts.log);
  await segmentExports.load();
  const dashboard = new DashboardCounters({ couch, log: opts.log, timeZone: DASHBOARD_TIME_ZONE });
  // The city of each store, for the profiles' `city` (read again before each full build).
  const cities = new Map<string, string>();
  // Stage, RFM and recommendations over the metrics, and the profile documents stores receive (decision 024).
  const rfmStages = new RfmAndStages(LifecycleConfigSchema.parse(opts.profiles?.lifecycle ?? {}), opts.log);
  // Tags over stage and RFM (decision 025): the rules are read again before every full build and when one changes.
  const tags = new ProfileTags(couchTagHistory(couch), () => localDate(clock(), DASHBOARD_TIME_ZONE), opts.log);
  let storeProfiles: StoreProfiles | undefined;
  const profiles = new ProfileEngine({
    couch,
    directory: identityDirectory(identity, (id) => cities.get(id), DASHBOARD_TIME_ZONE),
    log: opts.log,
    clock,
    timeZone: DASHBOARD_TIME_ZONE,
    ...(opts.profiles?.nightly ? { nightly: opts.profiles.nightly } : {}),
    ready: identity.whenLoaded(),
    // The facts kept between runs (decision 029): a restart reads them from the file, not through the database.
    snapshots: { dir: hubPaths(opts.dir).snapshots, hubId },
    refresh: async () => {
      cities.clear();
      for (const s of await stores.list()) if (s.city) cities.set(s.id, s.city);
      tags.setRules(await listTagRules(couch));
    },
    extension: Object.assign(composeExtensions(rfmStages, tags), {
      computed: async (ids: readonly string[] | 'all', because?: 'fact' | 'identity') => {
        await tags.computed(ids, because);
        await storeProfiles!.computed(ids);
      },
    }),
  });
  storeProfiles = new StoreProfiles({
    couch,
    log: opts.log,
    clock,
    profiles,
    members,
    storeMembersOf: (g) => identity.storeMembersOf(g),
    recommendations: (skuScore) => rfmStages.recommendations(skuScore),
    tagNames: (code) => tags.namesOf(code),
  });
  /** A tag rule was created, edited or retired: the changed codes evaluated again over the base, their events recorded, the stores told. */
  const tagRulesChanged = () =>
    profiles
      .queue(async () => {
        const codes = tags.setRules(await listTagRules(couch));
        const touched = tags.reevaluate(codes, localDate(clock(), DASHBOARD_TIME_ZONE));
        if (touched.length === 0) return;
        await tags.computed(touched, { kind: 'rule', ref: codes.join(' ') });
        await storeProfiles!.computed(touched);
      })
      .catch((err) => opts.log.warn('tags: a changed rule was not evaluated; the nightly run does it', { err: String(err) }));
  profiles.addTimelineSource(async (goldenId) => (await tags.settled(), tagTimeline(couch, goldenId)));
  profiles.addTimelineSource((goldenId) => rfmStages.stageTimeline(goldenId, localDate(clock(), DASHBOARD_TIME_ZONE)));
  identity.onMembersChanged((ids) => profiles.membersChanged(ids));
  identity.onBulkChange((under) => {
    profiles.bulkChange(under);
    dashboard.bulkChange(under);
  });
  const ctx: HubContext = {
    couch,
    stores,
    org: new Organisation(couch, stores, clock),
    members,
    ingest,
    clocks,
    bundles,
    identity,
    imports,
    log: opts.log,
    clock,
    version: VERSION,
    hubId,
    adminToken: token,
    operators,
    sessions: new Sessions(couch, clock),
    audit: new AuditLog(couch, clock, opts.log),
    dashboard,
    profiles,
    profileParts: { rfmStages, storeProfiles, tags },
    tagRulesChanged,
    forgetInitialAdminPassword: () => forgetInitialPassword(initialPassword),
    loginRate: opts.loginRate ?? { perMinute: 10, burst: 10 },
    refusals: new GatewayRefusals(),
    storeDbs: async () => (await enabledStores()).map((s) => s.db),
    profileSource: opts.profileSource ?? engineProfiles(profiles),
    segmentExports,
  };
  // One-ID loads in the background (a million records take a while); its API says so meanwhile.
  let loadingIdentity = true;
  const identityLoad = identity.load().finally(() => (loadingIdentity = false));
  const identityLoaded = identityLoad
    // Erasures a stopped hub had begun are finished as soon as One-ID can take part (decision 014),
    // and imports it left running go on from their checkpoints (decision 028); not if the hub is
    // stopping (the load gave up).
    .then(async (loaded) => {
      if (!loaded) return;
      await resumeErasures(ctx);
      await imports.resumeInterrupted().catch((err) => opts.log.error('imports left running were not resumed', { err: String((err as Error)?.stack ?? err) }));
    })
    .catch((err) => opts.log.error('one-id failed to load', { err: String((err as Error)?.stack ?? err) }));
  // The view of members by name is built once over every member: in the background, not at the
  // first search, and once One-ID has loaded. The embedded database builds a view on its one
  // thread, and every request of the start waited behind it: 3,000 members bulk-loaded behind a
  // stopped hub's back took it 13-15 s, One-ID's load 12 s of reads that take 0.2 s alone.
  void identityLoad
    .catch(() => true)
    .then((loaded) => (loaded ? warmNameIndex(ctx.couch) : undefined))
    .then(
      (ms) => ms !== undefined && ms > 1000 && opts.log.info('members by name: index built', { seconds: Math.round(ms / 1000) }),
      (err) => opts.log.warn('members by name: index not built', { err: String(err) }),
    );
  ingest.start(opts.sweepEveryMs ?? 10_000);
  const birthdays = startBirthdaySweeps({ couch, members, clock, log: opts.log }, opts.birthdaySweep);
  bundles.start();
  dashboard.start(opts.dashboardEveryMs ?? 2_000);
  profiles.start(opts.profiles?.everyMs ?? 2_000);

  serveApp(createHubApp(ctx));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host}:${port}`,
    ctx,
    embedded,
    doing: () => [...(loadingIdentity ? ['one-id loading its records'] : []), ...imports.running(), ...profiles.doing()],
    arrays: () => {
      const p = profiles.arrayBytes();
      return { oneId: identity.arrayBytes(), profileColumns: p.columns, profileFacts: p.facts, memberIds: p.members, tags: tags.arrayBytes() };
    },
    async close() {
      await birthdays.stop();
      await ingest.stop();
      await dashboard.stop();
      tags.stop();
      storeProfiles!.stop();
      await profiles.stop();
      await identity.close().catch((err) => opts.log.warn('one-id: golden members not all stored; the next start does it', { err: String(err) }));
      await identityLoaded;
      bundles.stop();
      await bundles.idle();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Replication long-polls would hold the server open for their whole timeout.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await ctx.audit.settled();
      await embedded?.stop();
    },
  };
}
