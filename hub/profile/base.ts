import type { Profile, ProfileValue } from '../../shared/profile/fields.ts';
import { profileOf, type ProfileAttributes } from '../../shared/profile/metrics.ts';
import { FactStore, type FactStoreImage } from '../../shared/profile/fact-store.ts';
import type { SourceFact, SourceFacts } from '../../shared/profile/source-facts.ts';
import type { StringPool } from '../../shared/one-id/string-pool.ts';
import { ProfileColumns } from './columns.ts';
import { MemberNumbers, type MemberList } from './member-numbers.ts';
import { heldBytes } from '../../shared/one-id/compact.ts';

/**
 * Who is who, as One-ID says now: the golden member a source id belongs to, and a golden member's
 * source ids and attributes. The hub's is the resolver (hub/identity/service.ts); tests and the
 * bench use small in-memory ones.
 */
export interface MemberDirectory {
  goldenOf(sourceId: string): string | undefined;
  member(goldenId: string): { sources: readonly string[]; attributes: ProfileAttributes } | undefined;
  goldenIds(): Iterable<string>;
  /** Every golden member now, `size` at a time (the hub's walks One-ID's record numbers: no list of every id); without it, goldenIds(). */
  slices?(size: number): Iterable<readonly string[]>;
  /** How many golden members there are now (room is made for them before a compute of every one). */
  count?(): number;
  /** Whether One-ID has this golden member now; without it, `member` says (slower). */
  has?(goldenId: string): boolean;
}

/** Another part's fields over the metrics (stage and RFM: hub/profile/rfm-stages.ts). */
export interface ProfileExtension {
  /** Adds the fields derived from a member's facts and metrics, before the profile is written or answered. */
  extend(goldenId: string, p: Map<string, ProfileValue>, lists: readonly SourceFacts[], day: string): void;
  /** Every member is computed (the start, the nightly run): passes over the whole base. */
  computedAll?(base: ProfileBase, day: string): void;
}

/**
 * The profile base without I/O: the facts per source id, the columns by member number, and the
 * member numbers. The engine (engine.ts) feeds it from the databases; the property test and the
 * bench feed it directly.
 */
export class ProfileBase {
  private facts = new FactStore();
  readonly columns = new ProfileColumns();
  /** Member numbers (those of members merged away are used again: the columns stay dense). */
  private readonly numbers: MemberNumbers;
  /** The day the columns were last computed for, per the latest compute (YYYY-MM-DD). */
  day = '';
  factsHeld = 0;

  constructor(
    private readonly directory: MemberDirectory,
    private readonly extension?: ProfileExtension,
    /** Golden ids' codes, kept by the engine across the bases it builds (member-numbers.ts). */
    codes?: StringPool,
  ) {
    this.numbers = new MemberNumbers(codes);
  }

  /** The facts held, for a snapshot (decision 029): views, valid until the next fact is filed. */
  factImage(): { image: FactStoreImage; factsHeld: number } {
    return { image: this.facts.image(), factsHeld: this.factsHeld };
  }

  /** Takes the facts a snapshot held, in place of any filed; nothing is computed (computeAll follows). */
  restoreFacts(facts: FactStore, factsHeld: number): void {
    this.facts = facts;
    this.factsHeld = factsHeld;
  }

  /** Files facts without computing anything (the start and the nightly run load first, then compute all). */
  load(facts: Iterable<SourceFact>): void {
    for (const f of facts) this.file(f);
  }

  private file(f: SourceFact): boolean {
    const added = this.facts.add(f);
    if (added) this.factsHeld++;
    return added;
  }

  /**
   * Files new facts and recomputes the golden members they belong to on `day`; returns those
   * members. A fact whose source no golden member holds yet waits in its list: the member that
   * takes the source in (membersChanged) reads it.
   */
  addFacts(facts: readonly SourceFact[], day: string): string[] {
    const touched = new Set<string>();
    for (const f of facts) {
      if (!this.file(f)) continue;
      const g = this.directory.goldenOf(f.source);
      if (g !== undefined) touched.add(g);
    }
    for (const g of touched) this.recompute(g, day);
    return [...touched];
  }

  /** One-ID changed these golden members (a new record, a merge, a split): recomputed, or dropped when gone. */
  membersChanged(goldenIds: Iterable<string>, day: string): void {
    for (const g of new Set(goldenIds)) this.recompute(g, day);
  }

  /** Every golden member on `day` (the nightly run and the start). */
  computeAll(day: string): void {
    for (const _ of this.computing(day, Infinity));
  }

  /**
   * computeAll a slice of `slice` members at a time, pausing (yield) after each: the hub's engine
   * lets its event loop serve between slices, a million members being tens of seconds of work.
   * The members are those of the directory when it begins; the whole-base passes run at the end,
   * unless not `whole`: every member is then computed as the incremental path computes a few
   * (against the last whole run's RFM boundaries, decision 024), after an import.
   */
  *computing(day: string, slice: number, whole = true): Generator<void> {
    // Computed in place after One-ID's changes were held (an import), members merged away go.
    const held = this.numbers;
    for (let n = 0; n < held.length; n++) {
      const g = held.at(n);
      if (g !== undefined && !(this.directory.has ? this.directory.has(g) : this.directory.member(g) !== undefined)) this.drop(g);
      if ((n + 1) % slice === 0) yield;
    }
    // Every member gets a number below this: the ones of those merged away above are used again.
    this.columns.reserve(Math.max(held.length, this.directory.count?.() ?? 0));
    const slices = this.directory.slices?.(slice) ?? [Array.from(this.directory.goldenIds())];
    let i = 0;
    for (const ids of slices)
      for (const g of ids) {
        this.recompute(g, day);
        if (++i % slice === 0) yield;
      }
    if (!whole) return;
    this.day = day;
    this.extension?.computedAll?.(this, day);
  }

  private recompute(goldenId: string, day: string): void {
    const p = this.profileOn(goldenId, day);
    if (!p) return this.drop(goldenId);
    const had = this.numbers.numberOf(goldenId);
    this.columns.write(had ?? this.numbers.add(goldenId), p, had === undefined);
  }

  /** The profile on `day`, from the facts as held now; undefined for no such golden member. */
  profileOn(goldenId: string, day: string): Profile | undefined {
    const m = this.directory.member(goldenId);
    if (!m) return undefined;
    const lists: SourceFacts[] = [];
    for (const s of m.sources) {
      const l = this.facts.lists(s);
      if (l) lists.push(l);
    }
    const p = profileOf(lists, m.attributes, day);
    this.extension?.extend(goldenId, p as Map<string, ProfileValue>, lists, day);
    return p;
  }

  /** The facts a golden member's source ids hold (the timeline reads them). */
  factsOf(goldenId: string): { source: string; facts: SourceFacts }[] {
    const m = this.directory.member(goldenId);
    return (m?.sources ?? []).flatMap((s) => {
      const facts = this.facts.lists(s);
      return facts ? [{ source: s, facts }] : [];
    });
  }

  private drop(goldenId: string): void {
    const n = this.numbers.remove(goldenId);
    if (n !== undefined) this.columns.clear(n);
  }

  /**
   * A golden member's row as its last compute wrote it (the full run's, or the incremental path's
   * since), read back from the columns; undefined for a member without a row. What the nightly
   * pass over the whole base reads instead of computing every member a second time.
   */
  row(goldenId: string): Profile | undefined {
    const n = this.numbers.numberOf(goldenId);
    return n === undefined ? undefined : this.columns.row(n);
  }

  /** The member number of a golden member in the columns. */
  numberOfMember(goldenId: string): number | undefined {
    return this.numbers.numberOf(goldenId);
  }

  /** Golden member ids by number (a free number's row is cleared), and their codes. */
  members(): MemberList & Pick<MemberNumbers, 'codes' | 'codeAt' | 'numberOfCodeOf'> {
    return this.numbers;
  }

  /** Bytes the base's typed arrays hold outside the heap, by part (the status file, the bench). */
  arrayBytes(): { columns: number; facts: number; members: number } {
    return { columns: this.columns.bytes(), facts: this.facts.bytes(), members: heldBytes(this.numbers) };
  }

  /** Sources and facts held (the start log and the bench). */
  size(): { sources: number; facts: number; members: number } {
    return { sources: this.facts.sources, facts: this.facts.count, members: this.numbers.size };
  }
}
