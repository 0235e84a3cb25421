import { AppError } from '../../shared/errors.ts';
import type { Log } from '../../shared/cli/log.ts';
import { cleanCardNo } from '../../shared/one-id/clean.ts';
import type { SourceRecord } from '../../shared/one-id/record.ts';
import type { Suggestion } from '../../shared/one-id/suggest.ts';
import { erasedRecord } from '../../shared/privacy/erasure.ts';
import { dict } from '../../shared/own.ts';
import { groupByKey, heldBytes } from '../../shared/one-id/compact.ts';
import { Resolver, type Changes, type Decision, type GoldenMember, type ResolverOptions, type ResolverStateMeta } from '../../shared/one-id/resolver.ts';
import type { SnapshotArray } from '../../shared/one-id/snapshot-codec.ts';
import { StringPool } from '../../shared/one-id/string-pool.ts';
import type { OneIdFigures } from '../../shared/one-id/metrics.ts';
import { chunkRecords } from '../../shared/one-id/stored-chunk.ts';
import { goldenView, packGolden, unpackGolden, type PackedGolden, type StoredGolden } from '../../shared/one-id/stored-golden.ts';
import { randomUUID } from 'node:crypto';
import { seqNumber } from '../couch/couch.ts';
import { readSnapshotFile, writeSnapshotSliced } from './snapshot-file.ts';
import type { MemberDoc } from '../../shared/schemas/documents.ts';
import type { Couch, Doc } from '../couch/couch.ts';
import { DB } from '../couch/databases.ts';
import type { HubMembers } from '../members.ts';
import { bucketOf, GOLDEN_BUCKETS, IdentityDb, type GoneGolden } from './identity-db.ts';
import type { ImportProgress, ImportSink } from './import-jobs.ts';

/**
 * Changes to fewer members than a tenth of the records are written one document per member:
 * the embedded server writes a member's document in about 0.6 ms and a bucket in about 1 ms per
 * 8 KB (70 KB at a million records), so own documents cost less until about that share.
 */
const OWN_DOCS_SHARE = 10;
/**
 * Golden members per write of whole buckets. A request's members' views and its body are built
 * at once, on the event loop: a bucket grows with the base (≈ 160 members at 2M records, ≈ 1,800
 * at 15M), so 200 buckets a request would be 360,000 members' views and their JSON held at once
 * at 15M. About this many members a request keeps each one small at every size.
 */
const MEMBERS_PER_WRITE = 2000;

/** Buckets per write for buckets holding `members` in all: about MEMBERS_PER_WRITE members, 1 to 200 buckets. */
export function bucketsPerWrite(members: number, buckets: number): number {
  const perBucket = members / Math.max(1, buckets);
  return Math.max(1, Math.min(200, Math.floor(MEMBERS_PER_WRITE / Math.max(1, perBucket))));
}
/**
 * Past this many changed members, "every bucket" is remembered instead of their ids: an import
 * changes them all (ten million ids at 15M records, a gigabyte of strings), and this many spread
 * over 8,192 buckets leave none untouched anyway.
 */
const TOUCHED_ALL = 200_000;
/** A snapshot given up because records came in is written again after this long without a change. */
const SNAPSHOT_QUIET_MS = 5000;

interface DecisionDoc extends Doc {
  type: 'decision';
  decision: Decision;
}

/** What the snapshot says beside the resolver's arrays (decision 030). */
interface SnapshotMeta {
  kind: 'one-id';
  /** `state:snapshots` in hub-identity: a database made anew (or another hub's) has another. */
  instance: string;
  /** The resolver's options: other limits would resolve differently. */
  options: string;
  /** Sequences of hub-identity and hub-members the state is current to. */
  seqs: { identity: string | number; members: string | number };
  writtenAt: string;
  resolver: ResolverStateMeta;
}

/** Arrays that grow after a load get room; pools and the member table are rebuilt or sized exactly. */
const snapshotRoom = (name: string, length: number) => (name.startsWith('pool.') || name.startsWith('resolver.members') || name.startsWith('storeMembers.') ? 0 : (length >> 3) + 1024);

/** Source records of store members: the registration a store wrote, as One-ID sees it. */
function storeMemberRecord(m: MemberDoc): SourceRecord {
  // An erased member (decision 014) is a record that links no one: an empty phone would be a key all of them share.
  if (m.erasedAt !== undefined) return erasedRecord({ id: `pos:${m.id}`, source: 'pos', observedAt: m.registeredAt, identities: {}, profile: { registeredAt: m.registeredAt, homeStoreId: m.homeStoreId }, memberId: m.id });
  const card = m.cardNo === undefined ? undefined : cleanCardNo(m.cardNo);
  return {
    id: `pos:${m.id}`,
    source: 'pos',
    observedAt: m.registeredAt,
    identities: {
      phone: m.phone,
      ...(card?.ok && card.value ? { cardNo: card.value } : {}),
      ...(m.unionId ? { unionId: m.unionId } : {}),
      ...(m.openIds?.length ? { openIds: m.openIds } : {}),
    },
    profile: {
      ...(m.name ? { name: m.name } : {}),
      ...(m.gender === 'M' || m.gender === 'F' ? { gender: m.gender } : {}),
      ...(m.birthday ? { birthday: m.birthday } : {}),
      registeredAt: m.registeredAt,
      homeStoreId: m.homeStoreId,
    },
    memberId: m.id,
    ...(m.provisional ? { provisional: true } : {}),
  };
}

/**
 * One-ID at the hub: the resolver in memory, fed by imports and by stores' registrations; golden
 * members, imported records and operators' decisions in hub-identity; merges of store members
 * sent to the stores as aliases (HubMembers.merge).
 */
export class IdentityService implements ImportSink {
  private resolver: Resolver;
  /** Golden members (current or gone) changed since they were last stored. */
  private readonly touched = new Set<string>();
  /** Every member may have changed since stored (an import, a load after a crash): every bucket is rewritten. */
  private touchedAll = false;
  /** Members stored in a document of their own (`golden:<id>`), which wins over their bucket's entry. */
  private readonly ownDocs = new Set<string>();
  /** Golden-member buckets written by this process (an import reports how many it rewrote). */
  private bucketsWritten = 0;
  /** Golden ids merged away → the member they went into (the API redirects). */
  private readonly retired = new Map<string, string>();
  /** Ids of store members (member documents at the hub): only merges among them reach the stores. */
  private storeMembers = new StringPool();
  private pendingStoreMerges: { survivor: string; loser: string }[] = [];
  private loaded = false;
  /** close() was called: a load under way gives up. */
  private closing = false;
  private loading: Promise<boolean> | undefined;
  private flushing: Promise<void> | undefined;
  /** What state:golden says (as last written by this process). */
  private cleanInDb = true;
  private flag: Promise<void> = Promise.resolve();
  private cleanTimer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private decisions = 0;
  /** The resolver's suggestions since the last change (see allSuggestions). */
  private suggested: Suggestion[] | undefined;
  /** Registrations that arrived while loading. */
  private readonly early: MemberDoc[] = [];
  /** Told which golden members each change touched (the profile engine, hub/profile/engine.ts). */
  private readonly listeners: ((goldenIds: string[]) => void)[] = [];
  private readonly bulkListeners: ((under: boolean) => void)[] = [];
  private bulk = false;
  private markLoaded: () => void = () => undefined;
  private readonly loadedOnce = new Promise<void>((resolve) => (this.markLoaded = resolve));
  /** Snapshot writes, one after the other. */
  private snapshotting: Promise<void> = Promise.resolve();
  /** The resolver's change count the snapshot on disk was written at (undefined: none written by this process). */
  private snapshotOf: number | undefined;
  private quietTimer: NodeJS.Timeout | undefined;
  /** The last snapshot written by this process (the tests and the bench read it). */
  lastSnapshot: { reason: string; slices: number; bytes: number; ms: number } | undefined;
  /** The last pass over One-ID's figures (see figures()). */
  private figuresPass: { changes: number; running: boolean; figures: Promise<OneIdFigures> } | undefined;

  /**
   * @param deps.snapshotDir where the resolver's snapshot is kept (`<hub dir>/snapshots`); none: every start reads every record.
   */
  constructor(private readonly deps: { couch: Couch; db: IdentityDb; members: HubMembers; log: Log; clock: () => Date; options: ResolverOptions; snapshotDir?: string; snapshotTuning?: { sliceBytes?: number; quietMs?: number } }) {
    this.resolver = new Resolver(deps.options);
  }

  /**
   * Loads every stored record and store member, replays operators' decisions and resolves.
   * Golden members are rewritten only when the last run stopped before storing them. Answers
   * false when close() was called first: the load gave up.
   */
  load(): Promise<boolean> {
    this.loading = this.loadAll();
    return this.loading;
  }

  private async loadAll(): Promise<boolean> {
    const t = Date.now();
    const from = await this.fromSnapshot();
    if (this.closing) return false;
    if (!from) {
      const decisions = (await this.deps.couch.range<DecisionDoc>(DB.identity, { startkey: 'dec:', endkey: 'dec:\ufff0' }, 1_000_000)).map((d) => d.decision);
      // A hub told to stop gives up between pages: a million records take minutes to read, and
      // nothing read is lost (the next start reads them again).
      for await (const page of this.deps.db.records()) {
        if (this.closing) return false;
        for (const r of page) this.resolver.add(r);
      }
      for await (const page of this.deps.couch.pages<MemberDoc & Doc>(DB.members, { startkey: 'member:', endkey: 'member:\ufff0' })) {
        if (this.closing) return false;
        for (const m of page) this.addStoreRecord(m);
      }
      // Each record was linked as it was added; the operators' decisions replayed over them ask
      // for a full pass (without any, it would change nothing).
      this.resolver.replay(decisions);
      this.decisions = decisions.length;
      if (decisions.length > 0 && !(await this.sliced(this.resolver.resolvingAll()))) return false;
    }
    const state = await this.deps.db.get<Doc & { clean?: boolean }>('state:golden');
    this.cleanInDb = state?.clean !== false;
    for (const id of await this.deps.db.memberDocIds()) this.ownDocs.add(id);
    // What is stored is up to date unless the last run stopped before storing a change; then
    // every member is written again, and every member's own document (one may be out of date).
    if (state?.clean === false) {
      for (const id of this.resolver.memberIds()) if (!this.touch(id)) break;
      for (const id of this.ownDocs) this.touch(id);
      await this.flush();
    } else {
      this.touched.clear();
      this.touchedAll = false;
    }
    // Store members found to be one while the hub was down (or before it stored the merge).
    // From a snapshot, the merges that changes since it made were noted as they were applied.
    if (!from) for (let i = 0; i < this.storeMembers.length; i++) this.noteStoreMember(this.storeMembers.get(i));
    await this.projectStoreMerges();
    this.loaded = true;
    this.markLoaded();
    const early = this.early.splice(0);
    if (early.length > 0) await this.observeStoreMembers(early);
    this.deps.log.info('one-id loaded', { records: this.resolver.size, ms: Date.now() - t, from: from ? 'snapshot' : 'database', ...(from ?? {}) });
    return true;
  }

  // ——— the snapshot (decision 030) ———

  /**
   * Takes the resolver from the snapshot and applies what the database gained since (records,
   * store members, decisions: the changes feeds from the sequences it is current to). Answers
   * what it read, or undefined (and says why) when every record must be read instead.
   */
  private async fromSnapshot(): Promise<{ snapshotRecords: number; changedDocs: number; snapshotMs: number; catchUpMs: number } | undefined> {
    const dir = this.deps.snapshotDir;
    if (!dir) return undefined;
    const t = Date.now();
    const file = readSnapshotFile(dir, snapshotRoom);
    const refuse = (why: string) => {
      // No file is the first start (or a hub that never finished an import): not worth a warning.
      if (why === 'no snapshot') this.deps.log.info('one-id: no snapshot; reading every record', { dir });
      else this.deps.log.warn('one-id: snapshot not used; reading every record', { dir, why });
      return undefined;
    };
    if ('refused' in file) return refuse(file.refused);
    const meta = file.meta as SnapshotMeta;
    if (meta?.kind !== 'one-id') return refuse('not a One-ID snapshot');
    const instance = (await this.deps.db.get<Doc & { instance?: string }>('state:snapshots'))?.instance;
    if (meta.instance !== instance) return refuse("another database's (its instance differs from state:snapshots)");
    if (meta.options !== JSON.stringify(this.deps.options)) return refuse('written with other One-ID options');
    const [identityInfo, membersInfo] = await Promise.all([this.deps.couch.db(DB.identity).info(), this.deps.couch.db(DB.members).info()]);
    if (seqNumber(meta.seqs.identity) > seqNumber(identityInfo.update_seq) || seqNumber(meta.seqs.members) > seqNumber(membersInfo.update_seq)) return refuse('ahead of the database (restored from a backup?)');
    let resolver: Resolver;
    let storeMembers: StringPool;
    try {
      resolver = Resolver.fromState(this.deps.options, meta.resolver, file.arrays);
      const part = (name: string) => file.arrays.get(`storeMembers.${name}`) as never;
      storeMembers = StringPool.fromParts({ bytes: part('bytes'), ends: part('ends'), hashes: part('hashes') });
    } catch (err) {
      return refuse(String((err as Error).message));
    }
    const snapshotMs = Date.now() - t;
    this.resolver = resolver;
    this.storeMembers = storeMembers;
    this.decisions = resolver.decisions().length;
    const t2 = Date.now();
    // What was stored after the snapshot: records (a chunk of an import, one from the API, an
    // erasure's rewrite) are added again, which changes nothing for one known as it is.
    const decisions: Decision[] = [];
    let changedDocs = 0;
    for await (const docs of this.changesSince(DB.identity, meta.seqs.identity)) {
      for (const d of docs) {
        changedDocs++;
        if (d._id.startsWith('src:')) for (const r of chunkRecords(d)) this.apply(this.resolver.add(r));
        else if (d._id.startsWith('rec:')) this.apply(this.resolver.add((d as unknown as { record: SourceRecord }).record));
        else if (d._id.startsWith('dec:')) decisions.push((d as unknown as DecisionDoc).decision);
      }
    }
    for await (const docs of this.changesSince(DB.members, meta.seqs.members)) {
      for (const d of docs) {
        changedDocs++;
        if (d._id.startsWith('member:')) this.addStoreRecord(d as unknown as MemberDoc);
      }
    }
    if (decisions.length > 0) {
      // Decisions are replayed over the whole state, as a full load does (rare: an operator's
      // split or quarantine between the snapshot and a crash).
      decisions.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
      this.resolver.replay(decisions);
      this.decisions += decisions.length;
      const changes = await this.sliced(this.resolver.resolvingAll());
      if (!changes) return undefined; // the hub is stopping (load() gives up)
      this.apply(changes);
    }
    return { snapshotRecords: meta.resolver.count, changedDocs, snapshotMs, catchUpMs: Date.now() - t2 };
  }

  /**
   * The resolver's long work a slice at a time, the event loop turning between slices: a full
   * re-resolution (2.5 min in one pass at 15M records, with the hub answering nothing; only while
   * loading, when nothing else calls the resolver: readers are refused, imports wait queued,
   * stores' registrations in `early`) or One-ID's figures. Undefined: the hub is stopping, and a
   * half-built state is dropped with it.
   */
  private async sliced<T>(steps: Generator<void, T>): Promise<T | undefined> {
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
      if (this.closing) return undefined;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Documents changed after `since`, a page at a time (deletions left out: One-ID deletes none it reads). */
  private async *changesSince(db: string, since: string | number): AsyncGenerator<Doc[]> {
    const limit = 50; // an import's chunk is some 400 KB
    for (let from = since; ; ) {
      const res = await this.deps.couch.db(db).changes({ since: from as string, include_docs: true, limit });
      yield (res.results as { doc?: Doc; deleted?: boolean }[]).flatMap((r) => (r.doc && !r.deleted ? [r.doc] : []));
      if (res.results.length < limit) return;
      from = res.last_seq as string;
    }
  }

  /**
   * Writes the resolver's state with the sequences it is current to (after an import's finish,
   * at a clean stop). The sequences are read first: a record stored after them and already in
   * the state is only added again at the next start, which changes nothing.
   */
  writeSnapshot(reason: string): Promise<void> {
    const run = this.snapshotting.then(() => this.writeSnapshotNow(reason));
    this.snapshotting = run.catch(() => undefined);
    return run;
  }

  /**
   * One write at a time (writeSnapshot queues them). The arrays are written a slice at a time
   * while the hub serves (decision 032); a change to the resolver between two slices gives the
   * write up, and it is tried again once the resolver has been quiet for SNAPSHOT_QUIET_MS.
   */
  private async writeSnapshotNow(reason: string): Promise<void> {
    const dir = this.deps.snapshotDir;
    if (!dir || !this.loaded) return;
    // This very state is on disk already (an import's snapshot, then a clean stop with nothing since).
    if (this.snapshotOf === this.resolver.changes) return;
    const t = Date.now();
    let instance = (await this.deps.db.get<Doc & { instance?: string }>('state:snapshots'))?.instance;
    if (!instance) {
      const fresh = randomUUID();
      instance = (await this.deps.db.update<Doc & { instance?: string }>('state:snapshots', (cur) => (cur?.instance ? undefined : { _id: 'state:snapshots', instance: fresh })))?.instance ?? fresh;
    }
    const [identityInfo, membersInfo] = await Promise.all([this.deps.couch.db(DB.identity).info(), this.deps.couch.db(DB.members).info()]);
    // The arrays written are the resolver's own: the write is given up if it changes them meanwhile.
    const changes = this.resolver.changes;
    const { meta: resolver, arrays } = this.resolver.exportState();
    const pool = this.storeMembers.parts();
    const all = new Map<string, SnapshotArray>(arrays);
    all.set('storeMembers.bytes', pool.bytes);
    all.set('storeMembers.ends', pool.ends);
    all.set('storeMembers.hashes', pool.hashes);
    const meta: SnapshotMeta = {
      kind: 'one-id',
      instance,
      options: JSON.stringify(this.deps.options),
      seqs: { identity: identityInfo.update_seq as string, members: membersInfo.update_seq as string },
      writtenAt: this.deps.clock().toISOString(),
      resolver,
    };
    try {
      const written = await writeSnapshotSliced(dir, meta, all, () => this.resolver.changes === changes, this.deps.snapshotTuning?.sliceBytes);
      if ('abandoned' in written) {
        this.deps.log.info('one-id snapshot given up: records came in while it was written; written again once quiet', { reason, slices: written.slices, ms: Date.now() - t });
        this.snapshotWhenQuiet(reason);
        return;
      }
      this.snapshotOf = changes;
      this.lastSnapshot = { reason, slices: written.slices, bytes: written.bytes, ms: Date.now() - t };
      this.deps.log.info('one-id snapshot written', { reason, records: resolver.count, mb: Math.round(written.bytes / 1048576), slices: written.slices, ms: Date.now() - t });
    } catch (err) {
      this.deps.log.warn('one-id snapshot not written; the next start reads every record', { reason, err: String(err) });
    }
  }

  /** Writes the snapshot once the resolver has not changed for SNAPSHOT_QUIET_MS (a stream of single records has paused). */
  private snapshotWhenQuiet(reason: string): void {
    if (this.quietTimer || this.closing) return;
    let seen = this.resolver.changes;
    this.quietTimer = setInterval(() => {
      if (this.resolver.changes !== seen) return void (seen = this.resolver.changes);
      clearInterval(this.quietTimer);
      this.quietTimer = undefined;
      void this.writeSnapshot(`${reason}, again once quiet`);
    }, this.deps.snapshotTuning?.quietMs ?? SNAPSHOT_QUIET_MS);
    this.quietTimer.unref();
  }

  private ensureLoaded() {
    if (!this.loaded) throw new AppError('unavailable', 'One-ID is still loading; try again shortly');
  }

  // ——— what feeds it ———

  /** ImportSink: records of a stored batch. */
  add(records: SourceRecord[]): void {
    for (const r of records) this.apply(this.resolver.add(r));
  }

  /**
   * ImportSink: after the last batch, the golden members stored. No full re-resolution: `add`
   * linked each record as it came and ends where one would (the resolver's property tests), and
   * one held the hub's event loop 13 s at 2M records, 2.5 min at 15M.
   */
  async finish(progress: (phase: ImportProgress['phase']) => void): Promise<Record<string, unknown>> {
    progress('storing');
    const t2 = Date.now();
    const before = this.bucketsWritten;
    await this.flush();
    await this.projectStoreMerges();
    await this.writeSnapshot('import finished');
    // At once, not in slices: nothing else runs between the import's last batch and its end (0.3 s at 2M).
    const { metrics } = this.resolver.figures();
    return { storeMs: Date.now() - t2, goldenBucketsWritten: this.bucketsWritten - before, members: metrics.members, identificationRate: metrics.identificationRate };
  }

  /** Stores' registrations reached the hub (ingest): linked at once, merged at the stores when someone is known. */
  async observeStoreMembers(members: MemberDoc[]): Promise<void> {
    // While loading, load() may already have read past them: they are linked when it is done.
    if (!this.loaded) return void this.early.push(...members);
    for (const m of members) this.addStoreRecord(m);
    await this.flush();
    await this.projectStoreMerges();
  }

  private addStoreRecord(m: MemberDoc) {
    this.storeMembers.add(m.id);
    this.apply(this.resolver.add(storeMemberRecord(m)));
    this.noteStoreMember(m.id);
  }

  private isStoreMember(id: string): boolean {
    return this.storeMembers.indexOf(id) >= 0;
  }

  /** A store member whose record is now in another store member's golden member goes into it. */
  private noteStoreMember(id: string) {
    const into = this.resolver.memberOf(`pos:${id}`);
    if (into !== undefined && into !== id && this.isStoreMember(into)) this.pendingStoreMerges.push({ survivor: into, loser: id });
  }

  /** One record from the API: linked and stored with its golden member in one write. */
  async addRecord(record: SourceRecord): Promise<{ memberId: string; merged: Changes['merged']; quarantined: string[] }> {
    this.ensureLoaded();
    const result = this.resolver.add(record);
    this.apply(result);
    // The record is durable before the answer; its golden member is written just behind (flush).
    await this.markDirty();
    await this.deps.couch.insertNew(DB.identity, [{ _id: `rec:${record.id}`, type: 'record', record }]);
    this.flushSoon();
    await this.projectStoreMerges();
    return { memberId: result.memberId, merged: result.merged, quarantined: result.quarantined };
  }

  // ——— operators ———

  async split(memberId: string, records: string[], by: string) {
    this.ensureLoaded();
    const member = this.resolver.member(memberId);
    if (!member) throw new AppError('member_not_found', `no golden member ${memberId}`);
    const all = member.records.map((r) => r.id);
    const unknown = records.filter((r) => !all.includes(r));
    if (unknown.length) throw new AppError('validation_failed', `records: ${unknown.join(', ')} are not part of ${memberId}`, { field: 'records' });
    const rest = all.filter((r) => !records.includes(r));
    if (records.length === 0 || rest.length === 0) throw new AppError('validation_failed', 'records: name some but not all of the member\'s records', { field: 'records' });
    const storeIds = member.records.flatMap((r) => (r.memberId && this.isStoreMember(r.memberId) ? [r.memberId] : []));
    const changes = await this.decide((at) => this.resolver.split(memberId, [records, rest], by, at));
    await this.undoStoreMerges(storeIds);
    return changes;
  }

  /**
   * Store members merged at the tills that a split put in different golden members are merged
   * there no more; those still together (a chain split in the middle) are merged again.
   */
  private async undoStoreMerges(storeIds: string[]) {
    const goldenOf = (id: string) => this.resolver.memberOf(`pos:${id}`);
    for (const id of storeIds) {
      const to = this.deps.members.aliasOf(id);
      if (to !== undefined && goldenOf(id) !== goldenOf(to)) await this.deps.members.unmerge(id, this.deps.clock());
    }
    for (const id of storeIds) this.noteStoreMember(id);
    await this.projectStoreMerges();
  }

  async setQuarantine(key: string, held: boolean, by: string) {
    this.ensureLoaded();
    return this.decide((at) => (held ? this.resolver.quarantine(key, by, at) : this.resolver.release(key, by, at)));
  }

  async answerSuggestion(a: string, b: string, accept: boolean, by: string) {
    this.ensureLoaded();
    return this.decide((at) => {
      if (accept) return this.resolver.link(a, b, by, at);
      this.resolver.reject(a, b, by, at);
      return { merged: [], split: [], quarantined: [], blocked: [] };
    });
  }

  /** Runs an operator's decision, stores it (replayed on every load), then what it changed. */
  private async decide(run: (at: string) => Changes) {
    const at = this.deps.clock().toISOString();
    // Even a decision refused halfway may have touched the resolver.
    this.suggested = undefined;
    let changes: Changes;
    try {
      changes = run(at);
    } catch (err) {
      throw new AppError('validation_failed', String((err as Error).message));
    }
    const log = this.resolver.decisions();
    const decision = log[log.length - 1]!;
    this.decisions++;
    await this.deps.couch.insertNew(DB.identity, [{ _id: `dec:${at}:${String(this.decisions).padStart(6, '0')}`, type: 'decision', decision }]);
    this.apply(changes);
    await this.flush();
    await this.projectStoreMerges();
    return changes;
  }

  /**
   * Erases the person behind these store members from One-ID (decision 014): every source
   * record of their golden members loses its identities and profile, in memory and wherever it
   * is stored, so they link to no one and no golden member shows their data; the golden members
   * are written again, their buckets too (a bucket's entry would otherwise keep the old view).
   * Answers the records erased and the records as they were (for the caller's own check).
   */
  async erase(storeMemberIds: string[]): Promise<{ records: string[]; before: SourceRecord[] }> {
    this.ensureLoaded();
    const golden = new Set(storeMemberIds.flatMap((id) => this.resolver.memberOf(`pos:${id}`) ?? []));
    const before = [...golden].flatMap((g) => this.resolver.member(g)?.records ?? []);
    const ids = new Set(before.map((r) => r.id));
    await this.markDirty();
    await this.deps.db.rewriteRecords(ids, erasedRecord);
    for (const r of before) this.apply(this.resolver.add(erasedRecord(r)));
    const after = new Set([...ids].flatMap((r) => this.resolver.memberOf(r) ?? []));
    for (const id of [...golden, ...after]) this.touch(id);
    await this.flush();
    const buckets = new Set([...golden, ...after].map(bucketOf));
    await this.writeBucketsOf(buckets);
    await this.deps.db.compact();
    return { records: [...ids], before };
  }

  /** The source records of a store member's golden member, as stored (the member's data export). */
  recordsOf(storeMemberId: string): { goldenId: string; records: SourceRecord[] } | undefined {
    this.ensureLoaded();
    const g = this.resolver.memberOf(`pos:${storeMemberId}`);
    const m = g === undefined ? undefined : this.resolver.member(g);
    return m && { goldenId: m.id, records: m.records };
  }

  // ——— what it answers ———

  async member(id: string): Promise<StoredGolden | { mergedInto: string }> {
    // While the resolver loads (tens of seconds at a million records) the stored members answer:
    // its own document, else its bucket's entry.
    const golden = this.loaded ? this.storedForm(id) : await this.storedMember(id);
    if (golden && !('gone' in golden)) return golden;
    if (golden?.mergedInto) return { mergedInto: golden.mergedInto };
    throw new AppError('member_not_found', `no golden member ${id}`);
  }

  private async storedMember(id: string): Promise<StoredGolden | GoneGolden | undefined> {
    const stored = await this.deps.db.storedMember<PackedGolden>(id);
    return stored && !('gone' in stored) ? unpackGolden(id, stored) : stored;
  }

  /** Which golden member holds a source record (`<source>:<id>`, or `pos:<member id>`). */
  memberOfRecord(recordId: string): string {
    this.ensureLoaded();
    const id = this.resolver.memberOf(recordId);
    if (!id) throw new AppError('not_found', `no source record ${recordId}`);
    return id;
  }

  /**
   * One-ID's figures and the spread of golden members by channels and by fields filled. The pass
   * over every member runs in slices, one pass at a time: callers while it runs share it, and its
   * answer serves until the resolver changes.
   */
  figures(): Promise<OneIdFigures> {
    this.ensureLoaded();
    const last = this.figuresPass;
    if (last && (last.running || last.changes === this.resolver.changes)) return last.figures;
    const changes = this.resolver.changes;
    // No other pass starts while this one runs: the one to mark is still this.figuresPass.
    const figures = this.sliced(this.resolver.countingFigures())
      .then((f) => f ?? Promise.reject(new AppError('unavailable', 'the hub is stopping')))
      .finally(() => (this.figuresPass!.running = false));
    this.figuresPass = { changes, running: true, figures };
    return figures;
  }

  quarantined() {
    this.ensureLoaded();
    return this.resolver.quarantined();
  }

  suggestions(limit: number) {
    return this.allSuggestions().slice(0, limit);
  }

  /** The suggestions that name this golden member (the member 360's panel). */
  suggestionsOf(memberId: string, limit: number) {
    return this.allSuggestions().filter((s) => s.a === memberId || s.b === memberId).slice(0, limit);
  }

  /**
   * Every suggestion, computed once per change: they are a pass over every golden member (1.7 s
   * at 200,000), and the console's member 360 asks for them on each opening. Any change to the
   * resolver goes through `apply`, which drops them, so they are never stale.
   */
  private allSuggestions(): readonly Suggestion[] {
    this.ensureLoaded();
    return (this.suggested ??= this.resolver.suggestions());
  }

  /** The source records a golden member is made of, as imported or registered (the member 360's panel). */
  sourceRecords(memberId: string): SourceRecord[] {
    this.ensureLoaded();
    const m = this.resolver.member(memberId);
    if (!m) throw new AppError('member_not_found', `no golden member ${memberId}`);
    return m.records;
  }

  /** How many of each decision operators have taken (accepted and rejected suggestions, splits, keys held and released). */
  decisionCounts(): Map<Decision['kind'], number> {
    this.ensureLoaded();
    const counts = new Map<Decision['kind'], number>([['link', 0], ['reject', 0], ['split', 0], ['quarantine', 0], ['release', 0]]);
    for (const d of this.resolver.decisions()) counts.set(d.kind, (counts.get(d.kind) ?? 0) + 1);
    return counts;
  }

  // ——— for the profile engine (decision 021): who is who now, and when that changes ———

  /** Calls `listener` with the golden members each change touches (a record added, a merge, a split). */
  onMembersChanged(listener: (goldenIds: string[]) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Calls `listener` when a bulk change (imports) begins and ends: the members it touches are
   * told to `onMembersChanged` listeners all the same, for those that would rather take every
   * member once at its end.
   */
  onBulkChange(listener: (under: boolean) => void): void {
    this.bulkListeners.push(listener);
  }

  /** ImportSink: imports are under way (until the last one queued has ended, stored or failed). */
  importing(under: boolean): void {
    if (under === this.bulk) return;
    this.bulk = under;
    for (const l of this.bulkListeners) l(under);
  }

  /** Resolves once load() is done. */
  whenLoaded(): Promise<void> {
    return this.loadedOnce;
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  /** The golden member a source record is in now; undefined while loading or for no such record. */
  goldenOf(recordId: string): string | undefined {
    return this.loaded ? this.resolver.memberOf(recordId) : undefined;
  }

  hasGolden(id: string): boolean {
    return this.loaded && this.resolver.has(id);
  }

  goldenMember(id: string): GoldenMember | undefined {
    return this.loaded ? this.resolver.member(id) : undefined;
  }

  /** The store member ids a golden member holds (`pos:` records), in no particular order; none while loading. */
  storeMembersOf(id: string): string[] {
    return this.loaded ? this.resolver.storeMemberIdsOf(id) : [];
  }

  goldenIds(): Iterable<string> {
    return this.loaded ? this.resolver.memberIds() : [];
  }

  /**
   * Every golden member's id, `size` at a time, walking the resolver's record numbers: a compute of
   * the whole base reads them between event-loop turns. A list of every id first was ~70 bytes a
   * member (700 MB at 10M members) and held the event loop for seconds at 2M records. A member
   * made or merged meanwhile may be met twice or not at all: One-ID tells the engine of it anyway.
   */
  *goldenIdSlices(size: number): Generator<string[]> {
    if (!this.loaded) return;
    const resolver = this.resolver;
    let slice: string[] = [];
    for (let i = 0; i < resolver.recordCount; i++) {
      const r = resolver.namingRecordAt(i);
      if (r < 0) continue;
      slice.push(resolver.memberIdAt(r));
      if (slice.length === size) yield slice, (slice = []);
    }
    if (slice.length > 0) yield slice;
  }

  /** Bytes One-ID's typed arrays hold, room to grow included (the status file). */
  arrayBytes(): number {
    return heldBytes(this.resolver) + heldBytes(this.storeMembers);
  }

  /** How many golden members there are now (none while loading). */
  get goldenCount(): number {
    return this.loaded ? this.resolver.memberCount : 0;
  }

  /** Operators' splits that named any of these records (the timeline shows them). */
  splitsOf(recordIds: readonly string[]): { at: string; by: string; groups: string[][] }[] {
    if (!this.loaded) return [];
    const mine = new Set(recordIds);
    return this.resolver.decisions().flatMap((d) => (d.kind === 'split' && d.groups.some((g) => g.some((r) => mine.has(r))) ? [{ at: d.at, by: d.by, groups: d.groups }] : []));
  }

  // ——— bookkeeping ———

  private current(id: string): string {
    let cur = id;
    for (let hops = 0; hops < 64 && this.retired.has(cur); hops++) cur = this.retired.get(cur)!;
    return cur;
  }

  /** Notes what a resolver call changed: buckets to rewrite, ids retired, store members merged. */
  private apply(changes: Changes & { memberId?: string }) {
    this.suggested = undefined;
    if (this.listeners.length > 0) {
      const ids = [...(changes.memberId ? [changes.memberId] : []), ...changes.merged.flatMap((m) => [m.survivor, m.loser]), ...changes.split.flatMap((s) => [s.from, ...s.into])];
      if (ids.length > 0) for (const l of this.listeners) l(ids);
    }
    if (changes.memberId) this.place(changes.memberId);
    for (const { survivor, loser } of changes.merged) {
      this.retired.set(loser, survivor);
      this.unplace(loser);
      this.place(survivor);
      if (this.isStoreMember(loser) && this.isStoreMember(survivor)) this.pendingStoreMerges.push({ survivor, loser });
    }
    for (const { from, into } of changes.split) {
      this.unplace(from);
      for (const id of into) {
        this.retired.delete(id);
        this.place(id);
      }
    }
  }

  private place(id: string) {
    // Past TOUCHED_ALL every member is stored anyway; `has` rebuilds ids, twice per record of an import.
    if (!this.touchedAll && this.resolver.has(id)) this.touch(id);
  }

  private unplace(id: string) {
    this.touch(id);
  }

  /** Notes a member to store; answers false once every member is (past TOUCHED_ALL). */
  private touch(id: string): boolean {
    if (this.touchedAll) return false;
    this.touched.add(id);
    if (this.touched.size < TOUCHED_ALL) return true;
    this.touchedAll = true;
    this.touched.clear();
    return false;
  }

  private get dirty(): boolean {
    return this.touchedAll || this.touched.size > 0;
  }

  /** Rewrites these golden-member buckets whole, each with the members whose id falls in it now. */
  private async writeBucketsOf(buckets: ReadonlySet<number>): Promise<void> {
    const byBucket = await this.membersByBucket(buckets);
    await this.deps.db.writeBuckets(buckets, (b) => {
      const out = dict<PackedGolden>();
      for (const r of byBucket.records(b)) {
        const id = this.resolver.memberIdAt(r);
        // Merged away since: the survivor was touched, and the next flush writes it.
        const m = this.resolver.member(id);
        if (m) out[id] = packGolden(goldenView(m));
      }
      return out;
    }, bucketsPerWrite(byBucket.members, buckets.size));
    this.bucketsWritten += buckets.size;
  }

  /**
   * The golden members whose id falls in these buckets, by bucket, as the numbers of the records
   * that name them: one pass over every member when buckets are written (an import's end, an
   * erasure), in typed arrays (ids as strings, with a Set to drop repeats, were ~100 bytes a
   * member: 800 MB at 15M records). The pass lets the event loop turn every 50,000 records (at 2M
   * records it held the hub for seconds); a member added meanwhile is written by the next flush.
   */
  private async membersByBucket(buckets: ReadonlySet<number>): Promise<{ members: number; records(bucket: number): Int32Array }> {
    const max = this.resolver.memberCount;
    const recs = new Int32Array(max);
    const bucketOfRec = new Uint16Array(max);
    const resolver = this.resolver;
    let n = 0;
    for (let i = 0; i < resolver.recordCount && n < max; i++) {
      if ((i + 1) % 50_000 === 0) await new Promise((resolve) => setImmediate(resolve));
      const r = resolver.namingRecordAt(i);
      if (r < 0) continue;
      const b = bucketOf(resolver.memberIdAt(r));
      if (!buckets.has(b)) continue;
      recs[n] = r;
      bucketOfRec[n] = b;
      n++;
    }
    const { sorted, starts } = groupByKey(recs.subarray(0, n), bucketOfRec, GOLDEN_BUCKETS);
    return { members: n, records: (bucket) => sorted.subarray(starts[bucket]!, starts[bucket + 1]!) };
  }

  /**
   * Writes the buckets changed since the last write, until none are left. `state:golden` says
   * `clean: false` whenever some change may not be stored yet, so a crash is made good by the
   * next load (which rewrites every bucket). It goes back to `clean: true` after a quiet second,
   * not after every write: a stream of single records pays for the flag once.
   */
  private async flush(): Promise<void> {
    while (this.flushing || this.dirty) await this.writeOnce();
  }

  /** One write of what is changed now, or the one under way. */
  private writeOnce(): Promise<void> {
    this.flushing ??= this.writeDirty().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /**
   * Single records come in streams: their golden members are written together, a moment later,
   * not one write each. Members changed during a write wait for the next moment (were they
   * written straight after it, a stream would make a write per record beside the record's own).
   */
  private flushSoon(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.writeOnce()
        .then(() => this.dirty && this.flushSoon())
        .catch((err) => this.deps.log.warn('storing golden members failed; the next load redoes it', { err: String(err) }));
    }, 200);
  }

  /**
   * Stores the golden members changed since the last write, once (flush() repeats it until none
   * are left). A few changed members (single records, a store's registrations, an operator's
   * decision) are written one document each; many (an import, a load after a crash) rewrite
   * their buckets whole, which then hold those members as they are, so the members' own
   * documents go.
   */
  private async writeDirty(): Promise<void> {
    if (this.dirty) {
      await this.markDirty();
      const all = this.touchedAll;
      const ids = all ? [] : [...this.touched];
      this.touched.clear();
      this.touchedAll = false;
      if (!all && ids.length < Math.max(1000, this.resolver.size / OWN_DOCS_SHARE)) {
        await this.deps.db.writeMembers(ids.map((id): [string, PackedGolden | GoneGolden] => {
          const form = this.storedForm(id);
          return [id, 'gone' in form ? form : packGolden(form)];
        }));
        for (const id of ids) this.ownDocs.add(id);
      } else {
        const buckets = all ? new Set(Array.from({ length: GOLDEN_BUCKETS }, (_, b) => b)) : new Set(ids.map(bucketOf));
        await this.writeBucketsOf(buckets);
        const superseded = [...this.ownDocs].filter((id) => buckets.has(bucketOf(id)) && !this.touched.has(id));
        await this.deps.db.dropMembers(superseded);
        for (const id of superseded) this.ownDocs.delete(id);
      }
    }
    clearTimeout(this.cleanTimer);
    this.cleanTimer = setTimeout(() => void this.markClean(), 1000);
    this.cleanTimer.unref();
  }

  /** A golden member as it is answered now (and stored, packed): its view, or gone (and where to). */
  private storedForm(id: string): StoredGolden | GoneGolden {
    const m = this.resolver.member(id);
    if (m) return goldenView(m);
    const into = this.retired.get(id);
    return into === undefined ? { gone: true } : { gone: true, mergedInto: this.current(into) };
  }

  private async markDirty(): Promise<void> {
    if (this.cleanInDb) await this.setFlag(false);
  }

  private async markClean(): Promise<void> {
    if (!this.dirty && !this.flushing && !this.cleanInDb) await this.setFlag(true);
  }

  /** Stores what is not stored yet (the hub is stopping). */
  async close(): Promise<void> {
    this.closing = true;
    await this.loading?.catch(() => false);
    clearTimeout(this.cleanTimer);
    clearTimeout(this.flushTimer);
    clearInterval(this.quietTimer);
    this.quietTimer = undefined;
    this.flushTimer = undefined;
    if (!this.loaded) return;
    await this.flush();
    await this.markClean();
    await this.flag;
    await this.writeSnapshot('clean stop');
  }

  private setFlag(clean: boolean): Promise<void> {
    this.cleanInDb = clean;
    this.flag = this.flag.catch(() => undefined).then(async () => {
      await this.deps.db.update('state:golden', () => ({ _id: 'state:golden', clean }));
    });
    return this.flag;
  }

  private async projectStoreMerges(): Promise<void> {
    const merges = this.pendingStoreMerges;
    this.pendingStoreMerges = [];
    for (const { survivor, loser } of merges) {
      await this.deps.members.merge(loser, survivor, this.deps.clock());
      this.deps.log.info('store members merged', { survivor, loser });
    }
  }
}
