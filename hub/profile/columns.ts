import { StringCodes } from '../../shared/one-id/compact.ts';
import { PROFILE_FIELDS, type FieldDef, type Profile } from '../../shared/profile/fields.ts';
import { dayNumber, dayString } from '../../shared/profile/source-facts.ts';

/*
 * The whole base as columns by member number (decision 021 point 4): an `int` or `day` field is an
 * Int8Array, Int16Array or Int32Array, as wide as its values need (`absent`, the type's least
 * value, where unknown; days as day numbers), an `enum` a Uint16Array of codes (0 =
 * absent) into the field's values as met, a `set` one bitset per value, `scores` sparse per member
 * (key codes and scores in one flat array) and made a column only for the key a segment names.
 */

/** An int or day the member has no value for, in an Int32Array column (a narrower one's is its type's least value). */
export const ABSENT = -2147483648;

/**
 * An int column's values: most fields (flags, scores 1-5, counts, basis points, days) fit 8 or 16
 * bits, and 37 of them as Int32Array were 148 bytes a member (1.5 GB at 10M members). A column
 * starts at 8 bits and is widened, once per width, when a value does not fit.
 */
export type IntValues = Int8Array<ArrayBuffer> | Int16Array<ArrayBuffer> | Int32Array<ArrayBuffer>;

/** The value that marks "unknown" in an int column of this width. */
export const absentOf = (a: IntValues): number => (a instanceof Int8Array ? -128 : a instanceof Int16Array ? -32768 : ABSENT);

export type Column =
  | { kind: 'int' | 'day'; values: IntValues; absent: number }
  | { kind: 'enum'; codes: Uint16Array; values: readonly string[] }
  | { kind: 'set'; bits: ReadonlyMap<string, Uint32Array> }
  | { kind: 'scores'; values: Int32Array };

interface EnumColumn {
  codes: Uint16Array;
  values: string[];
  codeOf: Map<string, number>;
}

const grow = <T extends IntValues | Uint16Array | Uint32Array>(a: T, size: number): T => {
  if (a.length >= size) return a;
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  if (b instanceof Int8Array || b instanceof Int16Array || b instanceof Int32Array) b.fill(absentOf(b), a.length);
  return b;
};

/** `a` as wide as `v` needs (itself if it fits): unknowns stay unknown. */
function widened(a: IntValues, v: number): IntValues {
  if (v > absentOf(a) && v <= -absentOf(a) - 1) return a;
  const b = v > -32768 && v <= 32767 ? new Int16Array(a.length) : new Int32Array(a.length);
  const from = absentOf(a), to = absentOf(b);
  for (let i = 0; i < a.length; i++) b[i] = a[i] === from ? to : a[i]!;
  return b;
}

/**
 * A scores field for the whole base: each member's [key code, score, …] in one shared Int32Array
 * (a row per member as an array was most of the columns' heap at a million members). A row written
 * again goes where it was if it fits, else at the end; the space left behind is reclaimed by a
 * compaction once it outgrows what is live. A row with a score past 32 bits is kept as it is, aside.
 */
class ScoreRows {
  private data = new Int32Array(4096);
  private used = 0;
  private garbage = 0;
  /** By member number: where its row starts and how many words it has (0: none). */
  private start = new Int32Array(1024);
  private len = new Int32Array(1024);
  private readonly wide = new Map<number, number[]>();

  /** Member `n`'s row (a view: read it before the next write). */
  get(n: number): ArrayLike<number> | undefined {
    if (n >= this.len.length) return undefined;
    const w = this.wide.get(n);
    if (w) return w;
    const l = this.len[n]!;
    return l === 0 ? undefined : this.data.subarray(this.start[n]!, this.start[n]! + l);
  }

  /** Writes member `n`'s row: the first `k` numbers of `flat` (none: no row). */
  put(n: number, flat: readonly number[], k: number): void {
    if (n >= this.len.length) {
      let size = this.len.length;
      while (size <= n) size *= 2;
      const s = new Int32Array(size), l = new Int32Array(size);
      s.set(this.start), l.set(this.len);
      this.start = s, this.len = l;
    }
    this.wide.delete(n);
    const had = this.len[n]!;
    let fits = true;
    for (let i = 0; i < k; i++) if ((flat[i]! | 0) !== flat[i]) fits = false;
    if (!fits) {
      this.wide.set(n, flat.slice(0, k));
      this.garbage += had;
      this.len[n] = 0;
      return;
    }
    if (k <= had) {
      const at = this.start[n]!;
      for (let i = 0; i < k; i++) this.data[at + i] = flat[i]!;
      this.len[n] = k;
      this.garbage += had - k;
      return;
    }
    this.garbage += had;
    if (this.garbage > 1024 && this.garbage > this.used - this.garbage) this.compact();
    if (this.used + k > this.data.length) {
      let size = this.data.length;
      while (size < this.used + k) size *= 2;
      const d = new Int32Array(size);
      d.set(this.data.subarray(0, this.used));
      this.data = d;
    }
    for (let i = 0; i < k; i++) this.data[this.used + i] = flat[i]!;
    this.start[n] = this.used;
    this.len[n] = k;
    this.used += k;
  }

  private compact(): void {
    const d = new Int32Array(Math.max(4096, this.data.length));
    let at = 0;
    for (let n = 0; n < this.len.length; n++) {
      const l = this.len[n]!;
      if (l === 0) continue;
      d.set(this.data.subarray(this.start[n]!, this.start[n]! + l), at);
      this.start[n] = at;
      at += l;
    }
    this.data = d;
    this.used = at;
    this.garbage = 0;
  }

  /** Members with a row, with it. */
  *rows(): Generator<[number, ArrayLike<number>]> {
    for (let n = 0; n < this.len.length; n++) {
      const r = this.get(n);
      if (r) yield [n, r];
    }
  }

  bytes(): number {
    return this.data.byteLength + this.start.byteLength + this.len.byteLength;
  }
}

/** A field's place in the columns, looked up once (write runs a million times a night). */
type Slot =
  | { kind: 'int' | 'day'; name: string; i: number }
  | { kind: 'enum'; name: string; e: EnumColumn }
  | { kind: 'set'; name: string; bits: Map<string, Uint32Array> }
  | { kind: 'scores'; name: string; rows: ScoreRows };

export class ProfileColumns {
  private capacity: number;
  private readonly ints = new Map<string, number>();
  private readonly intArrays: IntValues[] = [];
  private readonly enums = new Map<string, EnumColumn>();
  private readonly sets = new Map<string, Map<string, Uint32Array>>();
  private readonly scores = new Map<string, ScoreRows>();
  private readonly slots: Slot[] = [];
  /** Scores' keys (categories, SKUs, brands) as codes. */
  private readonly keys = new StringCodes();
  private readonly flat: number[] = [];

  constructor(
    private readonly fields: readonly FieldDef[] = PROFILE_FIELDS,
    capacity = 1024,
  ) {
    this.capacity = capacity;
    for (const f of fields) {
      if (f.kind === 'int' || f.kind === 'day') {
        this.ints.set(f.name, this.intArrays.length);
        this.slots.push({ kind: f.kind, name: f.name, i: this.intArrays.length });
        this.intArrays.push(new Int8Array(capacity).fill(-128));
      } else if (f.kind === 'enum') {
        const e: EnumColumn = { codes: new Uint16Array(capacity), values: [], codeOf: new Map() };
        this.enums.set(f.name, e);
        this.slots.push({ kind: 'enum', name: f.name, e });
      } else if (f.kind === 'set') {
        const bits = new Map<string, Uint32Array>();
        this.sets.set(f.name, bits);
        this.slots.push({ kind: 'set', name: f.name, bits });
      } else {
        const rows = new ScoreRows();
        this.scores.set(f.name, rows);
        this.slots.push({ kind: 'scores', name: f.name, rows });
      }
    }
  }

  /**
   * Room for members below `n`, grown by a quarter: the int columns are 148 bytes a member, and a
   * doubling's room was up to as much again (2.5 GB at 10M members). A compute of the whole base
   * reserves what it needs first (`reserve`).
   */
  private ensure(n: number) {
    if (n < this.capacity) return;
    let size = this.capacity;
    while (size <= n) size = Math.ceil(size * 1.25);
    this.resize(size);
  }

  private resize(size: number) {
    this.capacity = size;
    for (let i = 0; i < this.intArrays.length; i++) this.intArrays[i] = grow(this.intArrays[i]!, size);
    for (const e of this.enums.values()) e.codes = grow(e.codes, size);
    for (const bits of this.sets.values()) for (const [v, b] of bits) bits.set(v, grow(b, (size + 31) >>> 5));
  }

  /** Room for `members` rows and a few more, as a compute of the whole base knows it will need. */
  reserve(members: number): void {
    if (members > this.capacity) this.resize(Math.ceil(members * 1.03));
  }

  /**
   * Writes member `n`'s row (every field: one absent from the profile is cleared). `fresh`: the row
   * holds nothing yet (a new number, or one cleared), so no set value needs clearing: a full build
   * does not visit every store's bitset for every member.
   */
  write(n: number, p: Profile, fresh = false): void {
    this.ensure(n);
    for (const f of this.slots) {
      const v = p.get(f.name);
      if (f.kind === 'int' || f.kind === 'day') this.setInt(f.i, n, f.kind === 'int' ? (typeof v === 'number' ? v | 0 : undefined) : typeof v === 'string' ? dayNumber(v) : undefined);
      else if (f.kind === 'enum') {
        const e = f.e;
        let code = 0;
        if (typeof v === 'string') {
          code = e.codeOf.get(v) ?? 0;
          if (code === 0) {
            e.values.push(v);
            code = e.values.length;
            e.codeOf.set(v, code);
          }
        }
        e.codes[n] = code;
      } else if (f.kind === 'set') {
        const bits = f.bits;
        const want = v instanceof Set ? (v as ReadonlySet<string>) : undefined;
        if (!fresh) for (const [value, b] of bits) if (!want?.has(value)) b[n >>> 5]! &= ~(1 << (n & 31));
        if (want)
          for (const value of want) {
            let b = bits.get(value);
            if (!b) bits.set(value, (b = new Uint32Array((this.capacity + 31) >>> 5)));
            b[n >>> 5]! |= 1 << (n & 31);
          }
      } else if (v instanceof Map && v.size > 0) {
        const flat = this.flat;
        let k = 0;
        for (const [key, s] of v as ReadonlyMap<string, number>) (flat[k++] = this.keys.code(key)), (flat[k++] = s);
        (f as Extract<Slot, { kind: 'scores' }>).rows.put(n, flat, k);
      } else (f as Extract<Slot, { kind: 'scores' }>).rows.put(n, this.flat, 0);
    }
  }

  /** Sets one int or enum field of member `n`: a pass over the whole base that changes a few fields (RFM, nightly). */
  set(n: number, field: string, v: number | string | undefined): void {
    this.ensure(n);
    const i = this.ints.get(field);
    if (i !== undefined) return this.setInt(i, n, typeof v === 'number' ? v | 0 : undefined);
    const e = this.enums.get(field);
    if (!e) return;
    let code = typeof v === 'string' ? (e.codeOf.get(v) ?? 0) : 0;
    if (typeof v === 'string' && code === 0) e.codeOf.set(v, (code = e.values.push(v)));
    e.codes[n] = code;
  }

  private setInt(i: number, n: number, v: number | undefined): void {
    let a = this.intArrays[i]!;
    if (v === undefined) return void (a[n] = absentOf(a));
    this.intArrays[i] = a = widened(a, v);
    a[n] = v;
  }

  /** Sets or clears one value of a `set` field for member `n` (a tag whose rule reads the whole-base RFM pass, or a changed rule). */
  setIn(n: number, field: string, value: string, on: boolean): void {
    const bits = this.sets.get(field);
    if (!bits) return;
    this.ensure(n);
    let b = bits.get(value);
    if (!b) {
      if (!on) return;
      bits.set(value, (b = new Uint32Array((this.capacity + 31) >>> 5)));
    }
    if (on) b[n >>> 5]! |= 1 << (n & 31);
    else b[n >>> 5]! &= ~(1 << (n & 31));
  }

  /** Clears member `n`'s row (a golden member merged away). */
  clear(n: number): void {
    this.write(n, new Map());
  }

  /**
   * A field as a column. For `scores`, the column of one key: a category key also sums its
   * sub-categories (`coffee` holds `coffee/beans`).
   */
  column(field: string, key?: string): Column | undefined {
    const i = this.ints.get(field);
    if (i !== undefined) return { kind: this.fields.find((f) => f.name === field)!.kind as 'int' | 'day', values: this.intArrays[i]!, absent: absentOf(this.intArrays[i]!) };
    const e = this.enums.get(field);
    if (e) return { kind: 'enum', codes: e.codes, values: e.values };
    const bits = this.sets.get(field);
    if (bits) return { kind: 'set', bits };
    const rows = this.scores.get(field);
    if (!rows || key === undefined) return undefined;
    const prefix = `${key}/`;
    const codes = new Set<number>();
    this.keys.values.forEach((k, code) => (k === key || k.startsWith(prefix)) && codes.add(code));
    const values = new Int32Array(this.capacity);
    for (const [n, flat] of rows.rows()) {
      let sum = 0;
      for (let i = 0; i < flat.length; i += 2) if (codes.has(flat[i]!)) sum += flat[i + 1]!;
      values[n] = sum;
    }
    return { kind: 'scores', values };
  }

  /** Member `n`'s row read back as a profile (tests compare the incremental and full columns with it). */
  row(n: number): Profile {
    const p = new Map<string, import('../../shared/profile/fields.ts').ProfileValue>();
    if (n >= this.capacity) return p;
    for (const f of this.fields) {
      if (f.kind === 'int' || f.kind === 'day') {
        const a = this.intArrays[this.ints.get(f.name)!]!;
        const v = a[n]!;
        if (v !== absentOf(a)) p.set(f.name, f.kind === 'day' ? dayString(v) : v);
      } else if (f.kind === 'enum') {
        const e = this.enums.get(f.name)!;
        const code = e.codes[n]!;
        if (code > 0) p.set(f.name, e.values[code - 1]!);
      } else if (f.kind === 'set') {
        const s = new Set<string>();
        for (const [value, b] of this.sets.get(f.name)!) if (b[n >>> 5]! & (1 << (n & 31))) s.add(value);
        p.set(f.name, s);
      } else {
        const flat = this.scores.get(f.name)!.get(n);
        const m = new Map<string, number>();
        for (let i = 0; flat && i < flat.length; i += 2) m.set(this.keys.values[flat[i]!]!, flat[i + 1]!);
        p.set(f.name, m);
      }
    }
    return p;
  }

  /** Bytes the typed columns hold (scores rows excluded), for the bench. */
  bytes(): number {
    let n = 0;
    for (const a of this.intArrays) n += a.byteLength;
    for (const e of this.enums.values()) n += e.codes.byteLength;
    for (const bits of this.sets.values()) for (const b of bits.values()) n += b.byteLength;
    return n;
  }
}
