import { Clusters } from './clusters.ts';
import { goldenIdOf } from './golden-id.ts';
import { isJunkKey, keyType, LINK_KEY_TYPES, type LinkKeyType } from './keys.ts';
import { MemberIndex } from './member-index.ts';
import { fieldBit, fieldsFilled } from './completeness.ts';
import { grow } from './compact.ts';
import { FiguresTally, type OneIdFigures } from './metrics.ts';
import type { SourceRecord } from './record.ts';
import { RecordStore } from './record-store.ts';
import type { SnapshotArray } from './snapshot-codec.ts';
import { suggestMatches, type LookalikeMember, type Suggestion } from './suggest.ts';
import { goldenIdentities, goldenProfile, sourceRanker, type GoldenIdentities, type GoldenProfile } from './survivorship.ts';

/*
 * The One-ID resolver: links source records that share an identity key into golden members,
 * record by record (`add`) or all at once (`resolveAll`), with the same result either way.
 *
 * - A key carried by more distinct records than its type's limit, or that looks fake
 *   (`isJunkKey`), is quarantined: it links nothing, and the links it made are undone.
 * - An operator's split labels each group's records; a link that would put two groups of one
 *   split back together is refused (reported as `blocked`). Where such labels make the outcome
 *   depend on the order of links, the component is resolved in a canonical order (keys by
 *   type then value, records by id), so the result never depends on arrival order.
 * - A golden member is named by its best record: the oldest non-provisional store member, else
 *   the oldest provisional one, else `goldenIdOf(smallest record id)`. When clusters merge the
 *   best record of the union is one of the two, so one id survives and the other becomes its
 *   alias (`merged: [{ survivor, loser }]`).
 *
 * It holds no I/O: the hub feeds it records and writes what the results say (aliases, merge
 * history, quarantine list). Replaying the same calls in the same order rebuilds the same state.
 */

export interface ResolverOptions {
  /** Sources from the most to the least trusted, for survivorship. */
  sourcePriority: string[];
  /** Distinct records a key may be carried by before it is quarantined; default 10 per type. */
  keyLimits?: Partial<Record<LinkKeyType, number>>;
  /**
   * Distinct phones the records carrying one card, unionId, openId, Tmall nick or JD PIN may
   * have before the key is quarantined as shared (a family card lent to three people); default 2,
   * so one changed or mistyped number still links. A card on three records of one source is
   * shared too.
   */
  maxPhonesPerKey?: number;
  /** Distinct cards the records carrying one phone may have (a phone typed for others' cards); default 3. */
  maxCardsPerPhone?: number;
}

/** One spanning link of a member: records `a` and `b` share `key`; `at` is when the later of them arrived. */
export interface Link {
  a: string;
  b: string;
  key: string;
  at: string;
}

/** A link an operator's split refused. */
export interface Blocked {
  key: string;
  a: string;
  b: string;
}

export interface Changes {
  /** `loser` is now an alias of `survivor`. */
  merged: { survivor: string; loser: string }[];
  /** The records of `from` now live in the members `into` (`from` itself may be one of them). */
  split: { from: string; into: string[] }[];
  /** Keys quarantined by this call. */
  quarantined: string[];
  blocked: Blocked[];
}

export interface AddResult extends Changes {
  /** The golden member the record is now part of. */
  memberId: string;
}

export type QuarantineReason = 'junk' | 'limit' | 'conflict' | 'manual';

export interface QuarantinedKey {
  key: string;
  /** Distinct records carrying it. */
  records: number;
  reason: QuarantineReason;
}

export interface GoldenMember {
  id: string;
  records: SourceRecord[];
  /** Every key of its records; `quarantinedKeys` are those that link nothing. */
  keys: string[];
  quarantinedKeys: string[];
  /** The spanning links that hold it together (records − 1 of them). */
  links: Link[];
  sources: string[];
  profile: GoldenProfile;
  identities: GoldenIdentities;
}

export type Decision =
  | { kind: 'split'; memberId: string; groups: string[][]; by: string; at: string }
  | { kind: 'release' | 'quarantine'; key: string; by: string; at: string }
  | { kind: 'link'; a: string; b: string; records: [string, string]; by: string; at: string }
  | { kind: 'reject'; a: string; b: string; records: [string, string]; by: string; at: string };

const DEFAULT_LIMIT = 10;
// Key states.
const UNSEEN = 255;
const LINKS = 0;
const JUNK = 1;
const OVER_LIMIT = 2;
const HELD = 3;
/** Released by an operator: links whatever its count. */
const RELEASED = 4;
const PHONE_KIND = LINK_KEY_TYPES.indexOf('phone');
/** Carriers that disagree on another key: the key is shared by different people. */
const CONFLICT = 5;
const REASONS: Record<number, QuarantineReason> = { [JUNK]: 'junk', [OVER_LIMIT]: 'limit', [CONFLICT]: 'conflict', [HELD]: 'manual' };
const CARD_KIND = LINK_KEY_TYPES.indexOf('card');
const PHONE_FIELD = fieldBit('phone');
const CARD_FIELD = fieldBit('cardNo');

/** What a snapshot keeps beside the arrays: counts and the operators' decisions, small. */
export interface ResolverStateMeta {
  count: number;
  slots: number;
  edges: number;
  keys: number;
  members: { live: number; taken: number };
  splits: number;
  labels: [number, number[]][];
  rootLabels: [number, [number, number][]][];
  manualKeys: [number, string[]][];
  rejected: [number, number][];
  log: Decision[];
}

export class Resolver {
  private store = new RecordStore();
  private readonly clusters = new Clusters((a, b) => this.names(a, b));
  private state = new Uint8Array(0);
  private readonly limits: number[];
  /** Golden member id → its best record. */
  private readonly byMemberId = new MemberIndex((i) => this.idOfRecord(i));
  /** Per labelled record: [split, group, split, group, …]. */
  private readonly labels = new Map<number, number[]>();
  /** Per cluster root with labels: split → group. */
  private readonly rootLabels = new Map<number, Map<number, number>>();
  private readonly manualKeys = new Map<number, string[]>();
  private readonly rejected: [number, number][] = [];
  private readonly log: Decision[] = [];
  private splits = 0;
  /** Scratch for `countingFigures`: the distinct sources of the member being counted. */
  private sourcesSeen = new Uint16Array(16);
  private changeCount = 0;
  private readonly ranker: (source: string) => number;
  private readonly ranks = new Map<number, number>();
  private mark = new Int32Array(0);
  private stamp = 0;

  constructor(private readonly opts: ResolverOptions) {
    this.ranker = sourceRanker(opts.sourcePriority);
    this.limits = LINK_KEY_TYPES.map((t) => (t === 'member' || t === 'manual' ? Infinity : (opts.keyLimits?.[t] ?? DEFAULT_LIMIT)));
  }

  get size(): number {
    return this.store.count;
  }

  /**
   * Counts the calls that may change the state (add, resolveAll, decisions): a snapshot written
   * a slice at a time (hub/identity/snapshot-file.ts) is given up when it moves, since the
   * arrays written after that would not be the state the first ones were.
   */
  get changes(): number {
    return this.changeCount;
  }

  /**
   * Adds a record (or replaces the one with its id) and links it through its keys.
   *
   * @param at when it arrived (default: its `observedAt`); links are dated by it.
   * @example resolver.add(record) // { memberId: 'G…', merged: [], split: [], quarantined: [], blocked: [] }
   */
  add(record: SourceRecord, at?: string): AddResult {
    this.changeCount++;
    const existing = this.store.indexOf(record.id);
    if (existing !== undefined) return this.replace(existing, record);
    const keys = RecordStore.linkKeys(record);
    const { index: i } = this.store.put(record, Date.parse(at ?? record.observedAt), keys);
    this.clusters.reset(i);
    const quarantined = this.classify(this.store.keysOfRecord(i));
    const linking = this.store.keysOfRecord(i).filter((k) => this.links(k));

    // Which clusters the record joins; any with split labels needs the canonical order.
    const anchors: [number, number][] = [];
    let labelled = false;
    for (const k of linking) {
      const c = this.otherCarrier(k, i);
      if (c < 0) continue;
      anchors.push([k, c]);
      if (this.rootLabels.has(this.clusters.find(c))) labelled = true;
    }
    if (quarantined.length || labelled) {
      const seeds = [i, ...quarantined.flatMap((k) => this.store.carriers(k))];
      const changes = this.reresolve(seeds);
      return { memberId: this.idOf(this.clusters.find(i)), ...changes, quarantined: quarantined.map((k) => this.store.key(k)) };
    }

    const before = new Map<number, string>();
    for (const [, c] of anchors) {
      const r = this.clusters.find(c);
      if (!before.has(r)) before.set(r, this.idOf(r));
    }
    for (const [k, c] of anchors) this.clusters.union(i, c, k);
    const root = this.clusters.find(i);
    const memberId = this.idOf(root);
    const merged: Changes['merged'] = [];
    for (const old of new Set(before.values())) {
      this.byMemberId.delete(old);
      if (old !== memberId) merged.push({ survivor: memberId, loser: old });
    }
    this.byMemberId.set(memberId, this.clusters.bestOf(root));
    return { memberId, merged, split: [], quarantined: [], blocked: [] };
  }

  /**
   * Re-resolves every record from scratch (a start without a snapshot, after replaying the
   * operators' decisions), respecting quarantine and splits. Returns how members changed since
   * before. The same work as `resolvingAll()`, at once.
   */
  resolveAll(): Changes {
    return toEnd(this.resolvingAll());
  }

  /**
   * `resolveAll` a slice at a time: it yields every `slice` records or keys (2.5 min of one
   * synchronous pass at 15M records, with the hub answering nothing). The state is half built
   * between two slices: no other call may touch the resolver until it returns.
   */
  *resolvingAll(slice = 200_000): Generator<void, Changes> {
    this.changeCount++;
    const n = this.store.count;
    const oldRoot = new Int32Array(n);
    const oldBest = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const r = this.clusters.find(i);
      oldRoot[i] = r;
      if (r === i) oldBest[i] = this.clusters.bestOf(r);
      if (i % slice === slice - 1) yield;
    }
    this.clusters.clearEdges();
    this.rootLabels.clear();
    for (let i = 0; i < n; i++) this.clusters.reset(i);
    yield;
    const { store } = this;
    const quarantined: string[] = [];
    for (let k0 = 0; k0 < store.keyTotal; k0 += slice) {
      for (const k of this.classify(keyRange(k0, Math.min(k0 + slice, store.keyTotal)))) quarantined.push(store.key(k));
      yield;
    }
    for (let k = 0; k < store.keyTotal; k++) {
      if (k % slice === slice - 1) yield;
      if (store.keyCount[k]! < 2 || !this.links(k)) continue;
      const first = store.firstCarrier(k);
      for (let s = store.slotNext[store.keyHead[k]!]!; s !== -1; s = store.slotNext[s]!) this.clusters.union(first, store.slotRec[s]!, k);
    }
    const blocked: Blocked[] = [];
    if (this.labels.size) {
      // Components where two groups of one split met: redo them in the canonical order.
      const seen = new Map<number, Map<number, number>>();
      const conflicted = new Set<number>();
      for (const [rec, pairs] of this.labels) {
        const root = this.clusters.find(rec);
        let m = seen.get(root);
        if (!m) seen.set(root, (m = new Map()));
        for (let j = 0; j < pairs.length; j += 2) {
          const g = m.get(pairs[j]!);
          if (g !== undefined && g !== pairs[j + 1]) conflicted.add(root);
          m.set(pairs[j]!, pairs[j + 1]!);
        }
      }
      for (const root of conflicted) blocked.push(...this.relink(this.clusters.members(root)));
      for (const rec of this.labels.keys()) this.labelRoot(this.clusters.find(rec), rec);
      yield;
    }

    const changes = yield* this.diffing(
      { length: n, at: (j) => j },
      (i) => oldRoot[i]!,
      (r) => this.idOfRecord(oldBest[r]!),
      (r) => oldBest[r]!,
      slice,
    );
    this.byMemberId.clear();
    for (let i = 0; i < n; i++) {
      if (this.clusters.find(i) === i) this.byMemberId.set(this.idOf(i), this.clusters.bestOf(i));
      if (i % slice === slice - 1) yield;
    }
    return { ...changes, quarantined, blocked };
  }

  /**
   * An operator's undo of a merge: the member's records in different `groups` are kept apart
   * from now on, by this and every later resolution. Records in no group go wherever their keys
   * take them. Groups may not separate records of one store member.
   */
  split(memberId: string, groups: string[][], by: string, at: string): Changes {
    this.changeCount++;
    const root = this.rootOf(memberId);
    if (root === undefined) throw new Error(`no member ${memberId}`);
    if (groups.filter((g) => g.length).length < 2) throw new Error('a split needs two non-empty groups');
    const seen = new Set<number>();
    const storeMember = new Map<string, number>();
    const indexes = groups.map((g, gi) =>
      g.map((id) => {
        const i = this.store.indexOf(id);
        if (i === undefined || this.clusters.find(i) !== root) throw new Error(`record ${id} is not part of ${memberId}`);
        if (seen.has(i)) throw new Error(`record ${id} is in two groups`);
        seen.add(i);
        const m = this.store.memberId(i);
        if (m !== undefined && (storeMember.get(m) ?? gi) !== gi) throw new Error(`store member ${m} cannot be split`);
        if (m !== undefined) storeMember.set(m, gi);
        return i;
      }),
    );
    const d = this.splits++;
    indexes.forEach((g, gi) => {
      for (const i of g) {
        const l = this.labels.get(i) ?? [];
        l.push(d, gi);
        this.labels.set(i, l);
      }
    });
    this.log.push({ kind: 'split', memberId, groups, by, at });
    return this.reresolve(this.clusters.members(root));
  }

  /** An operator's reversal of a quarantine: the key links again, whatever its count. */
  release(key: string, by: string, at: string): Changes {
    this.changeCount++;
    const k = this.store.keyOf(key);
    if (k === undefined) throw new Error(`unknown key ${key}`);
    this.state[k] = RELEASED;
    this.log.push({ kind: 'release', key, by, at });
    return this.reresolve(this.store.carriers(k));
  }

  /** An operator quarantines a key by hand (a shared family card the limits let through). */
  quarantine(key: string, by: string, at: string): Changes {
    this.changeCount++;
    if (keyType(key) === 'member') throw new Error('a store member id cannot be quarantined');
    const k = this.store.keyOf(key);
    if (k === undefined) throw new Error(`unknown key ${key}`);
    this.state[k] = HELD;
    this.log.push({ kind: 'quarantine', key, by, at });
    return { ...this.reresolve(this.store.carriers(k)), quarantined: [key] };
  }

  /** An operator accepts a suggestion: the two members become one, as if they shared a key. */
  link(a: string, b: string, by: string, at: string): Changes {
    this.changeCount++;
    const ra = this.rootOf(a);
    const rb = this.rootOf(b);
    if (ra === undefined || rb === undefined) throw new Error(`no member ${ra === undefined ? a : b}`);
    const key = `manual:${this.log.length + 1}`;
    const recs: [number, number] = [this.clusters.bestOf(ra), this.clusters.bestOf(rb)];
    for (const i of recs) {
      const extra = [...(this.manualKeys.get(i) ?? []), key];
      this.manualKeys.set(i, extra);
      this.store.setKeys(i, [...this.store.keysOfRecord(i).map((k) => this.store.key(k)), key]);
    }
    this.classify(this.store.keysOfRecord(recs[0]));
    this.log.push({ kind: 'link', a, b, records: [this.store.id(recs[0]), this.store.id(recs[1])], by, at });
    return this.reresolve(recs);
  }

  /** An operator rejects a suggestion: the pair is not suggested again. */
  reject(a: string, b: string, by: string, at: string): void {
    this.changeCount++;
    const ra = this.rootOf(a);
    const rb = this.rootOf(b);
    if (ra === undefined || rb === undefined) throw new Error(`no member ${ra === undefined ? a : b}`);
    const pair: [number, number] = [this.clusters.bestOf(ra), this.clusters.bestOf(rb)];
    this.rejected.push(pair);
    this.log.push({ kind: 'reject', a, b, records: [this.store.id(pair[0]), this.store.id(pair[1])], by, at });
  }

  /**
   * Re-applies stored decisions (oldest first) after a restart has added every record again:
   * their labels, key states and operator links, without checks against a state that no longer
   * exists. Call `resolveAll()` after. Records a decision names that are gone are skipped.
   */
  replay(decisions: readonly Decision[]): void {
    this.changeCount++;
    const { store } = this;
    this.classify([]); // sizes the key states for every key loaded
    const index = (id: string) => store.indexOf(id);
    for (const d of decisions) {
      switch (d.kind) {
        case 'split': {
          const s = this.splits++;
          d.groups.forEach((g, gi) => {
            for (const i of g.map(index)) if (i !== undefined) this.labels.set(i, [...(this.labels.get(i) ?? []), s, gi]);
          });
          break;
        }
        case 'release':
        case 'quarantine': {
          const k = store.keyOf(d.key);
          if (k !== undefined) this.state[k] = d.kind === 'release' ? RELEASED : HELD;
          break;
        }
        case 'link': {
          const key = `manual:${this.log.length + 1}`;
          for (const i of d.records.map(index)) {
            if (i === undefined) continue;
            this.manualKeys.set(i, [...(this.manualKeys.get(i) ?? []), key]);
            store.setKeys(i, [...store.keysOfRecord(i).map((k) => store.key(k)), key]);
          }
          this.classify([]);
          break;
        }
        case 'reject': {
          const [a, b] = d.records.map(index);
          if (a !== undefined && b !== undefined) this.rejected.push([a, b]);
          break;
        }
      }
      this.log.push(d);
    }
  }

  /** Every operator decision, oldest first. */
  decisions(): readonly Decision[] {
    return this.log;
  }

  /** The golden member with this id, or undefined (an id that merged away is not found). */
  member(memberId: string): GoldenMember | undefined {
    const root = this.rootOf(memberId);
    return root === undefined ? undefined : this.golden(root);
  }

  /** The store member ids among a golden member's records (cheaper than `member`: no survivorship). */
  storeMemberIdsOf(memberId: string): string[] {
    const root = this.rootOf(memberId);
    if (root === undefined) return [];
    const out: string[] = [];
    for (const i of this.clusters.members(root)) {
      const id = this.store.memberId(i);
      if (id) out.push(id);
    }
    return out;
  }

  /** Whether a golden member has this id now (cheaper than `member`). */
  has(memberId: string): boolean {
    return this.rootOf(memberId) !== undefined;
  }

  /** The id of the golden member a record belongs to. */
  memberOf(recordId: string): string | undefined {
    const i = this.store.indexOf(recordId);
    return i === undefined ? undefined : this.idOf(this.clusters.find(i));
  }

  /** How many golden members there are. */
  get memberCount(): number {
    return this.byMemberId.size;
  }

  /** How many records there are: numbers 0 … recordCount − 1 (they only grow). */
  get recordCount(): number {
    return this.store.count;
  }

  /**
   * The record naming the golden member whose cluster record `i` is the root of, or -1 when `i` is
   * no root (`memberIdAt` gives the member's id): a walk over record numbers meets every member
   * once, without an id string held for each, and may pause between records (no iterator that a
   * record added meanwhile could rearrange). Changes made while it pauses may or may not be seen.
   */
  namingRecordAt(i: number): number {
    if (this.clusters.find(i) !== i) return -1;
    const best = this.clusters.bestOf(i);
    // A cluster whose id finds another cluster is no member: `memberCount` and `partition` count an id once (the property test meets such a case).
    return this.rootOf(this.idOfRecord(best)) === i ? best : -1;
  }

  /** The id of the golden member a record would name (it names one when `namingRecordAt` gives it). */
  memberIdAt(record: number): string {
    return this.idOfRecord(record);
  }

  /** Golden member ids, in no particular order. */
  memberIds(): Iterable<string> {
    return this.byMemberId.keys();
  }

  /** The partition: per golden member id, its record ids (sorted). For checks and exports. */
  partition(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (let i = 0; i < this.store.count; i++) {
      const id = this.idOf(this.clusters.find(i));
      const list = out.get(id);
      if (list) list.push(this.store.id(i));
      else out.set(id, [this.store.id(i)]);
    }
    for (const l of out.values()) l.sort();
    return out;
  }

  /** Quarantined keys with the number of records carrying each, most carried first. */
  quarantined(): QuarantinedKey[] {
    const out: QuarantinedKey[] = [];
    for (let k = 0; k < this.store.keyTotal; k++) {
      let reason = REASONS[this.state[k]!];
      // Which automatic reason was seen first depends on arrival order; the one reported does not.
      if (reason === 'limit' || reason === 'conflict') reason = this.store.keyCount[k]! > this.limits[this.store.keyKind[k]!]! ? 'limit' : 'conflict';
      if (reason) out.push({ key: this.store.key(k), records: this.store.keyCount[k]!, reason });
    }
    return out.sort((a, b) => b.records - a.records || (a.key < b.key ? -1 : 1));
  }

  /** Suggested matches between members that share no key; rejected and split-apart pairs left out. */
  suggestions(maxBucket?: number): Suggestion[] {
    const members = [...this.byMemberId.values()].map((best) => this.lookalikeOf(this.clusters.find(best)));
    const apart = new Set<string>();
    const pair = (x: string, y: string) => (x < y ? `${x}\u0000${y}` : `${y}\u0000${x}`);
    for (const [a, b] of this.rejected) apart.add(pair(this.idOf(this.clusters.find(a)), this.idOf(this.clusters.find(b))));
    return suggestMatches(members, {
      ...(maxBucket ? { maxBucket } : {}),
      excluded: (a, b) => apart.has(pair(a, b)) || this.keptApart(this.rootOf(a)!, this.rootOf(b)!),
    });
  }

  /** One-ID's figures and spread over every golden member, in one pass (see `countingFigures`). */
  figures(): OneIdFigures {
    return toEnd(this.countingFigures());
  }

  /**
   * `figures` a slice at a time: it yields every `slice` records or keys (a pass over 15M records
   * takes seconds). No allocation per member: at 15M records a pass that built a Set and arrays
   * per member held the hub's thread for minutes. Records are never removed, and those that
   * arrive between two slices are counted too; a member whose cluster moved meanwhile may be
   * counted as it was and as it is.
   */
  *countingFigures(slice = 50_000): Generator<void, OneIdFigures> {
    const { store, clusters, state } = this;
    const tally = new FiguresTally();
    let seen = this.sourcesSeen;
    for (let root = 0; root < store.count; root++) {
      if (root % slice === slice - 1) yield;
      if (!clusters.isRoot(root)) continue;
      let sources = 0;
      let mask = 0;
      let i = root;
      do {
        const source = store.source[i]!;
        let known = false;
        for (let j = 0; j < sources && !known; j++) known = seen[j] === source;
        if (!known) {
          if (sources === seen.length) seen = this.sourcesSeen = grow(seen, sources + 1);
          seen[sources++] = source;
        }
        mask |= store.profileMask(i);
        for (let s = store.slotStart[i]!, e = s + store.slotCount[i]!; s < e; s++) {
          const k = store.slotKey[s]!;
          if (REASONS[state[k]!]) continue;
          const kind = store.keyKind[k];
          if (kind === PHONE_KIND) mask |= PHONE_FIELD;
          else if (kind === CARD_KIND) mask |= CARD_FIELD;
        }
        i = clusters.nextOf(i);
      } while (i !== root);
      tally.add(sources, fieldsFilled(mask));
    }
    let quarantined = 0;
    for (let k = 0; k < store.keyTotal; k++) {
      if (k % slice === slice - 1) yield;
      if (REASONS[this.state[k]!]) quarantined++;
    }
    return { metrics: tally.metrics(store.count, quarantined), spread: tally.spread() };
  }

  /**
   * The whole state (decision 030): typed arrays (views: write them before the next change) and
   * a small JSON part. `Resolver.fromState` gives back a resolver that answers and links as this one.
   */
  exportState(): { meta: ResolverStateMeta; arrays: Map<string, SnapshotArray> } {
    const arrays = new Map<string, SnapshotArray>();
    const { count, slots } = this.store.exportState(arrays);
    const { edges } = this.clusters.exportState(arrays, count);
    const keys = this.store.keyTotal;
    this.classify([]); // key states sized for every key
    arrays.set('resolver.state', this.state.subarray(0, keys));
    const members = this.byMemberId.exportState();
    arrays.set('resolver.members.slots', members.slots);
    arrays.set('resolver.members.hashes', members.hashes);
    return {
      meta: {
        count,
        slots,
        edges,
        keys,
        members: { live: members.live, taken: members.taken },
        splits: this.splits,
        labels: [...this.labels],
        rootLabels: [...this.rootLabels].map(([r, m]) => [r, [...m]]),
        manualKeys: [...this.manualKeys],
        rejected: this.rejected.map(([a, b]) => [a, b]),
        log: [...this.log],
      },
      arrays,
    };
  }

  /** A resolver from `exportState` (its arrays are taken over). Throws when the parts do not fit together. */
  static fromState(opts: ResolverOptions, meta: ResolverStateMeta, arrays: ReadonlyMap<string, SnapshotArray>): Resolver {
    const r = new Resolver(opts);
    r.store = RecordStore.importState(arrays, meta);
    if (r.store.keyTotal !== meta.keys) throw new Error('snapshot: keys differ in number');
    r.clusters.importState(arrays, meta.count, meta.edges);
    const state = arrays.get('resolver.state');
    if (!(state instanceof Uint8Array) || state.length < meta.keys) throw new Error('snapshot: key states missing');
    r.state = state;
    r.state.fill(UNSEEN, meta.keys); // room read after the data is for keys not seen yet
    const slots = arrays.get('resolver.members.slots');
    const hashes = arrays.get('resolver.members.hashes');
    if (!(slots instanceof Int32Array) || !(hashes instanceof Uint32Array)) throw new Error('snapshot: member table missing');
    // The table's length is its capacity (a power of two): read back with no extra room.
    r.byMemberId.importState({ slots: slots as Int32Array<ArrayBuffer>, hashes: hashes as Uint32Array<ArrayBuffer>, ...meta.members });
    r.splits = meta.splits;
    for (const [i, l] of meta.labels) r.labels.set(i, l);
    for (const [root, m] of meta.rootLabels) r.rootLabels.set(root, new Map(m));
    for (const [i, k] of meta.manualKeys) r.manualKeys.set(i, k);
    for (const [a, b] of meta.rejected) r.rejected.push([a, b]);
    r.log.push(...meta.log);
    return r;
  }

  // ——— internals ———

  /** Name, birthday and city by survivorship, and every phone, straight from the columns. */
  private lookalikeOf(root: number): LookalikeMember {
    const { store } = this;
    const recs = this.clusters.members(root);
    const rank = (i: number) => this.rankOf(store.source[i]!);
    recs.sort((a, b) => rank(a) - rank(b) || store.observedMs[b]! - store.observedMs[a]! || cmp(store.id(a), store.id(b)));
    const out: LookalikeMember = { id: this.idOf(root), phones: [] };
    for (const i of recs) {
      const l = store.lookalike(i);
      out.name ??= l.name;
      out.birthday ??= l.birthday;
      out.city ??= l.city;
      for (const k of store.keysOfRecord(i)) if (store.keyKind[k] === PHONE_KIND && !REASONS[this.state[k]!]) out.phones = [...out.phones, store.key(k).slice('phone:'.length)];
    }
    return out;
  }

  private rankOf(sourceCode: number): number {
    let r = this.ranks.get(sourceCode);
    if (r === undefined) {
      r = this.ranker(this.store.sourceByCode(sourceCode));
      this.ranks.set(sourceCode, r);
    }
    return r;
  }

  /** A record already known comes again: store it, and re-resolve if what links or names it changed. */
  private replace(i: number, record: SourceRecord): AddResult {
    const root = this.clusters.find(i);
    const before = this.store.record(i);
    const members = this.clusters.members(root);
    const oldIds = new Map(members.map((r) => [r, this.idOf(this.clusters.find(r))]));
    const { dropped, gained } = this.store.put(record, this.store.addedMs[i]!, RecordStore.linkKeys(record, this.manualKeys.get(i)));
    const quarantined = this.classify(this.store.keysOfRecord(i));
    const naming = before.memberId !== record.memberId || Boolean(before.provisional) !== Boolean(record.provisional) || before.profile.registeredAt !== record.profile.registeredAt;
    if (!dropped.length && !gained.length && !quarantined.length && !naming) return { memberId: this.idOf(root), merged: [], split: [], quarantined: [], blocked: [] };
    const seeds = [...members, ...dropped.flatMap((k) => this.store.carriers(k)), ...quarantined.flatMap((k) => this.store.carriers(k))];
    const changes = this.reresolve(seeds, (r) => oldIds.get(r));
    return { memberId: this.idOf(this.clusters.find(i)), ...changes, quarantined: quarantined.map((k) => this.store.key(k)) };
  }

  /**
   * Re-resolves the records reachable from `seeds` (through their clusters and linking keys):
   * a whole set of components, so the outcome is what `resolveAll` would give them.
   */
  private reresolve(seeds: readonly number[], knownOldId?: (r: number) => string | undefined): Changes {
    const recs = this.closure(seeds);
    const oldRoot = new Map<number, number>();
    const oldId = new Map<number, string>();
    for (const r of recs) {
      const root = this.clusters.find(r);
      oldRoot.set(r, root);
      if (!oldId.has(root)) oldId.set(root, knownOldId?.(r) ?? this.idOf(root));
    }
    const blocked = this.relink(recs);
    for (const id of oldId.values()) this.byMemberId.delete(id);
    for (const r of recs) {
      const root = this.clusters.find(r);
      if (root === r) this.byMemberId.set(this.idOf(root), this.clusters.bestOf(root));
    }
    return { ...this.diff(recs, (r) => oldRoot.get(r)!, (root) => oldId.get(root)!), quarantined: [], blocked };
  }

  /** Resets `recs` (whole components) and links them again; returns refused links. */
  private relink(recs: readonly number[]): Blocked[] {
    for (const r of recs) {
      this.rootLabels.delete(this.clusters.find(r));
    }
    for (const r of recs) this.clusters.reset(r);
    const groups = new Map<number, number>();
    let conflict = false;
    for (const r of recs) {
      const l = this.labels.get(r);
      if (!l) continue;
      this.labelRoot(r, r);
      for (let j = 0; j < l.length; j += 2) {
        const g = groups.get(l[j]!);
        if (g !== undefined && g !== l[j + 1]) conflict = true;
        groups.set(l[j]!, l[j + 1]!);
      }
    }
    if (!conflict) {
      for (const r of recs) {
        for (const k of this.store.keysOfRecord(r)) {
          if (!this.links(k)) continue;
          const c = this.store.firstCarrier(k);
          if (c !== r) this.joinLabelled(r, c, k);
        }
      }
      return [];
    }
    return this.canonicalLink(recs);
  }

  /** Links in an order fixed by the data alone: keys by type rank then value, carriers by record id. */
  private canonicalLink(recs: readonly number[]): Blocked[] {
    const { store } = this;
    const keySet = new Set<number>();
    for (const r of recs) for (const k of store.keysOfRecord(r)) if (this.links(k)) keySet.add(k);
    const keys = [...keySet].sort((a, b) => store.keyKind[a]! - store.keyKind[b]! || cmp(store.key(a), store.key(b)));
    const refused: [number, number, number][] = [];
    for (const k of keys) {
      const carriers = store.carriers(k).sort((a, b) => cmp(store.id(a), store.id(b)));
      for (let x = 1; x < carriers.length; x++) {
        const cx = carriers[x]!;
        for (let y = 0; y < x; y++) {
          const cy = carriers[y]!;
          if (this.clusters.find(cy) === this.clusters.find(cx)) break;
          if (this.joinLabelled(cy, cx, k)) break;
          refused.push([k, cy, cx]);
        }
      }
    }
    const out: Blocked[] = [];
    const seen = new Set<string>();
    for (const [k, a, b] of refused) {
      const ra = this.clusters.find(a);
      const rb = this.clusters.find(b);
      const tag = `${k}:${Math.min(ra, rb)}:${Math.max(ra, rb)}`;
      if (ra === rb || seen.has(tag)) continue;
      seen.add(tag);
      out.push({ key: store.key(k), a: store.id(a), b: store.id(b) });
    }
    return out;
  }

  /** Unions two clusters unless a split keeps them apart; carries the labels over. */
  private joinLabelled(a: number, b: number, k: number): boolean {
    const ra = this.clusters.find(a);
    const rb = this.clusters.find(b);
    if (ra === rb) return true;
    if (this.keptApart(ra, rb)) return false;
    const la = this.rootLabels.get(ra);
    const lb = this.rootLabels.get(rb);
    const root = this.clusters.union(a, b, k);
    if (la || lb) {
      const merged = new Map([...(la ?? []), ...(lb ?? [])]);
      this.rootLabels.delete(ra);
      this.rootLabels.delete(rb);
      this.rootLabels.set(root, merged);
    }
    return true;
  }

  private keptApart(ra: number, rb: number): boolean {
    const la = this.rootLabels.get(ra);
    const lb = this.rootLabels.get(rb);
    if (!la || !lb) return false;
    for (const [d, g] of la) {
      const h = lb.get(d);
      if (h !== undefined && h !== g) return true;
    }
    return false;
  }

  private labelRoot(root: number, rec: number) {
    const l = this.labels.get(rec);
    if (!l) return;
    let m = this.rootLabels.get(root);
    if (!m) this.rootLabels.set(root, (m = new Map()));
    for (let j = 0; j < l.length; j += 2) m.set(l[j]!, l[j + 1]!);
  }

  /** Records reachable from `seeds` through current clusters and linking keys. */
  private closure(seeds: readonly number[]): number[] {
    if (this.mark.length < this.store.count) this.mark = new Int32Array(Math.max(this.store.count, this.mark.length * 2));
    const stamp = ++this.stamp;
    const out: number[] = [];
    const visit = (r: number) => {
      if (this.mark[r] === stamp) return;
      this.mark[r] = stamp;
      out.push(r);
    };
    for (const s of seeds) visit(s);
    for (let q = 0; q < out.length; q++) {
      const r = out[q]!;
      for (const m of this.clusters.members(r)) visit(m);
      for (const k of this.store.keysOfRecord(r)) if (this.links(k)) for (const c of this.store.carriers(k)) visit(c);
    }
    return out;
  }

  /** Member changes between the old clusters of `recs` and their clusters now. */
  private diff(recs: readonly number[], oldRootOf: (r: number) => number, oldIdOf: (oldRoot: number) => string): Omit<Changes, 'blocked' | 'quarantined'> {
    return toEnd(this.diffing({ length: recs.length, at: (j) => recs[j]! }, oldRootOf, oldIdOf));
  }

  /** `diff`, yielding every `slice` records; every record at once (a full pass) keeps its bookkeeping in typed arrays. */
  private *diffing(
    recs: { length: number; at: (j: number) => number },
    oldRootOf: (r: number) => number,
    oldIdOf: (oldRoot: number) => string,
    oldBestOf?: (oldRoot: number) => number,
    slice = Infinity,
  ): Generator<void, Omit<Changes, 'blocked' | 'quarantined'>> {
    // Old root → the first root now of its records.
    const firstNew = recs.length === this.store.count && recs.length > 1 << 16 ? new IndexMap(recs.length) : new Map<number, number>();
    const splitRoots = new Map<number, Set<number>>();
    for (let j = 0; j < recs.length; j++) {
      if (j % slice === slice - 1) yield;
      const r = recs.at(j);
      const o = oldRootOf(r);
      const s = this.clusters.find(r);
      const f = firstNew.get(o);
      if (f === undefined) firstNew.set(o, s);
      else if (f !== s) {
        let set = splitRoots.get(o);
        if (!set) splitRoots.set(o, (set = new Set([f])));
        set.add(s);
      }
    }
    const merged: Changes['merged'] = [];
    const split: Changes['split'] = [];
    let j = 0;
    for (const [o, s] of firstNew) {
      if (++j % slice === 0) yield;
      const parts = splitRoots.get(o);
      if (parts) {
        split.push({ from: oldIdOf(o), into: [...parts].map((p) => this.idOf(p)).sort() });
        continue;
      }
      // Same naming record, same id: skip computing it (a full run has a million of these).
      if (oldBestOf && oldBestOf(o) === this.clusters.bestOf(s)) continue;
      const before = oldIdOf(o);
      const now = this.idOf(s);
      if (before !== now) merged.push({ survivor: now, loser: before });
    }
    merged.sort((a, b) => cmp(a.survivor, b.survivor) || cmp(a.loser, b.loser));
    split.sort((a, b) => cmp(a.from, b.from));
    return { merged, split };
  }

  /** Sets the state of keys seen for the first time; quarantines those over their limit. Returns the latter. */
  private classify(keys: Iterable<number>): number[] {
    const { store } = this;
    if (this.state.length < store.keyTotal) {
      const s = new Uint8Array(Math.max(store.keyTotal, this.state.length * 2)).fill(UNSEEN);
      s.set(this.state);
      this.state = s;
    }
    const over: number[] = [];
    for (const k of keys) {
      if (this.state[k] === UNSEEN) this.state[k] = isJunkKey(store.key(k)) ? JUNK : LINKS;
      if (this.state[k] === LINKS && store.keyCount[k]! > this.limits[store.keyKind[k]!]!) {
        this.state[k] = OVER_LIMIT;
        over.push(k);
      } else if (this.state[k] === LINKS && this.conflicting(k)) {
        this.state[k] = CONFLICT;
        over.push(k);
      }
    }
    return over;
  }

  /**
   * Whether the records carrying key `k` disagree on who they are: a card (or account) whose
   * records name more phones than one person has, or a phone whose records hold more cards.
   * Counts only grow as records arrive, so the outcome does not depend on their order.
   */
  private conflicting(k: number): boolean {
    const { store } = this;
    const kind = store.keyKind[k]!;
    if (kind === PHONE_KIND) return this.distinctAmongCarriers(k, CARD_KIND) > (this.opts.maxCardsPerPhone ?? 3);
    const type = LINK_KEY_TYPES[kind];
    if (type === 'member' || type === 'manual') return false;
    if (kind === CARD_KIND && this.mostFromOneSource(k) > 2) return true;
    return this.distinctAmongCarriers(k, PHONE_KIND) > (this.opts.maxPhonesPerKey ?? 2);
  }

  /**
   * A card is issued to one person, who has one record per source (two, if registered twice):
   * a card on three records of one source is shared, whatever phones they give (or not).
   */
  private mostFromOneSource(k: number): number {
    const counts = new Map<number, number>();
    let most = 0;
    for (const i of this.store.carriers(k)) {
      const n = (counts.get(this.store.source[i]!) ?? 0) + 1;
      counts.set(this.store.source[i]!, n);
      most = Math.max(most, n);
    }
    return most;
  }

  private distinctAmongCarriers(k: number, kind: number): number {
    const { store } = this;
    const seen = new Set<number>();
    for (const i of store.carriers(k)) for (const other of store.keysOfRecord(i)) if (store.keyKind[other] === kind && !isJunkKey(store.key(other))) seen.add(other);
    return seen.size;
  }

  private links(k: number): boolean {
    const s = this.state[k];
    return s === LINKS || s === RELEASED;
  }

  private otherCarrier(k: number, i: number): number {
    const { store } = this;
    for (let s = store.keyHead[k]!; s !== -1; s = store.slotNext[s]!) if (store.slotRec[s] !== i) return store.slotRec[s]!;
    return -1;
  }

  /** Whether record a should name a cluster rather than record b (see the file comment). */
  private names(a: number, b: number): boolean {
    const { store } = this;
    const ma = store.memberId(a);
    const mb = store.memberId(b);
    if (ma !== undefined && mb === undefined) return true;
    if (ma === undefined && mb !== undefined) return false;
    if (ma !== undefined && mb !== undefined) {
      const pa = store.provisional[a]!;
      const pb = store.provisional[b]!;
      if (pa !== pb) return pa < pb;
      const ta = store.seniorityMs[a]!;
      const tb = store.seniorityMs[b]!;
      if (ta !== tb) return ta < tb;
      if (ma !== mb) return ma < mb;
    }
    return store.id(a) < store.id(b);
  }

  private idOfRecord(i: number): string {
    return this.store.memberId(i) ?? goldenIdOf(this.store.id(i));
  }

  private idOf(root: number): string {
    return this.idOfRecord(this.clusters.bestOf(root));
  }

  private rootOf(memberId: string): number | undefined {
    const best = this.byMemberId.get(memberId);
    if (best === undefined) return undefined;
    const root = this.clusters.find(best);
    return this.idOf(root) === memberId ? root : undefined;
  }

  private golden(root: number, withLinks = true): GoldenMember {
    const { store } = this;
    const recs = this.clusters.members(root).sort((a, b) => cmp(store.id(a), store.id(b)));
    const records = recs.map((i) => store.record(i));
    const keySet = new Set<number>();
    for (const i of recs) for (const k of store.keysOfRecord(i)) keySet.add(k);
    const keys = [...keySet].map((k) => store.key(k)).sort();
    const quarantinedKeys = [...keySet].filter((k) => REASONS[this.state[k]!]).map((k) => store.key(k)).sort();
    const links: Link[] = [];
    if (withLinks) {
      for (const i of recs) {
        for (const e of this.clusters.edgesAt(i)) {
          const { edgeA, edgeB, edgeKey } = this.clusters;
          if (edgeA[e] !== i) continue;
          const a = edgeA[e]!;
          const b = edgeB[e]!;
          links.push({ a: store.id(a), b: store.id(b), key: store.key(edgeKey[e]!), at: new Date(Math.max(store.addedMs[a]!, store.addedMs[b]!)).toISOString() });
        }
      }
    }
    const quarantinedSet = new Set(quarantinedKeys);
    return {
      id: this.idOf(root),
      records,
      keys,
      quarantinedKeys,
      links,
      sources: [...new Set(records.map((r) => r.source))].sort(),
      profile: goldenProfile(records, this.opts.sourcePriority, (k) => !quarantinedSet.has(k)),
      identities: goldenIdentities(records),
    };
  }
}

/**
 * Record index → record index over every record, as a Map's few calls: a full pass has one entry
 * per member, and a Map throws past 2^24 entries.
 */
class IndexMap {
  private readonly to: Int32Array;

  constructor(n: number) {
    this.to = new Int32Array(n).fill(-1);
  }

  get(k: number): number | undefined {
    const v = this.to[k]!;
    return v === -1 ? undefined : v;
  }

  set(k: number, v: number): void {
    this.to[k] = v;
  }

  *[Symbol.iterator](): Generator<[number, number]> {
    for (let k = 0; k < this.to.length; k++) if (this.to[k] !== -1) yield [k, this.to[k]!];
  }
}

/** Runs a sliced pass at once: its value when done. */
function toEnd<T>(steps: Generator<void, T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

function keyRange(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, j) => from + j);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
