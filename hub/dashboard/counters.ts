import { localDate, addDays } from '../../shared/local-time.ts';
import type { Log } from '../../shared/cli/log.ts';
import { docId } from '../../shared/doc-ids.ts';
import { chunkOrders } from '../../shared/one-id/stored-chunk.ts';
import { aggId, CounterDocs, factDocIds, foldFacts, foldMembers, foldOnline, memberDocIds, onlineDocIds, type BuyersDoc, type Change, type CountDoc, type DayDoc, type FactLike, type MemberDoc, type MemberLike, type OnlineDoc, type OnlineOrderLike } from '../../shared/dashboard/aggregates.ts';
import { MEMBER_CHUNK_PREFIX, MemberStates, type MemberChunk } from '../../shared/dashboard/member-states.ts';
import { ACTIVE_DAYS, dashboardFigures, type CounterInput, type DashboardFigures, type FigureScope } from '../../shared/dashboard/figures.ts';
import { seqNumber, type Couch, type Doc } from '../couch/couch.ts';
import { changesPage, DB } from '../couch/databases.ts';

/** Changes read and folded at once: one read of the counters a batch touches, one bulk write. */
const BATCH = 5000;
/** Member chunks written in one request at a snapshot. */
const CHUNK_BULK = 500;
/**
 * A snapshot of the members follows the facts feed at most this often, and never sooner than ten
 * times the last one took: a catch-up with millions of receipts spends at most a tenth of its
 * time writing members, a hub that follows live receipts replays at most this much after a kill.
 */
const SNAPSHOT_EVERY_MS = 10_000;
/** Member chunks rewritten before hub-dashboard is compacted (old revisions of chunks are most of its disk). */
const COMPACT_AFTER_CHUNKS = 40_000;
/**
 * At stop, how long the batches under way are waited for, and then the members' last snapshot:
 * a catch-up on a busy database takes tens of seconds a batch and a snapshot of a million members
 * longer, and whatever is left undone is replayed from the checkpoints at the next start.
 */
const STOP_WAIT_MS = 10_000;
const STOP_SNAPSHOT_MS = 10_000;

type Feed = 'facts' | 'members' | 'online';
const FEED_DB: Record<Feed, string> = { facts: DB.facts, members: DB.members, online: DB.identity };

interface Checkpoint extends Doc {
  seq: number;
  at: string;
}

/**
 * Keeps the dashboard's counters (shared/dashboard/aggregates.ts, decision 013) in hub-dashboard
 * by following three feeds: hub-facts (receipts, refunds, points), hub-members (registrations)
 * and hub-identity (imported online orders). Each feed has a checkpoint, moved after a batch's
 * counters are stored; a batch replayed after a kill folds nothing twice (each counter document
 * knows the last change in it). One run per feed at a time; a read first lets them catch up.
 */
export class DashboardCounters {
  private readonly running = new Map<Feed, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Each feed's checkpoint as last stored (this process is its only writer). */
  private readonly checkpoints = new Map<Feed, Checkpoint>();
  /**
   * Every counter document but the members', as stored (with its revision): a few thousand small
   * documents, so a read of the figures touches no database. Dropped when a write fails.
   */
  private memo: Map<string, Doc & { seq: number }> | undefined;
  private loading: Promise<Map<string, Doc & { seq: number }>> | undefined;
  /** Counter writes so far: a load that saw one happen meanwhile may hold an old revision, and reads again. */
  private writes = 0;
  /** The members as the facts feed has folded them (read from their chunks before the first batch). */
  private members: MemberStates | undefined;
  /** Where the facts feed stands in memory; its stored checkpoint moves with each members' snapshot. */
  private factsAt: number | undefined;
  private snapshotAt = 0;
  /** One-ID's imports are under way: their orders are counted at their end (bulkChange). */
  private holdingOnline = false;
  private snapshotMs = 0;
  private chunksSinceCompaction = 0;
  /** Once per process: read the member chunks, and start over from an older layout. */
  private ready: Promise<void> | undefined;
  /** Changes folded since the start, per feed (the bench reports the catch-up rate). */
  readonly folded: Record<Feed, number> = { facts: 0, members: 0, online: 0 };

  constructor(private readonly deps: { couch: Couch; log: Log; timeZone: string }) {}

  start(everyMs: number): void {
    this.catchUpSoon();
    this.timer = setInterval(() => this.catchUpSoon(), everyMs);
    this.timer.unref();
  }

  /**
   * Stops following the feeds: a batch under way is abandoned at its next step (the checkpoints
   * replay it), and the members folded since the last snapshot are stored if that is quick. Waits
   * at most about STOP_WAIT_MS + STOP_SNAPSHOT_MS, whatever the backlog.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    let timer: NodeJS.Timeout | undefined;
    const settled = await Promise.race([
      Promise.allSettled([...this.running.values()]).then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), STOP_WAIT_MS))),
    ]).finally(() => clearTimeout(timer));
    // A batch still waiting for the database would race the snapshot for the same chunks: its members are replayed instead.
    if (!settled) return this.deps.log.warn('dashboard counters stopped with a batch under way; the next start replays it');
    // What was folded since the last snapshot need not be folded again at the next start.
    await this.snapshot(Date.now() + STOP_SNAPSHOT_MS).catch((err) => this.deps.log.warn('dashboard members not stored at stop; the next start replays them', { err: String(err) }));
  }

  /** Folds what the feeds hold now (joining a run under way); an import's orders wait for its end. */
  async catchUp(): Promise<void> {
    await (this.ready ??= this.prepare().catch((err) => {
      this.ready = undefined;
      throw err;
    }));
    await Promise.all((this.holdingOnline ? (['members', 'facts'] as const) : (['members', 'facts', 'online'] as const)).map((feed) => this.run(feed)));
  }

  /**
   * One-ID's imports began (true) or ended. While they run, their orders (hub-identity's chunks)
   * are not counted: read beside the storing of an import's golden members, pages of 50 chunks
   * slowed it at 8M records. They are counted when the last import ends; the figures say they
   * are not up to date meanwhile.
   */
  bulkChange(under: boolean): void {
    this.holdingOnline = under;
    if (!under && !this.stopped) this.catchUpSoon();
  }

  /** A catch-up nobody waits for: a failure is logged, and the timer tries again. */
  private catchUpSoon(): void {
    void this.catchUp().catch((err) => this.deps.log.warn('dashboard counters failed; will retry', { err: String(err) }));
  }

  private run(feed: Feed): Promise<void> {
    const going = this.running.get(feed);
    if (going) return going;
    const run = this.drain(feed).finally(() => this.running.delete(feed));
    this.running.set(feed, run);
    return run;
  }

  /**
   * Reads the member chunks. A hub that kept members one document each (`mbr:`, the first layout)
   * starts its counters over: they are derived from the feeds, and a replay rebuilds them.
   */
  private async prepare(): Promise<void> {
    const { couch, log } = this.deps;
    const legacy = await couch.range(DB.dashboard, { startkey: 'mbr:', endkey: 'mbr:\ufff0' }, 1);
    if (legacy.length > 0) {
      log.info('dashboard counters: rebuilding from the feeds in the chunked layout');
      await couch.server.db.destroy(DB.dashboard);
      await couch.ensureDb(DB.dashboard);
    }
    const members = new MemberStates();
    for await (const page of couch.pages<MemberChunk & Doc>(DB.dashboard, { startkey: MEMBER_CHUNK_PREFIX, endkey: `${MEMBER_CHUNK_PREFIX}\ufff0` }, 200)) for (const chunk of page) members.load(chunk);
    this.members = members;
  }

  private async checkpoint(feed: Feed): Promise<Checkpoint> {
    const cp = this.checkpoints.get(feed) ?? (await this.deps.couch.get<Checkpoint>(DB.dashboard, `cp:${feed}`)) ?? { _id: `cp:${feed}`, seq: 0, at: '' };
    this.checkpoints.set(feed, cp);
    return cp;
  }

  private async storeCheckpoint(feed: Feed, seq: number): Promise<void> {
    const cp = await this.checkpoint(feed);
    const next: Checkpoint = { _id: `cp:${feed}`, seq, at: new Date().toISOString(), ...(cp._rev ? { _rev: cp._rev } : {}) };
    const saved = await this.deps.couch.db(DB.dashboard).insert(next).catch((err) => {
      // Read again next time (the replay adds nothing twice).
      this.checkpoints.delete(feed);
      throw err;
    });
    this.checkpoints.set(feed, { ...next, _rev: saved.rev });
  }

  /**
   * Stores the members changed since the last snapshot, then moves the facts feed's checkpoint to
   * where they were folded: only then is a fact folded into counters and members both for good.
   * Past `deadline` it gives up between writes (the checkpoint unmoved: chunks written so far
   * are of members whose `seq` says what they hold). Within a batch it gives up at a stop.
   */
  private async snapshot(deadline?: number): Promise<void> {
    const members = this.members;
    const at = this.factsAt;
    if (!members || at === undefined) return;
    const started = performance.now();
    const chunks = members.changedChunks();
    for (let i = 0; i < chunks.length; i += CHUNK_BULK) {
      if (deadline === undefined ? this.stopped : Date.now() > deadline) throw new Error(`snapshot given up after ${i} of ${chunks.length} chunks`);
      const part = chunks.slice(i, i + CHUNK_BULK);
      const res = await this.deps.couch.bulk(DB.dashboard, part as unknown as Doc[]);
      const failed = res.find((r) => r.error);
      if (failed) throw new Error(`dashboard members ${failed.id}: ${failed.error}`);
      res.forEach((r) => members.stored(r.id, r.rev!));
    }
    if ((await this.checkpoint('facts')).seq !== at) await this.storeCheckpoint('facts', at);
    this.snapshotAt = Date.now();
    this.snapshotMs = performance.now() - started;
    this.chunksSinceCompaction += chunks.length;
    if (this.chunksSinceCompaction >= COMPACT_AFTER_CHUNKS) {
      this.chunksSinceCompaction = 0;
      // Started, not waited for: the feeds go on meanwhile, and a stop does not wait for it.
      await this.deps.couch.server.db.compact(DB.dashboard);
    }
  }

  private async drain(feed: Feed): Promise<void> {
    const { couch } = this.deps;
    const limit = changesPage(FEED_DB[feed], BATCH);
    for (;;) {
      if (this.stopped) return;
      const since = feed === 'facts' ? (this.factsAt ??= (await this.checkpoint(feed)).seq) : (await this.checkpoint(feed)).seq;
      const page = await couch.db(FEED_DB[feed]).changes({ since: String(since), include_docs: true, limit } as never);
      // Stopped while the database answered: the batch is left to the next start.
      if (this.stopped) return;
      if (page.results.length === 0) {
        // Quiet now: what was folded since the last snapshot is stored once it is due.
        if (feed === 'facts' && Date.now() - this.snapshotAt >= SNAPSHOT_EVERY_MS && this.factsAt !== (await this.checkpoint('facts')).seq) await this.snapshot();
        return;
      }
      const results = page.results as { id: string; seq: unknown; doc?: Doc; deleted?: boolean }[];
      const live = results.flatMap((r) => (r.doc && !r.deleted ? [{ seq: seqNumber(r.seq), doc: r.doc }] : []));
      if (feed === 'facts') await this.foldFactsBatch(live as Change<FactLike>[]);
      else if (feed === 'members') await this.write(memberDocIds, foldMembers, live.map((c) => ({ seq: c.seq, doc: { ...c.doc, day: typeof c.doc.registeredAt === 'string' ? localDate(c.doc.registeredAt, this.deps.timeZone) : '' } as MemberLike })));
      else await this.write(onlineDocIds, foldOnline, live.flatMap((c) => (c.doc._id.startsWith('src:') ? [{ seq: c.seq, doc: this.onlineOrders(c.doc) }] : [])));
      this.folded[feed] += live.length;
      if (feed === 'facts') {
        this.factsAt = seqNumber(page.last_seq);
        if (Date.now() - this.snapshotAt >= Math.max(SNAPSHOT_EVERY_MS, 10 * this.snapshotMs)) await this.snapshot();
      } else await this.storeCheckpoint(feed, seqNumber(page.last_seq));
      if (results.length < limit) return;
    }
  }

  private onlineOrders(chunk: Doc): OnlineOrderLike[] {
    return chunkOrders(chunk).flatMap((o) =>
      typeof o.id === 'string' && typeof o.at === 'string' && typeof o.paidCents === 'number' ? [{ id: o.id, status: String(o.status), paidCents: o.paidCents, day: localDate(o.at, this.deps.timeZone) }] : [],
    );
  }

  private async foldFactsBatch(changes: Change<FactLike>[]): Promise<void> {
    const docs = new CounterDocs();
    await this.load(docs, factDocIds(changes));
    // Where each member leaves from (their last receipt day) is known once their documents are in.
    await this.load(docs, factDocIds(changes, docs).filter((id) => !docs.has(id)));
    const unknown = [...new Set(changes.flatMap((c) => (c.doc.type === 'order' && typeof c.doc.memberId === 'string' && !docs.peek(aggId.member(c.doc.memberId)) ? [c.doc.memberId] : [])))];
    const profiles = await this.deps.couch.fetchDocs(DB.members, unknown.map(docId.member));
    const homes = new Map(unknown.map((id, i) => [id, typeof profiles[i]?.homeStoreId === 'string' ? (profiles[i]!.homeStoreId as string) : '']));
    foldFacts(docs, changes, (id) => homes.get(id) ?? '');
    await this.store(docs);
  }

  private async write<T>(ids: (changes: Change<T>[]) => string[], fold: (docs: CounterDocs, changes: Change<T>[]) => void, changes: Change<T>[]): Promise<void> {
    if (changes.length === 0) return;
    const docs = new CounterDocs();
    await this.load(docs, ids(changes));
    fold(docs, changes);
    await this.store(docs);
  }

  private async load(docs: CounterDocs, ids: string[]): Promise<void> {
    const memo = await this.memory();
    for (const id of ids) docs.load(id, id.startsWith('mbr:') ? this.members!.get(id.slice('mbr:'.length)) : memo.get(id));
  }

  /** The counter documents but the members', read once (again after a failed write). */
  private memory(): Promise<Map<string, Doc & { seq: number }>> {
    if (this.memo) return Promise.resolve(this.memo);
    this.loading ??= (async () => {
      // Not while an older layout's database is being replaced.
      await this.ready?.catch(() => undefined);
      for (;;) {
        const before = this.writes;
        const memo = new Map<string, Doc & { seq: number }>();
        // Every id but `cp:` and the members' `mbrs:`: `act:`, `buyers`, `day:` sort before them, `online:`, `reg:` after.
        for (const range of [{ startkey: 'act:', endkey: 'day:\ufff0' }, { startkey: 'online:', endkey: 'reg:\ufff0' }])
          for await (const page of this.deps.couch.pages<Doc & { seq: number }>(DB.dashboard, range, 5000)) for (const d of page) if (!d._id.startsWith('cp:')) memo.set(d._id, d);
        if (this.writes === before) return (this.memo = memo);
      }
    })().finally(() => (this.loading = undefined));
    return this.loading;
  }

  /**
   * The counters, then the members (aggregates.ts says why): the counters are stored, the members
   * kept in memory until the next snapshot. A refused write fails the batch, replayed later.
   */
  private async store(docs: CounterDocs): Promise<void> {
    const { counters, members } = docs.written();
    if (counters.length > 0) {
      const written = counters.map(([id, d]) => ({ ...d, _id: id }) as Doc & { seq: number });
      this.writes++;
      const res = await this.deps.couch.bulk(DB.dashboard, written).catch((err) => {
        this.memo = undefined;
        throw err;
      });
      const failed = res.find((r) => r.error);
      if (failed) {
        this.memo = undefined;
        throw new Error(`dashboard counter ${failed.id}: ${failed.error}`);
      }
      written.forEach((d, i) => this.memo?.set(d._id, { ...d, _rev: res[i]!.rev }));
    }
    for (const [id, doc] of members) this.members!.put(id.slice('mbr:'.length), doc as MemberDoc);
  }

  /**
   * The figures for `days` days up to `today`, as far as the feeds are folded: a read waits for
   * the catch-up at most `waitMs` (a hub loading a backlog still answers, with what it has).
   */
  async figures(today: string, days: number, scope: FigureScope, waitMs = 2000): Promise<DashboardFigures & { upToDate: boolean }> {
    const caughtUp = this.catchUp().then(
      () => true,
      (err) => {
        // The figures as far as they are counted; the timer tries again.
        this.deps.log.warn('dashboard counters failed; will retry', { err: String(err) });
        return false;
      },
    );
    const upToDate = (await Promise.race([caughtUp, new Promise<boolean>((r) => setTimeout(() => r(false), waitMs).unref())])) && !this.holdingOnline;
    const memo = await this.memory();
    const from = addDays(today, -(days - 1));
    const activeFrom = addDays(today, -(ACTIVE_DAYS - 1));
    const input: CounterInput = { days: [], online: [], reg: [], act: [], buyers: memo.get(aggId.buyers) as BuyersDoc | undefined };
    const within = (day: string, since: string) => day >= since && day <= today;
    for (const [id, doc] of memo) {
      const day = id.slice(id.indexOf(':') + 1);
      if (id.startsWith('reg:')) input.reg.push([day, doc as unknown as CountDoc]);
      else if (id.startsWith('act:') && within(day, activeFrom)) input.act.push([day, doc as unknown as CountDoc]);
      else if (id.startsWith('day:') && within(day, from)) input.days.push([day, doc as unknown as DayDoc]);
      else if (id.startsWith('online:') && within(day, from)) input.online.push([day, doc as unknown as OnlineDoc]);
    }
    return { ...dashboardFigures(input, today, days, scope), upToDate };
  }
}
