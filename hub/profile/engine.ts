import { schedule, validate, type ScheduledTask } from 'node-cron';
import type { Log } from '../../shared/cli/log.ts';
import { localDate } from '../../shared/local-time.ts';
import type { Profile } from '../../shared/profile/fields.ts';
import { factOfDocument, factOfOnlineOrder, type SourceFact } from '../../shared/profile/source-facts.ts';
import { factsTimeline, type TimelineEntry } from '../../shared/profile/timeline.ts';
import { seqNumber, type Couch, type Doc } from '../couch/couch.ts';
import { DB } from '../couch/databases.ts';
import { ProfileBase, type MemberDirectory, type ProfileExtension } from './base.ts';
import type { Column } from './columns.ts';

/** The nightly full recompute: 03:00 in HQ's time zone unless the hub's options say otherwise. */
export const NIGHTLY_RECOMPUTE = { cron: '0 3 * * *', timeZone: 'Asia/Shanghai' };
/** Changes read at once from each feed. */
const BATCH = 2000;
/** Documents read per request while loading. */
const LOAD_PAGE = 5000;
/** Golden members recomputed per turn of the event loop after One-ID's changes. */
const MEMBERS_PER_SLICE = 2000;

type Feed = 'facts' | 'online';
const FEED_DB: Record<Feed, string> = { facts: DB.facts, online: DB.identity };

/** What another part adds to a member's timeline (tier changes, tags entered and left, stage changes). */
export type TimelineSource = (goldenId: string, sources: readonly string[]) => Promise<TimelineEntry[]> | TimelineEntry[];

export interface ProfileEngineDeps {
  couch: Couch;
  directory: MemberDirectory;
  log: Log;
  clock: () => Date;
  /** HQ's time zone: the evaluation day, and the day of facts that carry no store day. */
  timeZone: string;
  nightly?: { cron: string; timeZone: string };
  /** Resolves once One-ID has loaded (the directory answers from then on). */
  ready: Promise<unknown>;
  /** Called before every full build: the org tree may have moved stores between cities. */
  refresh?: () => Promise<void>;
  /** Fields over the metrics (stage, RFM), and what follows a compute (the stores' profile documents). */
  extension?: ProfileExtension & { computed?(goldenIds: readonly string[] | 'all', because?: 'fact' | 'identity'): Promise<void> };
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
  private flushing: NodeJS.Immediate | undefined;
  /** Figures of the last full build, for the logs and the bench. */
  lastBuild: { ms: number; facts: number; members: number; at: string } | undefined;

  constructor(private readonly deps: ProfileEngineDeps) {
    this.base = new ProfileBase(deps.directory, deps.extension);
    const nightly = deps.nightly ?? NIGHTLY_RECOMPUTE;
    if (!validate(nightly.cron)) throw new Error(`profiles: invalid nightly schedule ${nightly.cron}`);
  }

  private today(): string {
    return localDate(this.deps.clock(), this.deps.timeZone);
  }

  /** Builds the base once One-ID is loaded, then follows the feeds every `everyMs` and recomputes nightly. */
  start(everyMs: number): void {
    const nightly = this.deps.nightly ?? NIGHTLY_RECOMPUTE;
    void this.deps.ready
      .then(() => this.rebuild())
      .catch((err) => this.deps.log.error('profiles: first build failed; the next catch-up tries again', { err: String((err as Error)?.stack ?? err) }));
    this.timer = setInterval(() => void this.catchUp().catch((err) => this.deps.log.warn('profiles: catch-up failed; will retry', { err: String(err) })), everyMs);
    this.timer.unref();
    this.task = schedule(nightly.cron, () => this.runNightly(), { timezone: nightly.timeZone, noOverlap: true, name: 'profiles-nightly' });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    if (this.flushing) clearImmediate(this.flushing);
    await this.task?.stop();
    await this.work.catch(() => undefined);
  }

  /** The nightly job: everything rebuilt from the databases (a failed run leaves the base as it was). */
  async runNightly(): Promise<void> {
    await this.rebuild().catch((err) => this.deps.log.error('profiles: nightly recompute failed', { err: String((err as Error)?.stack ?? err) }));
  }

  /**
   * One-ID changed these golden members: recomputed just after, a slice at a time. An import tells
   * of every record it adds; each member is then computed once per slice, and the event loop
   * keeps serving between slices.
   */
  membersChanged(goldenIds: readonly string[]): void {
    if (!this.built) return; // the build reads the directory as it is then
    for (const id of goldenIds) this.pending.add(id);
    this.flushSoon();
  }

  private flushSoon(): void {
    if (this.flushing || this.pending.size === 0) return;
    this.flushing = setImmediate(() => {
      this.flushing = undefined;
      const slice: string[] = [];
      for (const id of this.pending) {
        slice.push(id);
        this.pending.delete(id);
        if (slice.length === MEMBERS_PER_SLICE) break;
      }
      this.base.membersChanged(slice, this.today());
      this.recomputed(slice);
      this.flushSoon();
    });
  }

  /** Tells the extension (the stores' profile documents) which members were recomputed, in the engine's queue. */
  private recomputed(ids: readonly string[]): void {
    void this.exclusive(async () => this.deps.extension?.computed?.(ids, 'identity')).catch((err) => this.deps.log.warn('profiles: after a One-ID change', { err: String(err) }));
  }

  /** Recomputes the members One-ID changed that are still waiting (a read that must see them calls it). */
  settle(): void {
    if (this.pending.size === 0) return;
    const all = [...this.pending];
    this.pending.clear();
    this.base.membersChanged(all, this.today());
    this.recomputed(all);
  }

  /** Rebuilds every list from the databases and recomputes every member, then takes the place of the current base. */
  rebuild(): Promise<void> {
    return this.exclusive(async () => {
      const started = performance.now();
      await this.deps.refresh?.();
      const base = new ProfileBase(this.deps.directory, this.deps.extension);
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
      base.computeAll(day);
      this.base = base;
      // Every member is computed as the directory is now: what was waiting is in.
      this.pending.clear();
      for (const [feed, s] of seqs) this.seq.set(feed, s);
      this.built = true;
      const size = base.size();
      this.lastBuild = { ms: Math.round(performance.now() - started), facts: size.facts, members: size.members, at: new Date().toISOString() };
      this.deps.log.info('profiles: built', this.lastBuild);
      await this.drainAll();
      await this.deps.extension?.computed?.('all');
    });
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

  private async drainAll(): Promise<void> {
    for (const feed of ['facts', 'online'] as const) await this.drain(feed);
  }

  private async drain(feed: Feed): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const since = this.seq.get(feed) ?? 0;
      const page = await this.deps.couch.db(FEED_DB[feed]).changes({ since: String(since), include_docs: true, limit: BATCH } as never);
      const results = page.results as { id: string; doc?: Doc; deleted?: boolean }[];
      const docs = results.flatMap((r) => (r.doc && !r.deleted ? [r.doc] : []));
      const facts = feed === 'facts' ? this.factsOfDocs(docs.filter((d) => d._id.startsWith('m:'))) : docs.flatMap((d) => (d._id.startsWith('src:') ? this.onlineFacts(d) : []));
      if (facts.length > 0) await this.deps.extension?.computed?.(this.base.addFacts(facts, this.today()), 'fact');
      this.seq.set(feed, seqNumber(page.last_seq));
      if (results.length < BATCH) return;
    }
  }

  private factsOfDocs(docs: readonly Doc[]): SourceFact[] {
    return docs.flatMap((d) => factOfDocument(d, this.deps.timeZone) ?? []);
  }

  private onlineFacts(chunk: Doc): SourceFact[] {
    return Array.isArray(chunk.orders) ? (chunk.orders as Record<string, unknown>[]).flatMap((o) => factOfOnlineOrder(o, this.deps.timeZone) ?? []) : [];
  }

  // ——— what it answers ———

  /** Whether the first build is done (before it, profiles are unknown rather than empty). */
  get isBuilt(): boolean {
    return this.built;
  }

  /** Facts held are current as of these sequence numbers, and the build under way, if any. */
  status() {
    return { built: this.built, building: this.building, lastBuild: this.lastBuild, ...this.base.size() };
  }

  /** A field of every member as a column (member numbers: `members()`); a `scores` field needs its key. */
  column(field: string, key?: string): Column | undefined {
    this.settle();
    return this.base.columns.column(field, key);
  }

  /** Golden member ids by member number. */
  members(): readonly (string | undefined)[] {
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
