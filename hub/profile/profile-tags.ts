import type { Log } from '../../shared/cli/log.ts';
import { grow, groupByKey, StringCodes } from '../../shared/one-id/compact.ts';
import type { StringPool } from '../../shared/one-id/string-pool.ts';
import type { ProfileValue } from '../../shared/profile/fields.ts';
import { compileCondition, compileTagRules, tagChanges, type Condition, type CompiledTagRules, type Predicate, type TagCause, type TagEvent, type TagRule } from '../../shared/profile/tag-rules.ts';
import type { TimelineEntry } from '../../shared/profile/timeline.ts';
import { MemberId } from '../../shared/schemas/common.ts';
import type { Couch } from '../couch/couch.ts';
import { DB } from '../couch/databases.ts';
import { FIRST_TAG_BUCKETS, FIRST_TAGS_RANGE, firstTagsBucket, firstTagsOf, recordFirstTags, recordTagEvents, type FirstTagsDoc, type TagHistoryDoc } from '../tags/tag-history.ts';
import type { ProfileBase, ProfileExtension } from './base.ts';
import { ColumnRow } from './column-row.ts';

/** Fields a whole-base pass sets after every member is computed (RfmAndStages re-scores them): rules naming them are evaluated again then. */
const WHOLE_BASE_FIELDS: ReadonlySet<string> = new Set(['rfmR', 'rfmF', 'rfmM', 'rfmSegment']);
/** Members whose events are written per bulk of the tag history. */
const RECORD_BATCH = 1000;
/**
 * From this many members with no history in one run (the run after a large import), their first
 * events go into bucket documents (tag-history.ts, decision 041), about this many members a bulk.
 */
const FIRST_TAGS_MIN = 20_000;
const FIRST_TAGS_BATCH = 20_000;
/** Tag history documents read per request at the first run after a start: month documents, and first tags' bucket documents (up to ~1 MB each at 8M members). */
const LOAD_PAGE = 2000;
const LOAD_FIRST_PAGE = 4;
const TAGS = 'tags';

type TagRun = { all: boolean; members: number; changed: number; events: number; ms: number };
type Rule = { code: string; from: string | undefined; to: string | undefined; holds: Predicate };
export type TagNames = { 'zh-CN': string; en: string };
/** Why members were recomputed, as the engine tells it: a new fact, or One-ID changed them (a record, a merge, a split). */
export type ComputedBecause = 'fact' | 'identity';

/**
 * Tags evaluated by the profile engine (issue 12, decision 025): the compiled active tag rules
 * over every profile the engine computes (after stage and RFM, which rules name), into the
 * profile's `tags` field and so its column (segments count `tags containsAny`).
 *
 * The tag history is written from what the columns hold after a compute, against the set each
 * member last had recorded (kept in memory as a short string of tag numbers, loaded from the
 * history itself at the first run after a start): a member whose tags did not change writes
 * nothing, so a nightly run with no new facts writes nothing and a restart does not record every
 * tag as entered again. Events of a failed write are tried again with the next run.
 */
export class ProfileTags implements ProfileExtension {
  private rules: CompiledTagRules = { compiled: [] };
  /** Rules naming fields the whole-base pass sets: evaluated again over the columns after it. */
  private late: readonly Rule[] = [];
  private byCode = new Map<string, TagRule>();
  private base: ProfileBase | undefined;
  /** Tag codes by number: a set of tags is the string of its sorted numbers. */
  private readonly tagNumbers = new StringCodes();
  /**
   * The set last recorded in the history per golden member, by the member's code (the engine's
   * golden id codes: member-numbers.ts), as the set's number in `sets` (0: none; members share
   * a few sets). A Map by id with a string each was ~100 bytes a member.
   */
  private recorded = new Int32Array(0);
  private readonly sets = new StringCodes(['']);
  private recordedCount = 0;
  private goldenCodes: StringPool | undefined;
  private loaded = false;
  /** 1 for the members (by code) with any tag history stored: only the others' first events may go into bucket documents. */
  private hasHistory = new Uint8Array(0);
  /** Members whose events could not be written: compared again with the next run. */
  private readonly retry = new Set<string>();
  private readonly scratch: number[] = [];
  /** The recording under way: a timeline read waits for it (a profile read a moment earlier may already show the change). */
  private running: Promise<unknown> = Promise.resolve();
  /** Figures of the last run, for the logs and tests. */
  lastRun: TagRun | undefined;
  /** The last run over the whole base (the start, the nightly run), and how many there were. */
  lastFullRun: TagRun | undefined;
  fullRuns = 0;
  private stopped = false;

  constructor(
    private readonly history: TagHistoryStore,
    /** Today at HQ: the day events are recorded on. */
    private readonly today: () => string,
    private readonly log?: Log,
    /** From how many members with no history in a run their first events go into bucket documents. */
    private readonly firstTagsMin = FIRST_TAGS_MIN,
  ) {}

  /**
   * Takes the rules as stored now (active and retired). Answers the codes whose effect changed:
   * added, retired, made active again, or edited (a new version).
   */
  setRules(rules: readonly TagRule[]): string[] {
    const changed: string[] = [];
    const next = new Map<string, TagRule>();
    for (const r of rules) next.set(r.code, r);
    for (const [code, r] of next) {
      const was = this.byCode.get(code);
      if (!was || was.version !== r.version || was.status !== r.status) if (was?.status === 'active' || r.status === 'active') changed.push(code);
    }
    for (const [code, was] of this.byCode) if (!next.has(code) && was.status === 'active') changed.push(code);
    this.byCode = next;
    this.rules = compileTagRules(rules);
    this.late = this.rules.compiled.filter((r) => names(this.byCode.get(r.code)!.condition).some((f) => WHOLE_BASE_FIELDS.has(f)));
    for (const r of rules) this.tagNumbers.code(r.code);
    return changed.sort();
  }

  /** A tag's names in both languages, when a rule has the code (the stores' documents carry them). */
  namesOf(code: string): TagNames | undefined {
    return this.byCode.get(code)?.names;
  }

  extend(_goldenId: string, p: Map<string, ProfileValue>, _lists: unknown, day: string): void {
    const out = new Set<string>();
    for (const r of this.rules.compiled) if (inWindow(r, day) && r.holds(p, day)) out.add(r.code);
    p.set(TAGS, out);
  }

  /** After the whole-base pass (RFM re-scored): the rules that read it, evaluated again over the columns. */
  computedAll(base: ProfileBase, day: string): void {
    this.base = base;
    if (this.late.length === 0) return;
    const row = new ColumnRow(base.columns);
    const ids = base.members();
    for (let n = 0; n < ids.length; n++) {
      if (!ids.has(n)) continue;
      row.at(n);
      for (const r of this.late) base.columns.setIn(n, TAGS, r.code, inWindow(r, day) && r.holds(row.asProfile(), day));
    }
  }

  /**
   * Rules changed (created, edited, retired): only the codes whose effect changed are evaluated
   * again, over the columns (no metrics recomputed). Answers the members whose documents for the
   * stores may change (holding a changed code before or after: a new name counts).
   */
  reevaluate(codes: readonly string[], day: string): string[] {
    const base = this.base;
    if (!base || codes.length === 0) return [];
    const rules = codes.map((code) => {
      const rule = this.byCode.get(code);
      return { code, rule: rule?.status === 'active' ? { code, from: rule.valid?.from, to: rule.valid?.to, holds: compileCondition(rule.condition) } : undefined };
    });
    const column = base.columns.column(TAGS);
    const bits = column?.kind === 'set' ? column.bits : new Map<string, Uint32Array>();
    const row = new ColumnRow(base.columns);
    const ids = base.members();
    const touched: string[] = [];
    for (let n = 0; n < ids.length; n++) {
      if (!ids.has(n)) continue;
      row.at(n);
      let touch = false;
      for (const { code, rule } of rules) {
        const had = has(bits.get(code), n);
        const holds = rule !== undefined && inWindow(rule, day) && rule.holds(row.asProfile(), day);
        if (had !== holds) base.columns.setIn(n, TAGS, code, holds);
        if (had || holds) touch = true;
      }
      if (touch) touched.push(ids.at(n)!);
    }
    return touched;
  }

  /**
   * Records the tag events of the members just computed ('all': the whole base) against the sets
   * last recorded; answers the members whose tags changed. Never throws: a failed write is tried
   * again with the next run.
   */
  computed(goldenIds: readonly string[] | 'all', because: ComputedBecause | TagCause = 'fact'): Promise<number> {
    const run = this.running.then(() => this.record(goldenIds, because));
    this.running = run.catch(() => undefined);
    return run;
  }

  /**
   * The hub is stopping: a recording gives up between batches (the first run at a large hub
   * records every member's tags, minutes of writes the stop waited for). What is left is
   * recorded by the next start's run over the whole base: it compares with the history as stored.
   */
  stop(): void {
    this.stopped = true;
  }

  /** Bytes the sets last recorded hold outside the heap (the status file). */
  arrayBytes(): number {
    return this.recorded.byteLength;
  }

  /** Resolves once the events of every compute so far are recorded (or failed, to be tried again). */
  async settled(): Promise<void> {
    await this.running;
  }

  private async record(goldenIds: readonly string[] | 'all', because: ComputedBecause | TagCause): Promise<number> {
    const base = this.base;
    if (!base) return 0;
    const t0 = performance.now();
    try {
      await this.load(this.codesOf(base));
    } catch (err) {
      this.log?.warn('tags: the tag history could not be read; events are recorded with the next run', { err: String(err) });
      return 0;
    }
    if (!this.loaded) return 0; // stopped while reading it
    const all = goldenIds === 'all';
    const cause: TagCause = typeof because === 'object' ? because : because === 'identity' ? { kind: 'merge' } : all ? { kind: 'nightly' } : { kind: 'fact' };
    const today = this.today();
    const bits = this.bitsByNumber(base);
    // Who changed (by code) and the number of their set of tags now, in typed arrays: a pass over
    // every member after a large import changes most of them. Their events, made a batch at a time
    // below, held at once took 1.5 GB of heap at 1.3M members; arrays of numbers on the heap (8
    // bytes each, grown by half, and a comparator sort's copy) were ~100 of the ~240 MB the pass
    // held at 1M members (test/bench/tags-history-pass.ts).
    const ids = base.members();
    const asked = all ? undefined : new Set([...goldenIds, ...this.retry]);
    const changed = new Int32Array(asked?.size ?? ids.length);
    const tagsNow = new Int32Array(changed.length);
    let count = 0;
    let members = 0;
    const compare = (code: number, n: number) => {
      members++;
      const before = this.recordedOf(code);
      if (this.holdsExactly(bits, n, this.sets.values[before]!)) return;
      changed[count] = code;
      tagsNow[count++] = this.sets.code(this.keyOf(bits, n));
    };
    if (asked === undefined) {
      for (let n = 0; n < ids.length; n++) if (ids.has(n)) compare(ids.codeAt(n), n);
    } else {
      for (const g of asked) {
        const n = base.numberOfMember(g);
        // Merged away: no member, nothing to record.
        if (n === undefined) this.setRecorded(ids.codes.indexOf(g), 0);
        else compare(ids.codeAt(n), n);
      }
    }
    this.retry.clear();
    if (all) for (let code = 0; code < this.recorded.length; code++) if (this.recorded[code] !== 0 && ids.numberOfCodeOf(code) === undefined) this.setRecorded(code, 0);
    let events = 0;
    // Each member once in a run: what is recorded for it is still what it was compared with.
    const store = async (js: Int32Array, write: TagHistoryStore['record']) => {
      const batch = Array.from(js, (j) => [ids.codes.get(changed[j]!), tagChanges(this.setOf(this.sets.values[this.recordedOf(changed[j]!)]!), this.setOf(this.sets.values[tagsNow[j]!]!), today, cause), j] as const);
      try {
        await write(batch.map(([g, e]) => [g, e] as const), (g) => this.recordedOf(ids.codes.indexOf(g)) === 0);
        for (const [, e, j] of batch) {
          events += e.length;
          this.setRecorded(changed[j]!, tagsNow[j]!);
          if (e.length > 0) this.markHistory(changed[j]!);
        }
      } catch (err) {
        for (const [g] of batch) this.retry.add(g);
        this.log?.warn('tags: tag events not recorded; tried again with the next run', { members: batch.length, err: String(err) });
      }
    };
    // The order of writing (indexes into `changed`): members with a history first, then the first
    // ones; those by bucket when they are many, a bucket's members in one write, so that a
    // bucket's document of the day is written once.
    let firstCount = 0;
    for (let j = 0; j < count; j++) if (!this.hasHistoryOf(changed[j]!)) firstCount++;
    const inBuckets = firstCount >= this.firstTagsMin;
    const order = new Int32Array(count);
    const othersEnd = count - firstCount;
    for (let j = 0, o = 0, f = othersEnd; j < count; j++) order[this.hasHistoryOf(changed[j]!) ? o++ : f++] = j;
    const monthlyEnd = inBuckets ? othersEnd : count;
    for (let i = 0; i < monthlyEnd && !this.stopped; i += RECORD_BATCH) await store(order.subarray(i, Math.min(i + RECORD_BATCH, monthlyEnd)), (c, u) => this.history.record(c, u));
    if (inBuckets) {
      const firsts = order.subarray(othersEnd);
      const { sorted, starts } = groupByKey(firsts, Uint16Array.from(firsts, (j) => firstTagsBucket(ids.codes.get(changed[j]!))), FIRST_TAG_BUCKETS);
      // Whole buckets a write, every bucket that starts within FIRST_TAGS_BATCH members of the first.
      for (let b = 0; b < FIRST_TAG_BUCKETS && !this.stopped; ) {
        const from = starts[b]!;
        let to = b + 1;
        while (to < FIRST_TAG_BUCKETS && starts[to]! - from < FIRST_TAGS_BATCH) to++;
        if (starts[to]! > from) await store(sorted.subarray(from, starts[to]!), (c) => this.history.recordFirst(c));
        b = to;
      }
    }
    this.lastRun = { all, members, changed: count, events, ms: Math.round(performance.now() - t0) };
    if (all) (this.lastFullRun = this.lastRun), this.fullRuns++;
    if (all || count > 0) this.log?.info('tags: history', this.lastRun);
    return count;
  }

  private hasHistoryOf(code: number): boolean {
    return code >= 0 && code < this.hasHistory.length && this.hasHistory[code] === 1;
  }

  private markHistory(code: number): void {
    if (code < 0) return;
    if (code >= this.hasHistory.length) this.hasHistory = grow(this.hasHistory, code + 1);
    this.hasHistory[code] = 1;
  }

  /** The golden id codes `recorded` is kept by: every base must use the same (the engine's). */
  private codesOf(base: ProfileBase): StringPool {
    const codes = base.members().codes;
    if (this.goldenCodes !== undefined && this.goldenCodes !== codes) throw new Error('tags: a base with other golden id codes than the last (bases must share the engine\'s)');
    return (this.goldenCodes = codes);
  }

  /** The number of the set last recorded for the member with this code (0: none, or no such code). */
  private recordedOf(code: number): number {
    return code >= 0 && code < this.recorded.length ? this.recorded[code]! : 0;
  }

  private setRecorded(code: number, set: number): void {
    if (code < 0) return;
    if (code >= this.recorded.length) {
      if (set === 0) return;
      this.recorded = grow(this.recorded, code + 1);
    }
    this.recordedCount += (set !== 0 ? 1 : 0) - (this.recorded[code] !== 0 ? 1 : 0);
    this.recorded[code] = set;
  }

  /** The tags column's bitsets with their tags' numbers, in number order: a member's numbers come out sorted. */
  private bitsByNumber(base: ProfileBase): { numbers: number[]; bits: Uint32Array[] } {
    const column = base.columns.column(TAGS);
    const pairs = column?.kind === 'set' ? [...column.bits].map(([code, b]) => [this.tagNumbers.code(code), b] as const).sort((a, b) => a[0] - b[0]) : [];
    return { numbers: pairs.map((x) => x[0]), bits: pairs.map((x) => x[1]) };
  }

  /** Whether member `n` holds exactly the tags of `key` (a nightly run with nothing new: no string built). */
  private holdsExactly(c: { numbers: number[]; bits: Uint32Array[] }, n: number, key: string): boolean {
    const word = n >>> 5, bit = 1 << (n & 31);
    let i = 0;
    for (let j = 0; j < c.bits.length; j++) {
      const b = c.bits[j]!;
      if (word >= b.length || (b[word]! & bit) === 0) continue;
      if (i >= key.length || key.charCodeAt(i) !== c.numbers[j]) return false;
      i++;
    }
    return i === key.length;
  }

  /** The tags of member `n` in the columns as the string of their sorted numbers. */
  private keyOf(c: { numbers: number[]; bits: Uint32Array[] }, n: number): string {
    const s = this.scratch;
    s.length = 0;
    const word = n >>> 5, bit = 1 << (n & 31);
    for (let j = 0; j < c.bits.length; j++) {
      const b = c.bits[j]!;
      if (word < b.length && b[word]! & bit) s.push(c.numbers[j]!);
    }
    return s.length === 0 ? '' : String.fromCharCode(...s);
  }

  private setOf(key: string): Set<string> {
    const out = new Set<string>();
    for (let i = 0; i < key.length; i++) out.add(this.tagNumbers.values[key.charCodeAt(i)]!);
    return out;
  }

  /**
   * The sets the history says each member holds now: its events replayed, its first events (in
   * bucket documents) before its months, month after month (once per start).
   */
  private async load(codes: StringPool): Promise<void> {
    if (this.loaded) return;
    const t0 = performance.now();
    let docs = 0;
    const held = new Set<string>();
    let code = -1;
    let member: string | undefined;
    const flush = () => {
      if (member === undefined) return;
      const s = this.scratch;
      s.length = 0;
      for (const tag of held) s.push(this.tagNumbers.code(tag));
      s.sort((a, b) => a - b);
      this.setRecorded(code, s.length > 0 ? this.sets.code(String.fromCharCode(...s)) : 0);
      held.clear();
    };
    for await (const page of this.history.pages()) {
      // A stopping hub does not read the rest (a million members' history takes minutes); nothing is kept of it.
      if (this.stopped) return;
      for (const d of page) {
        docs++;
        if (d.member !== member) {
          flush();
          member = d.member;
          code = codes.add(member);
          // Seen before (its first events, read first): its months go on from there.
          const before = this.recordedOf(code);
          if (before !== 0) for (const tag of this.setOf(this.sets.values[before]!)) held.add(tag);
        }
        const events = d.events ?? [];
        if (events.length > 0) this.markHistory(code);
        for (const e of events) e.change === 'entered' ? held.add(e.tag) : held.delete(e.tag);
      }
    }
    flush();
    this.loaded = true;
    this.log?.info('tags: history read', { documents: docs, members: this.recordedCount, ms: Math.round(performance.now() - t0) });
  }
}

/** Where tag events are kept: hub-tag-history at the hub (couchTagHistory), a list in tests. */
export interface TagHistoryStore {
  /** `unrecorded`: members with no tags recorded before, whose documents are most likely not there. */
  record(changes: readonly (readonly [string, readonly TagEvent[]])[], unrecorded?: (member: string) => boolean): Promise<unknown>;
  /** Members' first events, none of them with any history before: a bucket of members per document. */
  recordFirst(changes: readonly (readonly [string, readonly TagEvent[]])[]): Promise<unknown>;
  /**
   * Every member's first events (one entry per member and bucket document), then every member's
   * month documents in id order (a member's months together, oldest first).
   */
  pages(): AsyncIterable<readonly { member: string; events: readonly TagEvent[] }[]>;
}

/** The hub's tag history (hub/tags/tag-history.ts). */
export function couchTagHistory(couch: Couch): TagHistoryStore {
  return {
    record: (changes, unrecorded) => recordTagEvents(couch, changes, unrecorded),
    recordFirst: (changes) => recordFirstTags(couch, changes),
    async *pages() {
      try {
        for await (const page of couch.pages<FirstTagsDoc>(DB.tagHistory, FIRST_TAGS_RANGE, LOAD_FIRST_PAGE)) yield page.flatMap((d) => (d.members ?? []).map(([member, events]) => ({ member, events })));
        yield* couch.pages<TagHistoryDoc>(DB.tagHistory, { startkey: 'th:', endkey: 'th:\ufff0' }, LOAD_PAGE);
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode !== 404) throw err;
      }
    },
  };
}

const inWindow = (r: { from: string | undefined; to: string | undefined }, day: string) => (r.from === undefined || r.from <= day) && (r.to === undefined || day <= r.to);
const has = (b: Uint32Array | undefined, n: number) => b !== undefined && (n >>> 5) < b.length && (b[n >>> 5]! & (1 << (n & 31))) !== 0;

/** The fields a condition names. */
function names(c: Condition): string[] {
  if ('all' in c) return c.all.flatMap(names);
  if ('any' in c) return c.any.flatMap(names);
  if ('not' in c) return names(c.not);
  return [c.field];
}

/**
 * A member's tag events as timeline rows (`tag_entered`, `tag_left`), oldest first (its first
 * events, kept in bucket documents, before its months); `ref` is the event's place in its month's
 * document (or among its first events of the day), which never changes (events are only appended).
 */
export async function tagTimeline(couch: Couch, goldenId: string): Promise<TimelineEntry[]> {
  if (!MemberId.safeParse(goldenId).success) return [];
  let docs: TagHistoryDoc[];
  let first: TagEvent[];
  try {
    [docs, first] = await Promise.all([couch.range<TagHistoryDoc>(DB.tagHistory, { startkey: `th:${goldenId}:`, endkey: `th:${goldenId}:\ufff0` }, 10_000), firstTagsOf(couch, goldenId)]);
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return [];
    throw err;
  }
  const entry = (e: TagEvent, ref: string): TimelineEntry => ({ day: e.day, kind: e.change === 'entered' ? 'tag_entered' : 'tag_left', ref, note: `${e.tag} (${e.cause.kind}${e.cause.ref ? ` ${e.cause.ref}` : ''})` });
  // A first event's place among the member's first events of its day, which are only appended to.
  const ofDay = new Map<string, number>();
  return [
    ...first.map((e) => {
      const i = ofDay.get(e.day) ?? 0;
      ofDay.set(e.day, i + 1);
      return entry(e, `tag:first:${e.day}:${String(i).padStart(5, '0')}:${e.tag}`);
    }),
    ...docs.flatMap((d) => (d.events ?? []).map((e, i) => entry(e, `tag:${d.month}:${String(i).padStart(5, '0')}:${e.tag}`))),
  ];
}
