import { grow, GROWTH } from './compact.ts';

/*
 * Strings numbered from 0, each stored once as UTF-8 bytes in one growing buffer and found
 * again through an open-addressing table of typed arrays (issue 14). At 15 million records One-ID
 * holds some 15 million record ids and 20 million keys: as JavaScript strings in a Map that is
 * ~100 bytes each, and V8's Map stops at 2^24 entries. Here a string costs its bytes, 4 for its
 * end, 4 for its hash and 4–8 in the table, and the whole pool is four typed arrays that a
 * snapshot writes and reads as they are.
 */

const EMPTY = 0;

/** FNV-1a over bytes: cheap, and good enough spread for ids and keys (a table, not a defence). */
function fnv(bytes: Buffer, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

/** The arrays a pool is made of, trimmed to what is used (for a snapshot). */
export interface StringPoolParts {
  bytes: Uint8Array<ArrayBuffer>;
  ends: Uint32Array<ArrayBuffer>;
  hashes: Uint32Array<ArrayBuffer>;
}

/**
 * Writes `value` as UTF-8 into `buf` at `at` (room for 3 bytes a unit is there); its length.
 * Ids and keys are short and mostly ASCII: a loop here is several times cheaper than a call into
 * `buf.write`, which is kept for the rest.
 */
function encodeInto(buf: Buffer, at: number, value: string): number {
  const n = value.length;
  if (n > SHORT) return buf.write(value, at, 'utf8');
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0x80) return buf.write(value, at, 'utf8');
    buf[at + i] = c;
  }
  return n;
}

/** Whether buf[a, a + len) and buf2[b, b + len) hold the same bytes. */
function sameBytes(buf: Buffer, a: number, buf2: Buffer, b: number, len: number): boolean {
  if (len > SHORT) return buf.compare(buf2, b, b + len, a, a + len) === 0;
  for (let i = 0; i < len; i++) if (buf[a + i] !== buf2[b + i]) return false;
  return true;
}

const SHORT = 64;

export class StringPool {
  private bytes = Buffer.alloc(0);
  /** End offset (exclusive) of each string's bytes; it starts where the one before ended. */
  private ends = new Uint32Array(0);
  private hashes = new Uint32Array(0);
  /** Open addressing: string number + 1, or EMPTY. Never more than half full. */
  private table = new Int32Array(16);
  private used = 0;
  private n = 0;
  private scratch = Buffer.alloc(256);

  get length(): number {
    return this.n;
  }

  /** The string's number, adding it if it is new. */
  add(value: string): number {
    // Encoded straight into the free end: it stays there if new, and is free space again if not.
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    this.ensureBytes(this.used + value.length * 3);
    const from = this.used;
    const len = encodeInto(this.bytes, from, value);
    const h = fnv(this.bytes, from, from + len);
    const found = this.find(h, this.bytes, from, len);
    if (found >= 0) return found;
    const i = this.n++;
    this.used += len;
    this.ends = grow(this.ends, this.n);
    this.hashes = grow(this.hashes, this.n);
    this.ends[i] = this.used;
    this.hashes[i] = h;
    if (this.n * 2 > this.table.length) this.rehash(this.table.length * 2);
    else this.place(i, h);
    return i;
  }

  /** The string's number, or -1. */
  indexOf(value: string): number {
    const len = this.encode(value);
    return this.find(fnv(this.scratch, 0, len), this.scratch, 0, len);
  }

  get(i: number): string {
    return this.bytes.toString('utf8', i === 0 ? 0 : this.ends[i - 1]!, this.ends[i]!);
  }

  parts(): StringPoolParts {
    return { bytes: new Uint8Array(this.bytes.buffer as ArrayBuffer, this.bytes.byteOffset, this.used), ends: this.ends.subarray(0, this.n), hashes: this.hashes.subarray(0, this.n) };
  }

  /** A pool from `parts()` of another (its arrays are copied); throws when they do not agree. */
  static fromParts(p: StringPoolParts): StringPool {
    const pool = new StringPool();
    const n = p.ends.length;
    if (p.hashes.length !== n) throw new Error('string pool: ends and hashes differ in length');
    let prev = 0;
    for (let i = 0; i < n; i++) {
      if (p.ends[i]! < prev) throw new Error('string pool: ends go backwards');
      prev = p.ends[i]!;
    }
    if (prev !== p.bytes.length) throw new Error('string pool: ends do not cover the bytes');
    pool.bytes = Buffer.alloc(p.bytes.length + (p.bytes.length >> 3) + 64);
    pool.bytes.set(p.bytes);
    pool.used = p.bytes.length;
    pool.ends = new Uint32Array(n + (n >> 3) + 16);
    pool.ends.set(p.ends);
    pool.hashes = new Uint32Array(pool.ends.length);
    pool.hashes.set(p.hashes);
    pool.n = n;
    let cap = 16;
    while (n * 2 > cap) cap *= 2;
    pool.rehash(cap);
    return pool;
  }

  private encode(value: string): number {
    if (value.length * 3 > this.scratch.length) this.scratch = Buffer.alloc(value.length * 3 + 64);
    return encodeInto(this.scratch, 0, value);
  }

  /** The number of the string whose UTF-8 bytes are src[from, from + len), or -1. */
  private find(h: number, src: Buffer, from: number, len: number): number {
    const mask = this.table.length - 1;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const e = this.table[s]!;
      if (e === EMPTY) return -1;
      const i = e - 1;
      if (this.hashes[i] !== h) continue;
      const start = i === 0 ? 0 : this.ends[i - 1]!;
      if (this.ends[i]! - start === len && sameBytes(this.bytes, start, src, from, len)) return i;
    }
  }

  private place(i: number, h: number) {
    const mask = this.table.length - 1;
    let s = h & mask;
    while (this.table[s] !== EMPTY) s = (s + 1) & mask;
    this.table[s] = i + 1;
  }

  private rehash(cap: number) {
    this.table = new Int32Array(cap);
    for (let i = 0; i < this.n; i++) this.place(i, this.hashes[i]!);
  }

  private ensureBytes(need: number) {
    if (need <= this.bytes.length) return;
    // As grow() does: at 15M records the key bytes alone are some 500 MB. Past `used` nothing
    // is read, so the new buffer need not be zeroed first.
    let cap = Math.max(1024, this.bytes.length);
    while (cap < need) cap = Math.ceil(cap * GROWTH);
    const b = Buffer.allocUnsafe(cap);
    this.bytes.copy(b, 0, 0, this.used);
    this.bytes = b;
  }
}

/**
 * Strings numbered from 1 over a pool; 0 stands for "no value". Blank is no value, as
 * survivorship treats it, unless `keepBlank` (a field given back exactly as it came).
 */
export class PoolInterner {
  constructor(private readonly keepBlank = false, readonly pool = new StringPool()) {}

  code(value: string | undefined): number {
    if (value === undefined || (!this.keepBlank && value.trim() === '')) return 0;
    return this.pool.add(value) + 1;
  }

  value(code: number): string | undefined {
    return code === 0 ? undefined : this.pool.get(code - 1);
  }
}
