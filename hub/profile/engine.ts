import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { schedule, validate, type ScheduledTask } from 'node-cron';
import type { Log } from '../../shared/cli/log.ts';
import { localDate } from '../../shared/local-time.ts';
import { chunkOrders } from '../../shared/one-id/stored-chunk.ts';
import { StringPool } from '../../shared/one-id/string-pool.ts';
import type { Profile } from '../../shared/profile/fields.ts';
import { factOfDocument, factOfOnlineOrder, type SourceFact } from '../../shared/profile/source-facts.ts';
import { factsTimeline, type TimelineEntry } from '../../shared/profile/timeline.ts';
import { seqNumber, type Couch, type Doc } from '../couch/couch.ts';
import { changesPage, DB } from '../couch/databases.ts';
import { ProfileBase, type MemberDirectory, type ProfileExtension } from './base.ts';
import type { Column } from './columns.ts';
import type { MemberList } from './member-numbers.ts';
import { profileSnapshotFile, readProfileSnapshot, writeProfileSnapshot, type ProfileSnapshotMeta } from './snapshot.ts';

/** The nightly full recompute: 03:00 in HQ's time zone unless the hub's options say otherwise. */
export const NIGHTLY_RECOMPUTE = { cron: '0 3 * * *', timeZone: 'Asia/Shanghai' };
/** Changes read at once from each feed. */
const BATCH = 2000;
/** Documents read per request while loading. */
const LOAD_PAGE = 5000;
/** Golden members recomputed per turn of the event loop: after One-ID's changes, and when every member is. */
const MEMBERS_PER_SLICE = 2000;
/**
 * How long One-ID's changes gather before they are recomputed. Single records come in streams
 * (the API, stores' registrations): recomputed one at a time, each paid a recompute, a read and
 * a write of the tag history and a pass for the stores' documents, and those requests queued in
 * the one database before the next record's write (issue 14: the one-new-record p99). Gathered,
 * a stream pays that once per moment, as the golden members' own writes do.
 */
const GATHER_MS = 100;

type Feed = 'facts' | 'online';
const FEED_DB: Record<Feed, string> = { facts: DB.facts, online: DB.identity };
/**
 * A document in each feed's database that a snapshot names (decision 029): a database made anew
 * (deleted and created, restored elsewhere) has another, or none, and its sequence numbers mean
 * something else. Local documents are not replicated and do not move the sequence.
 */
export const PROFILE_SNAPSHOT_MARKER = '_local/profiles-snapshot';

/** What another part adds to a member's timeline (tier changes, tags entered and left, stage changes). */
export type TimelineSource = (goldenId: string, sources: readonly string[]) => Promise<TimelineEntry[]> | TimelineEntry[];

export interface ProfileEngineDeps {
  couch: Couch;
  directory: MemberDirectory;
  log: Log;
  clock: () => Date;
  /** HQ's time zone: the evaluation day, and the day of facts that carry no store day. */
  timeZone: string;
  /** The nightly recompute's schedule; cron 'off' runs it only when asked (runNightly). */
  nightly?: { cron: string; timeZone: string };
  /** Resolves once One-ID has loaded (the directory answers from then on). */
  ready: Promise<unknown>;
  /** Called before every full build: the org tree may have moved stores between cities. */
  refresh?: () => Promise<void>;
  /** Fields over the metrics (stage, RFM), and what follows a compute (the stores' profile documents). */
  extension?: ProfileExtension & { computed?(goldenIds: readonly string[] | 'all', because?: 'fact' | 'identity'): Promise<void> };
  /** Where the facts are kept between runs (decision 029): `<hub dir>/snapshots`, and the hub's id. Without it, every start reads the databases. */
  snapshots?: { dir: string; hubId: string };
}

/**
 * The member profiles at the hub (decision 021): the facts of hub-facts and the online orders of
 * hub-identity's `src:` chunks kept in memory per source id, the profiles as columns for the
 * whole base. Built in full at start and every night; in between, each new fact recomputes its
 * golden member, and each One-ID change (the directory tells `membersChanged`) the members it
 * touched.
 *
 * Checkpoints: the lists are rebuilt from the databases at start, so the checkpoint of each feed
 * is kept in memory only: the database's update_seq read before the build. Changes after it are
 * read again (a fact already held is held once), so nothing written during the build is missed.
 */
export class ProfileEngine {
  private base: ProfileBase;
  /** Golden ids' codes, the same in every base built: the tags keep what they recorded by code. */
  private readonly codes = new StringPool();
  private readonly seq = new Map<Feed, number>();
  /** One build or catch-up at a time, in order. */
  private work: Promise<unknown> = Promise.resolve();
  private built = false;
  private building = false;
  private timer: NodeJS.Timeout | undefined;
  private task: ScheduledTask | undefined;
  private stopped = false;
  private readonly timelineSources: TimelineSource[] = [];
  /** Golden members One-ID changed, not yet recomputed. */
  private readonly pending = new Set<string>();
  /** Every member is being computed, a slice at a time (computeInSlices). */
  private computingAll = false;
  /** One-ID's imports are under way: their changes wait for the recompute at their end (bulkChange). */
  private holding = false;
  /** That recompute, and its tags and store documents, are under way. */
  private afterImport = false;
  /** Cancels the recompute scheduled (a timer or an immediate); undefined when none is. */
  private cancelFlush: (() => void) | undefined;
  /** Figures of the last full build, for the logs and the bench. */
  lastBuild: { ms: number; facts: number; members: number; at: string } | undefined;
  /** How the base was first made: from the snapshot (with its phases) or from the databases (and why not the snapshot). */
  lastStart: { from: 'snapshot' | 'databases'; ms: number; at: string; refused?: string; readMs?: number; catchUpMs?: number; caughtUp?: number; computeMs?: number } | undefined;
  /** The last snapshot written. */
  lastSnapshot: { at: string; after: 'build' | 'stop'; bytes: number; ms: number } | undefined;
  /** Facts filed since the snapshot on disk was written (or read): a clean stop writes one only then. */
  private changedSinceSnapshot = false;
  private readonly markers = new Map<Feed, string>();
  /** A nightly run asked for and not begun yet (see runNightly). */
  private nextRun: { run: number; done: Promise<void> } | undefined;
  /** Full builds numbered as asked for, and the last one ended (done or given up): who asked for run N waits for `ended` ≥ N. */
  private readonly builds = { asked: 0, ended: 0 };
  private signalStop!: () => void;
  /** Resolves when stop() is called. */
  private readonly stopping = new Promise<void>((resolve) => (this.signalStop = resolve));

  constructor(private readonly deps: ProfileEngineDeps) {
    this.base = new ProfileBase(deps.directory, deps.extension, this.codes);
    const nightly = deps.nightly ?? NIGHTLY_RECOMPUTE;
    if (nightly.cron !== 'off' && !validate(nightly.cron)) throw new Error(`profiles: invalid nightly schedule ${nightly.cron}`);
  }

  private today(): string {
    return localDate(this.deps.clock(), this.deps.timeZone);
  }

  /** Builds the base once One-ID is loaded, then follows the feeds every `everyMs` and recomputes nightly. */
  start(everyMs: number): void {
    const nightly = this.deps.nightly ?? NIGHTLY_RECOMPUTE;
    void this.firstBuild()
      .catch((err) => this.deps.log.error('profiles: first build failed; the next catch-up tries again', { err: String((err as Error)?.stack ?? err) }));
    this.timer = setInterval(() => void this.catchUp().catch((err) => this.deps.log.warn('profiles: catch-up failed; will retry', { err: String(err) })), everyMs);
    this.timer.unref();
    if (nightly.cron !== 'off') this.task = schedule(nightly.cron, () => this.runNightly().done, { timezone: nightly.timeZone, noOverlap: true, name: 'profiles-nightly' });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.signalStop();
    clearInterval(this.timer);
    this.cancelFlush?.();
    await this.task?.stop();
    await this.work.catch(() => undefined);
    // Nothing files facts any more: the next start reads them from the file, with what came since the last one.
    if (this.changedSinceSnapshot) await this.writeSnapshot('stop');
  }

  /** The base from the snapshot file and the feeds since it, or, when there is none fit to use, from the databases. */
  private async firstBuild(): Promise<void> {
    if (this.deps.snapshots) {
      const restored = await this.exclusive(() => this.startFromSnapshot()).catch((err) => {
        this.deps.log.warn('profiles: the start from the snapshot failed; reading every fact from the databases', { err: String((err as Error)?.stack ?? err) });
        return false;
      });
      if (restored || this.stopped) return;
    }
    await this.deps.ready;
    await this.rebuild();
    this.lastStart = { ...(this.lastStart ?? { from: 'databases' }), ms: this.lastBuild!.ms, at: this.lastBuild!.at };
  }

  /**
   * Reads the facts from the snapshot file (while One-ID loads: they are filed by source id, not
   * by golden member), files what the feeds brought since its sequence numbers, then computes
   * every member under the directory as it is now: One-ID's changes while the hub was down are
   * in by construction. False, with the reason logged, when the file is missing or unfit.
   */
  private async startFromSnapshot(): Promise<boolean> {
    const started = performance.now();
    const file = profileSnapshotFile(this.deps.snapshots!.dir);
    const refused = (why: string) => {
      this.lastStart = { from: 'databases', ms: 0, at: new Date().toISOString(), refused: why };
      this.deps.log.info('profiles: snapshot not used; reading every fact from the databases', { file, why });
      return false;
    };
    if (!existsSync(file)) return refused('no snapshot file');
    const read = await readProfileSnapshot(file, (meta) => this.refusal(meta));
    if (!read.ok) return refused(read.why);
    const readMs = performance.now() - started;
    const base = new ProfileBase(this.deps.directory, this.deps.extension, this.codes);
    base.restoreFacts(read.facts, read.factsHeld);
    const held = base.size().facts;
    try {
      this.base = base;
      this.seq.set('facts', read.meta.seqs.facts);
      this.seq.set('online', read.meta.seqs.online);
      this.building = true;
      try {
        await this.drainAll(false);
      } finally {
        this.building = false;
      }
      const catchUpMs = performance.now() - started - readMs;
      // A stop while One-ID still loads must not wait for it.
      await Promise.race([this.deps.ready, this.stopping]);
      if (this.stopped) return false;
      await this.deps.refresh?.();
      const computing = performance.now();
      this.pending.clear();
      if (!(await this.computeInSlices(base, this.today()))) return false;
      this.built = true;
      this.flushPending();
      const computeMs = performance.now() - computing;
      const caughtUp = base.size().facts - held;
      this.changedSinceSnapshot = caughtUp > 0;
      this.lastStart = { from: 'snapshot', ms: Math.round(performance.now() - started), at: new Date().toISOString(), readMs: Math.round(readMs), catchUpMs: Math.round(catchUpMs), caughtUp, computeMs: Math.round(computeMs) };
      this.deps.log.info('profiles: started from the snapshot', { ...this.lastStart, ...base.size(), snapshotWritten: read.meta.writtenAt });
    } catch (err) {
      // Half caught up is no base: start again from the databases.
      this.base = new ProfileBase(this.deps.directory, this.deps.extension, this.codes);
      this.seq.clear();
      this.built = false;
      return refused(`catching up from the snapshot failed: ${String(err)}`);
    }
    await this.drainAll();
    await this.deps.extension?.computed?.('all');
    return true;
  }

  /** Why a snapshot does not describe this hub's databases as they are (undefined: it does). */
  private async refusal(meta: ProfileSnapshotMeta): Promise<string | undefined> {
    if (meta.hubId !== this.deps.snapshots!.hubId) return `written by hub ${meta.hubId}`;
    if (meta.timeZone !== this.deps.timeZone) return `facts dated in ${meta.timeZone}, this hub dates them in ${this.deps.timeZone}`;
    for (const feed of ['facts', 'online'] as const) {
      const db = FEED_DB[feed];
      const marker = await this.marker(feed, false);
      if (marker !== meta.markers[feed]) return `${db} was made anew since the snapshot`;
      const now = seqNumber((await this.deps.couch.db(db).info()).update_seq);
      if (now < meta.seqs[feed]) return `${db} is at ${now}, behind the snapshot's ${meta.seqs[feed]}`;
    }
    return undefined;
  }

  /** The feed's database marker (made when first needed for a snapshot). */
  private async marker(feed: Feed, make: boolean): Promise<string | undefined> {
    const had = this.markers.get(feed);
    if (had) return had;
    const db = FEED_DB[feed];
    let doc = await this.deps.couch.get(db, PROFILE_SNAPSHOT_MARKER);
    if (!doc && make) {
      await this.deps.couch.db(db).insert({ _id: PROFILE_SNAPSHOT_MARKER, instance: randomUUID(), createdAt: new Date().toISOString() }, PROFILE_SNAPSHOT_MARKER);
      doc = await this.deps.couch.get(db, PROFILE_SNAPSHOT_MARKER);
    }
    const instance = typeof doc?.instance === 'string' ? doc.instance : undefined;
    if (instance) this.markers.set(feed, instance);
    return instance;
  }

  /**
   * Writes the facts held to the snapshot file. Called from the engine's queue or once it has
   * stopped: nothing files a fact while the pages are written. A failure is logged; the next
   * start reads the databases.
   */
  private async writeSnapshot(after: 'build' | 'stop'): Promise<void> {
    if (!this.deps.snapshots || !this.built) return;
    const started = performance.now();
    try {
      const markers = { facts: (await this.marker('facts', true))!, online: (await this.marker('online', true))! };
      const meta: ProfileSnapshotMeta = { hubId: this.deps.snapshots.hubId, timeZone: this.deps.timeZone, seqs: { facts: this.seq.get('facts') ?? 0, online: this.seq.get('online') ?? 0 }, markers, writtenAt: new Date().toISOString(), after };
      const { image, factsHeld } = this.base.factImage();
      const { bytes } = await writeProfileSnapshot(this.deps.snapshots.dir, meta, image, factsHeld);
      this.changedSinceSnapshot = false;
      this.lastSnapshot = { at: meta.writtenAt, after, bytes, ms: Math.round(performance.now() - started) };
      this.deps.log.info('profiles: snapshot written', this.lastSnapshot);
    } catch (err) {
      this.deps.log.warn('profiles: snapshot not written; the next start reads the databases', { err: String(err) });
    }
  }

  /**
   * The nightly job, also run when an operator asks (`POST /profiles/recompute`): everything
   * rebuilt from the databases (a failed run leaves the base as it was). A run asked for while
   * one waits to begin is that one: a full rebuild over millions of facts is not queued twice.
   */
  runNightly(): { run: number; done: Promise<void> } {
    if (!this.nextRun) {
      const run = ++this.builds.asked;
      const done = this.exclusive(async () => {
        this.nextRun = undefined;
        await this.build(run);
      }).catch((err) => this.deps.log.error('profiles: nightly recompute failed', { err: String((err as Error)?.stack ?? err) }));
      this.nextRun = { run, done };
    }
    return this.nextRun;
  }

  /**
   * One-ID changed these golden members: recomputed a moment later (GATHER_MS), a slice at a
   * time. An import tells of every record it adds; each member is then computed once per slice,
   * and the event loop keeps serving between slices. Reads that must see them settle() first.
   */
  membersChanged(goldenIds: readonly string[]): void {
    // Before the first build's compute, the build reads the directory as it is then; during a
    // compute, the changes wait for the base it makes; during an import, for its end.
    if ((!this.built && !this.computingAll) || this.holding) return;
    for (const id of goldenIds) this.pending.add(id);
    if (!this.computingAll && !this.cancelFlush && this.pending.size > 0) this.flushAfter(GATHER_MS);
  }

  /**
   * One-ID's imports began (true) or ended. While they run, the members they change are not
   * recomputed batch by batch: at 100,000 records that work (each batch's members computed, their
   * tag history read and written) took 40% of the import's time. At the end every member is
   * computed again in place as the incremental path computes a few, a slice at a time (members
   * merged away go), and their tag events are recorded in one pass. Meanwhile the columns (tags,
   * segments, the stores' documents) are those from before the import; a profile read through the
   * API is computed from the facts as they are. The import's orders (hub-identity's chunks) are
   * read at its end too, filed before that recompute: read while its golden members were stored,
   * pages of 50 chunks and the tags of each page's members, they slowed storing at 8M records.
   */
  bulkChange(under: boolean): void {
    if (under === this.holding) return;
    this.holding = under;
    if (under) {
      this.pending.clear();
      this.cancelFlush?.();
      this.cancelFlush = undefined;
      return;
    }
    void this.exclusive(async () => {
      // Before the first build, that build reads the directory as the import left it.
      if (!this.built || this.stopped) return;
      this.afterImport = true;
      try {
        this.pending.clear();
        await this.drain('online', false);
        if (!(await this.computeInSlices(this.base, this.today(), false))) return;
        this.changedSinceSnapshot = true;
        this.flushPending();
        await this.deps.extension?.computed?.('all', 'identity');
      } finally {
        this.afterImport = false;
      }
    }).catch((err) => this.deps.log.warn('profiles: after an import; the nightly run recomputes', { err: String(err) }));
  }

  /** The long work under way, for the hub's status file (and the bench, which waits for it). */
  doing(): string[] {
    return [...(this.building || this.computingAll ? ['profiles: computing every member'] : []), ...(this.afterImport ? ['profiles: every member after an import, and their tags'] : [])];
  }

  /**
   * Computes every member of `base` a slice at a time, the event loop serving between slices (a
   * million members took 19 s and more of a hub answering nothing: stores' lookups, replication
   * and the console waited, and kept-alive connections were reset). False when the hub stopped
   * meanwhile: the base is then half computed and must not be used.
   */
  private async computeInSlices(base: ProfileBase, day: string, whole = true): Promise<boolean> {
    this.computingAll = true;
    try {
      for (const _ of base.computing(day, MEMBERS_PER_SLICE, whole)) {
        await new Promise((resolve) => setImmediate(resolve));
        if (this.stopped) return false;
      }
      return true;
    } finally {
      this.computingAll = false;
    }
  }

  /** The changes One-ID made while every member was computed, recomputed on the base now in place. */
  private flushPending(): void {
    if (this.pending.size > 0 && !this.cancelFlush) this.flushAfter(0);
  }

  private flushAfter(ms: number): void {
    if (ms === 0) {
      const next = setImmediate(() => this.flushSlice());
      this.cancelFlush = () => clearImmediate(next);
    } else {
      const timer = setTimeout(() => this.flushSlice(), ms);
      this.cancelFlush = () => clearTimeout(timer);
    }
  }

  private flushSlice(): void {
    this.cancelFlush = undefined;
    if (this.computingAll) return; // flushPending() goes on once the compute is done
    const slice: string[] = [];
    for (const id of this.pending) {
      slice.push(id);
      this.pending.delete(id);
      if (slice.length === MEMBERS_PER_SLICE) break;
    }
    if (slice.length > 0) {
      this.base.membersChanged(slice, this.today());
      this.recomputed(slice);
    }
    // What is left of a large change goes on at the next turn, not after another wait.
    if (this.pending.size > 0) this.flushAfter(0);
  }

  /** Tells the extension (the stores' profile documents) which members were recomputed, in the engine's queue. */
  private recomputed(ids: readonly string[]): void {
    void this.exclusive(async () => this.deps.extension?.computed?.(ids, 'identity')).catch((err) => this.deps.log.warn('profiles: after a One-ID change', { err: String(err) }));
  }

  /** Recomputes the members One-ID changed that are still waiting (a read that must see them calls it). */
  settle(): void {
    if (this.pending.size === 0) return;
    // During a compute of every member they stay waiting for the base it makes (this one may be replaced).
    if (this.computingAll) return this.base.membersChanged([...this.pending], this.today());
    const all = [...this.pending];
    this.pending.clear();
    this.base.membersChanged(all, this.today());
    this.recomputed(all);
  }

  /** Rebuilds every list from the databases and recomputes every member, then takes the place of the current base. */
  rebuild(): Promise<void> {
    const run = ++this.builds.asked;
    return this.exclusive(() => this.build(run));
  }

  private async build(run: number): Promise<void> {
    try {
      await this.buildBase();
    } finally {
      this.builds.ended = run;
    }
  }

  private async buildBase(): Promise<void> {
    const started = performance.now();
    await this.deps.refresh?.();
    const base = new ProfileBase(this.deps.directory, this.deps.extension, this.codes);
    const seqs = new Map<Feed, number>();
    for (const feed of ['facts', 'online'] as const) seqs.set(feed, seqNumber((await this.deps.couch.db(FEED_DB[feed]).info()).update_seq));
    this.building = true;
    // A stopping hub gives up between pages (ten million facts take minutes to read); the base stays as it was.
    try {
      for await (const page of this.deps.couch.pages<Doc>(DB.facts, { startkey: 'm:', endkey: 'm:\ufff0' }, LOAD_PAGE)) {
        if (this.stopped) return;
        base.load(this.factsOfDocs(page));
      }
      for await (const page of this.deps.couch.pages<Doc>(DB.identity, { startkey: 'src:', endkey: 'src:\ufff0' }, 20)) {
        if (this.stopped) return;
        base.load(page.flatMap((c) => this.onlineFacts(c)));
      }
    } finally {
      this.building = false;
    }
    const day = this.today();
    // Every member is computed as the directory is when the compute begins: what was waiting is
    // in, and what One-ID changes meanwhile waits for the new base.
    this.pending.clear();
    if (!(await this.computeInSlices(base, day))) return;
    this.base = base;
    this.changedSinceSnapshot = true;
    for (const [feed, s] of seqs) this.seq.set(feed, s);
    this.built = true;
    this.flushPending();
    const size = base.size();
    this.lastBuild = { ms: Math.round(performance.now() - started), facts: size.facts, members: size.members, at: new Date().toISOString() };
    this.deps.log.info('profiles: built', this.lastBuild);
    await this.drainAll();
    await this.deps.extension?.computed?.('all');
    await this.writeSnapshot('build');
  }

  /** Reads what the feeds hold now (joining the work under way). */
  catchUp(): Promise<void> {
    if (!this.built) return this.work.then(() => undefined);
    return this.exclusive(() => this.drainAll());
  }

  /** Runs `run` in the engine's queue, after the builds and catch-ups before it (a changed tag rule is evaluated over the base there). */
  queue<T>(run: () => Promise<T>): Promise<T> {
    this.settle();
    return this.exclusive(run);
  }

  private exclusive<T>(run: () => Promise<T>): Promise<T> {
    const next = this.work.catch(() => undefined).then(run);
    this.work = next;
    return next;
  }

  /** `compute` false: the facts are filed and nothing computed (the start from a snapshot computes every member after). */
  private async drainAll(compute = true): Promise<void> {
    // While imports run, their orders wait for the end, and the stores' facts are filed without a
    // compute: every member is computed then (bulkChange), the cause of what it finds the import's.
    if (this.holding) return this.drain('facts', false);
    for (const feed of ['facts', 'online'] as const) await this.drain(feed, compute);
  }

  private async drain(feed: Feed, compute = true): Promise<void> {
    const limit = changesPage(FEED_DB[feed], BATCH);
    for (;;) {
      if (this.stopped) return;
      const since = this.seq.get(feed) ?? 0;
      const page = await this.deps.couch.db(FEED_DB[feed]).changes({ since: String(since), include_docs: true, limit } as never);
      const results = page.results as { id: string; doc?: Doc; deleted?: boolean }[];
      const docs = results.flatMap((r) => (r.doc && !r.deleted ? [r.doc] : []));
      const facts = feed === 'facts' ? this.factsOfDocs(docs.filter((d) => d._id.startsWith('m:'))) : docs.flatMap((d) => (d._id.startsWith('src:') ? this.onlineFacts(d) : []));
      if (facts.length > 0) {
        this.changedSinceSnapshot = true;
        if (compute) await this.deps.extension?.computed?.(this.base.addFacts(facts, this.today()), 'fact');
        else this.base.load(facts);
      }
      this.seq.set(feed, seqNumber(page.last_seq));
      if (results.length < limit) return;
    }
  }

  private factsOfDocs(docs: readonly Doc[]): SourceFact[] {
    return docs.flatMap((d) => factOfDocument(d, this.deps.timeZone) ?? []);
  }

  private onlineFacts(chunk: Doc): SourceFact[] {
    return chunkOrders(chunk).flatMap((o) => factOfOnlineOrder(o as unknown as Record<string, unknown>, this.deps.timeZone) ?? []);
  }

  // ——— what it answers ———

  /** Whether the first build is done (before it, profiles are unknown rather than empty). */
  get isBuilt(): boolean {
    return this.built;
  }

  /** Facts held are current as of these sequence numbers, and the build under way, if any. */
  status() {
    return { built: this.built, building: this.building, builds: { ...this.builds }, lastBuild: this.lastBuild, lastStart: this.lastStart ?? null, lastSnapshot: this.lastSnapshot ?? null, ...this.base.size() };
  }

  /** A field of every member as a column (member numbers: `members()`); a `scores` field needs its key. */
  column(field: string, key?: string): Column | undefined {
    this.settle();
    return this.base.columns.column(field, key);
  }

  /** Bytes the profiles' typed arrays hold outside the heap, by part (the status file). */
  arrayBytes(): { columns: number; facts: number; members: number } {
    return this.base.arrayBytes();
  }

  /** Golden member ids by member number. */
  members(): MemberList {
    return this.base.members();
  }

  /** A golden member's profile today, from the facts as held now; undefined for no such member. */
  profile(goldenId: string): Profile | undefined {
    return this.base.profileOn(goldenId, this.today());
  }

  /** A golden member's profile as the last compute left it in the columns (the day of that compute); undefined for no row. */
  computedProfile(goldenId: string): Profile | undefined {
    return this.base.row(goldenId);
  }

  /** Another part's entries for the timeline (tiers, tags, stages). */
  addTimelineSource(source: TimelineSource): void {
    this.timelineSources.push(source);
  }

  /** The timeline entries of a golden member's facts and of every registered source (unsorted). */
  async timelineEntries(goldenId: string): Promise<TimelineEntry[]> {
    const lists = this.base.factsOf(goldenId);
    const sources = this.deps.directory.member(goldenId)?.sources ?? [];
    const extra = await Promise.all(this.timelineSources.map((s) => s(goldenId, sources)));
    return [...factsTimeline(lists), ...extra.flat()];
  }
}
