import { PROFILE_FIELDS, type FieldDef, type Profile } from '../../shared/profile/fields.ts';
import { dayNumber, dayString } from '../../shared/profile/source-facts.ts';

/*
 * The whole base as columns by member number (decision 021 point 4): an `int` or `day` field is an
 * Int32Array (ABSENT where unknown, days as day numbers), an `enum` a Uint16Array of codes (0 =
 * absent) into the field's values as met, a `set` one bitset per value, `scores` sparse per member
 * (key codes and scores in one flat array) and made a column only for the key a segment names.
 */

/** An int or day the member has no value for. */
export const ABSENT = -2147483648;

export type Column =
  | { kind: 'int' | 'day'; values: Int32Array }
  | { kind: 'enum'; codes: Uint16Array; values: readonly string[] }
  | { kind: 'set'; bits: ReadonlyMap<string, Uint32Array> }
  | { kind: 'scores'; values: Int32Array };

interface EnumColumn {
  codes: Uint16Array;
  values: string[];
  codeOf: Map<string, number>;
}

const grow = <T extends Int32Array | Uint16Array | Uint32Array>(a: T, size: number): T => {
  if (a.length >= size) return a;
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  if (b instanceof Int32Array) b.fill(ABSENT, a.length);
  return b;
};

export class ProfileColumns {
  private capacity: number;
  private readonly ints = new Map<string, Int32Array>();
  private readonly enums = new Map<string, EnumColumn>();
  private readonly sets = new Map<string, Map<string, Uint32Array>>();
  /** Per scores field, per member: [key code, score, key code, score, …]. */
  private readonly scores = new Map<string, (number[] | undefined)[]>();
  private readonly keys: string[] = [];
  private readonly keyOf = new Map<string, number>();

  constructor(
    private readonly fields: readonly FieldDef[] = PROFILE_FIELDS,
    capacity = 1024,
  ) {
    this.capacity = capacity;
    for (const f of fields) {
      if (f.kind === 'int' || f.kind === 'day') this.ints.set(f.name, new Int32Array(capacity).fill(ABSENT));
      else if (f.kind === 'enum') this.enums.set(f.name, { codes: new Uint16Array(capacity), values: [], codeOf: new Map() });
      else if (f.kind === 'set') this.sets.set(f.name, new Map());
      else this.scores.set(f.name, []);
    }
  }

  private ensure(n: number) {
    if (n < this.capacity) return;
    let size = this.capacity;
    while (size <= n) size *= 2;
    this.capacity = size;
    for (const [name, a] of this.ints) this.ints.set(name, grow(a, size));
    for (const e of this.enums.values()) e.codes = grow(e.codes, size);
    for (const bits of this.sets.values()) for (const [v, b] of bits) bits.set(v, grow(b, (size + 31) >>> 5));
  }

  /**
   * Writes member `n`'s row (every field: one absent from the profile is cleared). `fresh`: the row
   * holds nothing yet (a new number, or one cleared), so no set value needs clearing: a full build
   * does not visit every store's bitset for every member.
   */
  write(n: number, p: Profile, fresh = false): void {
    this.ensure(n);
    for (const f of this.fields) {
      const v = p.get(f.name);
      if (f.kind === 'int') this.ints.get(f.name)![n] = typeof v === 'number' ? v | 0 : ABSENT;
      else if (f.kind === 'day') this.ints.get(f.name)![n] = typeof v === 'string' ? dayNumber(v) : ABSENT;
      else if (f.kind === 'enum') {
        const e = this.enums.get(f.name)!;
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
        const bits = this.sets.get(f.name)!;
        const words = (this.capacity + 31) >>> 5;
        const want = v instanceof Set ? (v as ReadonlySet<string>) : new Set<string>();
        if (!fresh) for (const [value, b] of bits) if (!want.has(value)) b[n >>> 5]! &= ~(1 << (n & 31));
        for (const value of want) {
          let b = bits.get(value);
          if (!b) bits.set(value, (b = new Uint32Array(words)));
          b[n >>> 5]! |= 1 << (n & 31);
        }
      } else {
        const rows = this.scores.get(f.name)!;
        if (v instanceof Map && v.size > 0) {
          const flat: number[] = [];
          for (const [k, s] of v as ReadonlyMap<string, number>) flat.push(this.key(k), s);
          rows[n] = flat;
        } else rows[n] = undefined;
      }
    }
  }

  /** Sets one int or enum field of member `n`: a pass over the whole base that changes a few fields (RFM, nightly). */
  set(n: number, field: string, v: number | string | undefined): void {
    this.ensure(n);
    const ints = this.ints.get(field);
    if (ints) return void (ints[n] = typeof v === 'number' ? v | 0 : ABSENT);
    const e = this.enums.get(field);
    if (!e) return;
    let code = typeof v === 'string' ? (e.codeOf.get(v) ?? 0) : 0;
    if (typeof v === 'string' && code === 0) e.codeOf.set(v, (code = e.values.push(v)));
    e.codes[n] = code;
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

  private key(k: string): number {
    let code = this.keyOf.get(k);
    if (code === undefined) {
      code = this.keys.length;
      this.keys.push(k);
      this.keyOf.set(k, code);
    }
    return code;
  }

  /**
   * A field as a column. For `scores`, the column of one key: a category key also sums its
   * sub-categories (`coffee` holds `coffee/beans`).
   */
  column(field: string, key?: string): Column | undefined {
    const ints = this.ints.get(field);
    if (ints) return { kind: this.fields.find((f) => f.name === field)!.kind as 'int' | 'day', values: ints };
    const e = this.enums.get(field);
    if (e) return { kind: 'enum', codes: e.codes, values: e.values };
    const bits = this.sets.get(field);
    if (bits) return { kind: 'set', bits };
    const rows = this.scores.get(field);
    if (!rows || key === undefined) return undefined;
    const prefix = `${key}/`;
    const codes = new Set<number>();
    this.keys.forEach((k, code) => (k === key || k.startsWith(prefix)) && codes.add(code));
    const values = new Int32Array(this.capacity);
    rows.forEach((flat, n) => {
      if (!flat) return;
      let sum = 0;
      for (let i = 0; i < flat.length; i += 2) if (codes.has(flat[i]!)) sum += flat[i + 1]!;
      values[n] = sum;
    });
    return { kind: 'scores', values };
  }

  /** Member `n`'s row read back as a profile (tests compare the incremental and full columns with it). */
  row(n: number): Profile {
    const p = new Map<string, import('../../shared/profile/fields.ts').ProfileValue>();
    if (n >= this.capacity) return p;
    for (const f of this.fields) {
      if (f.kind === 'int' || f.kind === 'day') {
        const v = this.ints.get(f.name)![n]!;
        if (v !== ABSENT) p.set(f.name, f.kind === 'day' ? dayString(v) : v);
      } else if (f.kind === 'enum') {
        const e = this.enums.get(f.name)!;
        const code = e.codes[n]!;
        if (code > 0) p.set(f.name, e.values[code - 1]!);
      } else if (f.kind === 'set') {
        const s = new Set<string>();
        for (const [value, b] of this.sets.get(f.name)!) if (b[n >>> 5]! & (1 << (n & 31))) s.add(value);
        p.set(f.name, s);
      } else {
        const flat = this.scores.get(f.name)![n];
        const m = new Map<string, number>();
        for (let i = 0; flat && i < flat.length; i += 2) m.set(this.keys[flat[i]!]!, flat[i + 1]!);
        p.set(f.name, m);
      }
    }
    return p;
  }

  /** Bytes the typed columns hold (scores rows excluded), for the bench. */
  bytes(): number {
    let n = 0;
    for (const a of this.ints.values()) n += a.byteLength;
    for (const e of this.enums.values()) n += e.codes.byteLength;
    for (const bits of this.sets.values()) for (const b of bits.values()) n += b.byteLength;
    return n;
  }
}
