/*
 * Growable typed arrays and string interning: a million records must fit in a few hundred
 * megabytes, which objects per record (a hundred bytes of header each, plus their strings)
 * would not.
 */

type Typed = Int32Array | Uint8Array | Uint16Array | Uint32Array | Float64Array;

/**
 * How much a full array grows: by a quarter, not double. The resolver's arrays are ~4 GB at 15M
 * records; doubling left up to as much again unused (a third on average) and three times an
 * array held while it is copied; by half, up to 2 GB unused. Copying more often costs little:
 * a 500 MB array copies in a fraction of a second, a few dozen times in a hub's life.
 */
export const GROWTH = 1.25;

/** A copy of `a` with room for at least `need` elements (by GROWTH), or `a` itself. */
export function grow<T extends Typed>(a: T, need: number, fill?: number): T {
  if (need <= a.length) return a;
  let cap = Math.max(16, a.length);
  while (cap < need) cap = Math.ceil(cap * GROWTH);
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a);
  if (fill !== undefined) b.fill(fill, a.length);
  return b;
}

/**
 * `items` grouped by key (`keyAt[i]` is item i's, 0 ≤ key < `keys`), keeping their order within a
 * key: a counting sort, with no comparator called per pair and no array of numbers on the heap.
 * Answers the items in key order and where each key's run starts (`keys` + 1 entries: key k's
 * items are `sorted[starts[k]] … sorted[starts[k + 1] - 1]`).
 */
export function groupByKey(items: Int32Array, keyAt: ArrayLike<number>, keys: number): { sorted: Int32Array; starts: Int32Array } {
  const starts = new Int32Array(keys + 1);
  for (let i = 0; i < items.length; i++) starts[keyAt[i]! + 1]!++;
  for (let k = 0; k < keys; k++) starts[k + 1]! += starts[k]!;
  const next = starts.slice(0, keys);
  const sorted = new Int32Array(items.length);
  for (let i = 0; i < items.length; i++) sorted[next[keyAt[i]!]!++] = items[i]!;
  return { sorted, starts };
}

/** Codes (≥ 0) in a column as narrow as they are. */
export type Codes = Uint8Array<ArrayBuffer> | Uint16Array<ArrayBuffer> | Int32Array<ArrayBuffer>;

/** `a`, or a copy wide enough to hold `code`: 8 → 16 → 32 bits, so each width is copied to at most once. */
export function widenedFor(a: Codes, code: number): Codes {
  if (a instanceof Int32Array || code <= (a instanceof Uint8Array ? 0xff : 0xffff)) return a;
  const b = code <= 0xffff ? new Uint16Array(a.length) : new Int32Array(a.length);
  b.set(a);
  return b;
}

/** Distinct strings numbered from 0 in the order first seen, exactly (the empty string is one too). */
export class StringCodes {
  private readonly codeOf = new Map<string, number>();
  /** The strings by code. */
  readonly values: string[] = [];

  /** `first` take codes 0, 1, … in order. */
  constructor(first: readonly string[] = []) {
    for (const v of first) this.code(v);
  }

  code(value: string): number {
    let c = this.codeOf.get(value);
    if (c === undefined) {
      c = this.values.length;
      this.values.push(value);
      this.codeOf.set(value, c);
    }
    return c;
  }
}

/** Distinct strings numbered from 1; 0 stands for "no value". */
export class Interner {
  private readonly codes = new StringCodes();

  code(value: string | undefined): number {
    // Blank is no value, as survivorship treats it.
    if (value === undefined || value.trim() === '') return 0;
    return this.codes.code(value) + 1;
  }

  value(code: number): string | undefined {
    return code === 0 ? undefined : this.codes.values[code - 1];
  }
}

/**
 * Bytes held by the typed arrays of `o` and of the objects it holds (not through Maps, Sets or
 * arrays), room to grow included: what the status file says each part of the hub holds outside
 * V8's heap. Reflective, so that a column added later is counted without a list to keep. `each`
 * is told every array once, by its path of field names (`store.keyPool.bytes`).
 */
export function heldBytes(o: object, each?: (path: string, bytes: number) => void, path = '', seen = new Set<object>()): number {
  if (seen.has(o)) return 0;
  seen.add(o);
  let n = 0;
  for (const [k, v] of Object.entries(o)) {
    if (ArrayBuffer.isView(v)) {
      if (seen.has(v)) continue;
      seen.add(v);
      n += v.byteLength;
      each?.(`${path}${k}`, v.byteLength);
    } else if (v !== null && typeof v === 'object' && !(v instanceof Map) && !(v instanceof Set) && !Array.isArray(v) && !(v instanceof Promise)) n += heldBytes(v, each, `${path}${k}.`, seen);
  }
  return n;
}
