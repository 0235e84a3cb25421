/*
 * A segment rule evaluated over the whole base at once (decision 023): every condition becomes a
 * bitset by member number, made by one tight loop over a typed column (Int32Array, Uint16Array of
 * enum codes, or the set's own bitsets), and the tree combines them word by word: `all` ANDs,
 * `any` ORs, `not` is the complement within the members that exist. An `all` hands its running
 * result down as a mask, so a later condition skips the words no member is left in. Nothing is
 * allocated per member. `matchesProfile` is the same rule read per member, the plain meaning the
 * property test holds the bitsets to.
 */
import { storeKey } from '../org-scope.ts';
import { profileField, type Profile } from './fields.ts';
import type { Comparison, Condition } from './segment-rules.ts';
import { dayNumber } from './source-facts.ts';

/** An int or day the member has no value for (hub/profile/columns.ts writes the same). */
export const ABSENT = -2147483648;
const MAX = 2147483647;

/** A column as the profile base gives it (structurally hub/profile/columns.ts's Column). */
export type SegmentColumn =
  | { kind: 'int' | 'day'; values: Int8Array | Int16Array | Int32Array; absent: number }
  | { kind: 'enum'; codes: Uint16Array; values: readonly string[] }
  | { kind: 'set'; bits: ReadonlyMap<string, Uint32Array> }
  | { kind: 'scores'; values: Int32Array };
export interface SegmentColumns {
  column(field: string, key?: string): SegmentColumn | undefined;
}
/** The stores under an org node id (`region:East`), as upper-case store ids; none for a node the tree lacks. */
export type StoresUnder = (nodeId: string) => ReadonlySet<string>;

export const wordsFor = (n: number) => (n + 31) >>> 5;

/** A bitset of members 0..n-1 (the last word's spare bits clear). */
export function allMembers(n: number): Uint32Array {
  const bits = new Uint32Array(wordsFor(n)).fill(0xffffffff);
  if (n & 31) bits[bits.length - 1] = (1 << (n & 31)) - 1;
  return bits;
}

export function popcount(bits: Uint32Array): number {
  let c = 0;
  for (let w = 0; w < bits.length; w++) {
    let v = bits[w]!;
    v -= (v >>> 1) & 0x55555555;
    v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
    c += (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
  }
  return c;
}

/** The member numbers set in a bitset, ascending, from `from` on. */
export function* membersOf(bits: Uint32Array, from = 0): Generator<number> {
  for (let w = from >>> 5; w < bits.length; w++) {
    let v = bits[w]!;
    if (w === from >>> 5) v &= 0xffffffff << (from & 31);
    while (v !== 0) {
      const b = 31 - Math.clz32(v & -v);
      yield (w << 5) | b;
      v &= v - 1;
    }
  }
}

/**
 * The members of `live` (a bitset over member numbers) that the rule holds for. `live` says who
 * exists (numbers of merged-away members are free) and may narrow further: a scope.
 */
export function segmentBits(rule: Condition, columns: SegmentColumns, live: Uint32Array, storesUnder: StoresUnder): Uint32Array {
  return evaluate(rule, columns, live, storesUnder);
}

function evaluate(c: Condition, cols: SegmentColumns, mask: Uint32Array, org: StoresUnder): Uint32Array {
  if ('all' in c) {
    let acc = mask;
    for (const child of c.all) acc = evaluate(child, cols, acc, org);
    return acc;
  }
  if ('any' in c) {
    const out = new Uint32Array(mask.length);
    for (const child of c.any) {
      const r = evaluate(child, cols, mask, org);
      for (let w = 0; w < out.length; w++) out[w]! |= r[w]!;
    }
    return out;
  }
  if ('not' in c) {
    const r = evaluate(c.not, cols, mask, org);
    const out = new Uint32Array(mask.length);
    for (let w = 0; w < out.length; w++) out[w] = mask[w]! & ~r[w]!;
    return out;
  }
  return leaf(c, cols, mask, org);
}

const scalar = (v: number | string | undefined): number => (typeof v === 'string' ? dayNumber(v) : (v ?? 0));

/** The org nodes of a `within`, as one set of upper-case store ids. */
function storesOf(values: readonly string[] | undefined, org: StoresUnder): Set<string> {
  const out = new Set<string>();
  for (const v of values ?? []) for (const s of org(v)) out.add(s);
  return out;
}

function leaf(c: Comparison, cols: SegmentColumns, mask: Uint32Array, org: StoresUnder): Uint32Array {
  const out = new Uint32Array(mask.length);
  const col = cols.column(c.field, c.key);
  if (!col) return out;
  if (col.kind === 'int' || col.kind === 'day' || col.kind === 'scores') {
    // Scores have no "unknown": a member without a score for the key scores 0.
    const none = col.kind === 'scores' ? 0 : col.absent;
    const v = scalar(c.value);
    let lo = ABSENT + 1;
    let hi = MAX;
    let invert = false;
    switch (c.op) {
      case 'eq': lo = hi = v; break;
      case 'ne': lo = hi = v; invert = true; break;
      case 'lt': hi = v - 1; break;
      case 'lte': hi = v; break;
      case 'gt': lo = v + 1; break;
      case 'gte': lo = v; break;
      case 'between': lo = scalar(c.min); hi = scalar(c.max); break;
      case 'known': lo = hi = none; invert = true; break;
      case 'unknown': lo = hi = none; return rangeBits(col.values, lo, hi, false, ABSENT + 0.5, mask, out);
    }
    // A comparison never holds for an unknown value (`ne` included): only `not` reaches those.
    return rangeBits(col.values, lo, hi, invert, col.kind === 'scores' ? ABSENT + 0.5 : col.absent, mask, out);
  }
  if (col.kind === 'enum') {
    const table = new Uint8Array(col.values.length + 1);
    if (c.op === 'known' || c.op === 'unknown') {
      table.fill(c.op === 'known' ? 1 : 0);
      table[0] = c.op === 'known' ? 0 : 1;
    } else if (c.op === 'within') {
      const stores = storesOf(c.values, org);
      col.values.forEach((v, i) => (table[i + 1] = stores.has(storeKey(v)) ? 1 : 0));
    } else {
      const want = new Set(c.values);
      col.values.forEach((v, i) => (table[i + 1] = want.has(v) === (c.op === 'in') ? 1 : 0));
    }
    return codeBits(col.codes, table, mask, out);
  }
  if (col.kind !== 'set') return out;
  // A set: its values' bitsets combined word by word.
  let values: string[];
  if (c.op === 'within') {
    const stores = storesOf(c.values, org);
    values = [...col.bits.keys()].filter((v) => stores.has(storeKey(v)));
  } else values = [...new Set(c.values)];
  const bitsets = values.map((v) => col.bits.get(v));
  if (c.op === 'containsAll') {
    for (let w = 0; w < out.length; w++) {
      let word = mask[w]!;
      for (let i = 0; word !== 0 && i < bitsets.length; i++) word &= bitsets[i]?.[w] ?? 0;
      out[w] = word;
    }
    return out;
  }
  for (let w = 0; w < out.length; w++) {
    let word = 0;
    for (let i = 0; i < bitsets.length; i++) word |= bitsets[i]?.[w] ?? 0;
    out[w] = mask[w]! & (c.op === 'containsNone' ? ~word : word);
  }
  return out;
}

/** Members of `mask` whose value is within [lo, hi] (outside it when `invert`), never `absent`. */
function rangeBits(values: Int8Array | Int16Array | Int32Array, lo: number, hi: number, invert: boolean, absent: number, mask: Uint32Array, out: Uint32Array): Uint32Array {
  const n = values.length;
  const flip = invert ? 1 : 0;
  for (let w = 0; w < mask.length; w++) {
    const m = mask[w]!;
    if (m === 0) continue;
    const base = w << 5;
    const end = Math.min(32, n - base);
    let word = 0;
    for (let b = 0; b < end; b++) {
      const x = values[base + b]!;
      word |= ((((x >= lo ? 1 : 0) & (x <= hi ? 1 : 0)) ^ flip) & (x !== absent ? 1 : 0)) << b;
    }
    out[w] = word & m;
  }
  return out;
}

function codeBits(codes: Uint16Array, table: Uint8Array, mask: Uint32Array, out: Uint32Array): Uint32Array {
  const n = codes.length;
  for (let w = 0; w < mask.length; w++) {
    const m = mask[w]!;
    if (m === 0) continue;
    const base = w << 5;
    const end = Math.min(32, n - base);
    let word = 0;
    for (let b = 0; b < end; b++) word |= (table[codes[base + b]!] ?? 0) << b;
    out[w] = word & m;
  }
  return out;
}

// ——— the same rule, one member at a time ———

/** Whether a rule holds for one profile: the plain meaning of each operator. */
export function matchesProfile(c: Condition, p: Profile, org: StoresUnder): boolean {
  if ('all' in c) return c.all.every((x) => matchesProfile(x, p, org));
  if ('any' in c) return c.any.some((x) => matchesProfile(x, p, org));
  if ('not' in c) return !matchesProfile(c.not, p, org);
  const f = profileField(c.field);
  if (!f) return false;
  const v = p.get(c.field);
  if (c.op === 'within') {
    const stores = storesOf(c.values, org);
    if (typeof v === 'string') return stores.has(storeKey(v));
    return v instanceof Set && [...(v as ReadonlySet<string>)].some((s) => stores.has(storeKey(s)));
  }
  if (f.kind === 'int' || f.kind === 'day' || f.kind === 'scores') {
    let x: number | undefined;
    if (f.kind === 'scores') {
      x = 0;
      if (v instanceof Map) for (const [k, s] of v as ReadonlyMap<string, number>) if (k === c.key || k.startsWith(`${c.key}/`)) x += s;
      x |= 0;
      if (c.op === 'known') return x !== 0;
      if (c.op === 'unknown') return x === 0;
    } else x = typeof v === 'number' ? v : typeof v === 'string' ? dayNumber(v) : undefined;
    if (c.op === 'known') return x !== undefined;
    if (c.op === 'unknown') return x === undefined;
    if (x === undefined) return false;
    const y = scalar(c.value);
    switch (c.op) {
      case 'eq': return x === y;
      case 'ne': return x !== y;
      case 'lt': return x < y;
      case 'lte': return x <= y;
      case 'gt': return x > y;
      case 'gte': return x >= y;
      case 'between': return x >= scalar(c.min) && x <= scalar(c.max);
    }
    return false;
  }
  if (f.kind === 'enum') {
    if (c.op === 'known') return typeof v === 'string';
    if (c.op === 'unknown') return typeof v !== 'string';
    if (typeof v !== 'string') return false;
    return (c.values ?? []).includes(v) === (c.op === 'in');
  }
  const have = v instanceof Set ? (v as ReadonlySet<string>) : new Set<string>();
  const want = c.values ?? [];
  if (c.op === 'containsAll') return want.every((x) => have.has(x));
  const any = want.some((x) => have.has(x));
  return c.op === 'containsNone' ? !any : any;
}
