import { createHash } from 'node:crypto';
import type { Log } from '../../shared/cli/log.ts';
import type { Profile, ProfileValue } from '../../shared/profile/fields.ts';
import type { StoreProfileDoc } from '../../shared/schemas/documents.ts';
import type { Couch, Doc } from '../couch/couch.ts';
import type { MemberList } from './member-numbers.ts';
import { storeDbName } from '../couch/databases.ts';

/** Members handled per round trip (their stores read at once, their documents written per store in one bulk). */
const BATCH = 500;
/** Categories a guide is told about. */
const TOP_CATEGORIES = 3;

export const storeProfileId = (memberId: string) => `profile:${memberId}`;

export interface StoreProfilesDeps {
  couch: Couch;
  log: Log;
  clock: () => Date;
  /** The profile today (with stage and RFM) and the golden members by number. */
  profiles: {
    profile(goldenId: string): Profile | undefined;
    members(): MemberList;
    /** The profile as the last compute left it in the columns: the pass over the whole base, just after that compute, reads it rather than computing every member again. */
    computedProfile?(goldenId: string): Profile | undefined;
  };
  /** A golden member's store member ids (One-ID's records of store registrations). */
  storeMembersOf(goldenId: string): readonly string[];
  /** The member id stores know a store member by now (merges at the hub), and the stores that serve them. */
  members: { canonical(memberId: string): string; relevantStoresOf(memberIds: string[]): Promise<Map<string, string[]>> };
  recommendations(skuScore: ProfileValue | undefined): { sku: string; score: number }[];
  /** A tag's names for the guide (zh-CN and English), when the tag rules know it. */
  tagNames?: TagNamesOf;
}

/** What a store's replica holds of a member's profile, without its id, hash and time. */
/** A tag's names: both languages (a rule's), or one name (older callers). */
export type TagNamesOf = (code: string) => { 'zh-CN': string; en: string } | string | undefined;

export type StoreProfileContent = Pick<StoreProfileDoc, 'memberId' | 'stage' | 'rfmSegment' | 'rfm' | 'tags' | 'topCategories' | 'recommendations'>;

/**
 * The compact profile documents in the stores' replicas (issue 12, decision 024): for every
 * store member of a golden member, `profile:<member id>` in the database of each store that
 * serves them (the home store and those that looked them up, as for every other document of the
 * member: decision 004), with the tags, stage, RFM segment, top categories and recommendations.
 *
 * Written only when its content changes: the content's hash is in the document, and the hash
 * last written per store and member is remembered; one not remembered (after a restart) is read
 * from the store's database before anything is written. A nightly recompute with no new facts
 * therefore writes nothing, and neither does the first run after a restart.
 *
 * A store that starts serving a member (a lookup) receives the profile on the member's next
 * change or the next nightly run.
 */
export class StoreProfiles {
  private readonly written = new Map<string, string>();
  /** Members whose documents could not be written: tried again with the next run. */
  private readonly retry = new Set<string>();
  lastRun: { all: boolean; members: number; documents: number; written: number; ms: number; at: string } | undefined;
  /** Passes over the whole base so far (the start and each nightly run). */
  fullRuns = 0;
  private stopped = false;

  constructor(private readonly deps: StoreProfilesDeps) {}

  /**
   * The hub is stopping: a pass gives up between batches. A pass over a million members takes
   * minutes, and the hub's stop waited for it; what is left is written by the next start's pass
   * over the whole base, which compares every member's documents anyway.
   */
  stop(): void {
    this.stopped = true;
  }

  /** The members recomputed ('all': the whole base): their documents written where they changed. Never throws. */
  async computed(goldenIds: readonly string[] | 'all'): Promise<void> {
    const t0 = performance.now();
    const all = goldenIds === 'all';
    const again = [...this.retry];
    this.retry.clear();
    // Every member is read by number a batch at a time: a list of a whole base's ids took ~70
    // bytes a member (700 MB at 10M). A number freed meanwhile (a merge) is skipped; a new member
    // has its own pass.
    const batches = all ? memberBatches(this.deps.profiles.members(), again) : chunks([...new Set([...goldenIds, ...again])]);
    let members = 0, documents = 0, written = 0;
    for (const batch of batches) {
      if (this.stopped) break;
      members += batch.length;
      try {
        const r = await this.syncBatch(batch, all);
        documents += r.documents;
        written += r.written;
      } catch (err) {
        for (const g of batch) this.retry.add(g);
        this.deps.log.warn('profiles: store documents not written; tried again with the next change', { members: batch.length, err: String(err) });
      }
    }
    this.lastRun = { all, members, documents, written, ms: Math.round(performance.now() - t0), at: this.deps.clock().toISOString() };
    if (all) this.fullRuns++;
    if (all || written > 0) this.deps.log.info('profiles: store documents', this.lastRun);
  }

  private async syncBatch(goldenIds: readonly string[], all: boolean): Promise<{ documents: number; written: number }> {
    const contents = new Map<string, StoreProfileContent>();
    const goldenOf = new Map<string, string>();
    const computed = all ? this.deps.profiles.computedProfile?.bind(this.deps.profiles) : undefined;
    for (const g of goldenIds) {
      // Members known to no store (online channels only) have no document: their profile is not computed for nothing.
      const storeMembers = new Set(this.deps.storeMembersOf(g).map((id) => this.deps.members.canonical(id)));
      if (storeMembers.size === 0) continue;
      const p = computed ? (computed(g) ?? this.deps.profiles.profile(g)) : this.deps.profiles.profile(g);
      if (!p) continue;
      const recs = this.deps.recommendations(p.get('skuScore'));
      for (const m of storeMembers) contents.set(m, storeProfileContent(m, p, recs, this.deps.tagNames)), goldenOf.set(m, g);
    }
    const stores = await this.deps.members.relevantStoresOf([...contents.keys()]);
    const byStore = new Map<string, { memberId: string; hash: string }[]>();
    let documents = 0;
    for (const [memberId, c] of contents) {
      const hash = contentHash(c);
      for (const store of stores.get(memberId) ?? []) {
        documents++;
        if (this.written.get(key(store, memberId)) === hash) continue;
        const l = byStore.get(store);
        if (l) l.push({ memberId, hash });
        else byStore.set(store, [{ memberId, hash }]);
      }
    }
    let written = 0;
    const at = this.deps.clock().toISOString();
    for (const [store, wanted] of byStore) {
      const db = storeDbName(store);
      const held = await this.deps.couch.fetchDocs<Doc>(db, wanted.map((w) => storeProfileId(w.memberId)));
      const docs: Doc[] = [];
      wanted.forEach((w, i) => {
        const cur = held[i];
        if (cur?.hash === w.hash) return void this.written.set(key(store, w.memberId), w.hash);
        const doc: StoreProfileDoc = { _id: storeProfileId(w.memberId), ...(cur?._rev ? { _rev: cur._rev } : {}), type: 'profile', ...contents.get(w.memberId)!, hash: w.hash, at };
        docs.push(doc as unknown as Doc);
      });
      if (docs.length === 0) continue;
      const results = await this.deps.couch.bulk(db, docs);
      results.forEach((r, i) => {
        const memberId = docs[i]!.memberId as string;
        if (r.error) this.written.delete(key(store, memberId)), this.retry.add(goldenOf.get(memberId)!);
        else written++, this.written.set(key(store, memberId), docs[i]!.hash as string);
      });
    }
    return { documents, written };
  }
}

const key = (store: string, memberId: string) => `${store}\u0000${memberId}`;

/** The content's hash: what decides whether a store's document is written again. */
export function contentHash(c: StoreProfileContent): string {
  return createHash('sha256').update(JSON.stringify([c.memberId, c.stage ?? null, c.rfmSegment ?? null, c.rfm ?? null, c.tags, c.topCategories, c.recommendations])).digest('hex').slice(0, 32);
}

/**
 * What a store is told of a member: only what a guide talks about, nothing that changes by
 * itself from day to day (scores decay every day: the top categories and items are kept, their
 * scores are not).
 *
 * @example storeProfileContent('M1', profile, [{ sku: 'GRINDER', score: 7000 }]) // { memberId: 'M1', stage: 'active', … }
 */
export function storeProfileContent(memberId: string, p: Profile, recs: readonly { sku: string }[], tagNames?: TagNamesOf): StoreProfileContent {
  const stage = p.get('stage');
  const segment = p.get('rfmSegment');
  const [r, f, m] = ['rfmR', 'rfmF', 'rfmM'].map((n) => p.get(n));
  const tags = p.get('tags');
  const categories = p.get('categoryScore');
  return {
    memberId,
    ...(typeof stage === 'string' ? { stage: stage as StoreProfileDoc['stage'] } : {}),
    ...(typeof segment === 'string' ? { rfmSegment: segment as StoreProfileDoc['rfmSegment'] } : {}),
    ...(typeof r === 'number' && typeof f === 'number' && typeof m === 'number' ? { rfm: { r, f, m } } : {}),
    tags: tags instanceof Set ? [...(tags as ReadonlySet<string>)].sort().map((code) => storeTag(code, tagNames?.(code))) : [],
    topCategories:
      categories instanceof Map
        ? [...(categories as ReadonlyMap<string, number>)]
            .filter(([, s]) => s > 0)
            .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
            .slice(0, TOP_CATEGORIES)
            .map(([c]) => c)
        : [],
    recommendations: recs.map((x) => x.sku),
  };
}

/**
 * A tag as a store reads it: its code, `name` (zh-CN: what a guide of an older release shows
 * whatever its language) and, from this release, `names` in both languages (decision 025).
 */
function storeTag(code: string, names: ReturnType<TagNamesOf>): StoreProfileContent['tags'][number] {
  if (names === undefined) return { code };
  if (typeof names === 'string') return { code, name: names };
  return { code, name: names['zh-CN'], names: { 'zh-CN': names['zh-CN'], en: names.en } };
}

const chunks = (list: readonly string[]): string[][] => Array.from({ length: Math.ceil(list.length / BATCH) }, (_, i) => list.slice(i * BATCH, (i + 1) * BATCH));

/** Every member's id, by number, BATCH at a time, then those of `again` not among them. */
function* memberBatches(ids: MemberList, again: readonly string[]): Generator<string[]> {
  let batch: string[] = [];
  for (let n = 0; n < ids.length; n++) {
    const g = ids.at(n);
    if (g === undefined) continue;
    batch.push(g);
    if (batch.length === BATCH) yield batch, (batch = []);
  }
  if (batch.length > 0) yield batch;
  // Members merged away since their pass failed have no number: their store documents go with the survivor's.
  yield* chunks(again);
}
