import { StringCodes } from '../one-id/compact.ts';
import { addFact, type CouponFact, type EventFact, type LineFact, type OrderFact, type PointsFact, type RefundFact, type SourceFact, type SourceFacts } from './source-facts.ts';

/*
 * The profile engine's facts per source id, packed (decision 026): every fact is a record of
 * 32-bit words in pages shared by the whole base, chained per source from its latest record back.
 * Ten million facts as objects (an order: an object, an object per line, its id string) took about
 * 325 bytes a fact, 3 GB of heap for the garbage collector to trace; packed they take about 76,
 * outside the collector's heap.
 *
 * Exactness is kept (decision 021 point 7): a fact's id is held in full in its record (its
 * characters, not a hash of them), so a replayed fact is recognised by comparing ids, and the
 * lists read back are the facts as filed. Repeated strings (SKU, category, brand, store, market,
 * reasons, kinds, days) are codes into one table. A fact a record cannot hold exactly (a number
 * that is not a 32-bit integer, a time that is not a whole millisecond) is kept as it came, in
 * an object list of its source: rare, and read back with the others.
 */

const PAGE_BITS = 16;
/** Words per page (256 KB): a record never crosses pages. */
const PAGE = 1 << PAGE_BITS;
const NONE = 0xffffffff;

const ORDER = 1, REFUND = 2, POINTS = 3, COUPON = 4, EVENT = 5, CONSENT = 6;
/** A coupon record replaced by a newer one of the same code (its issue and redemption met). */
const DEAD = 7;
const KIND_OF = { order: ORDER, refund: REFUND, points: POINTS, coupon: COUPON, event: EVENT, consent: CONSENT } as const;

/** A day or count a coupon record has no value for. */
const NO_DAY = -2147483648;

const fits = (v: number) => (v | 0) === v && v !== NO_DAY;
/** A time in milliseconds held in two words: a whole number within 2^53. */
const fitsMs = (v: number) => Number.isSafeInteger(v);

/** Which of a source's 64 seen-bits an id hash sets. */
const seenBit = (hash: number) => (hash ^ (hash >>> 16)) & 63;

/** A 32-bit hash of a string (FNV-1a): only to skip most id comparisons; equal ids are compared in full. */
function hashOf(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}

/** Character codes of a string being read, one array per length (setting an array's length is slow). */
const CHARS: number[][] = [];

export class FactStore {
  private readonly pages: Int32Array[] = [];
  /** Where the next record goes. */
  private page = -1;
  private at = PAGE;
  /** Source id -> its number; by number: its latest record's address (NONE: none yet). */
  private readonly sourceOf = new Map<string, number>();
  private heads = new Uint32Array(1024);
  /**
   * By source number, two words: one bit per id hash (64 bits) held by its records. A bit not set
   * says the id is not there without walking the source's records (scattered over the pages: a
   * cache miss each, which the build pays for every fact).
   */
  private seen = new Uint32Array(2048);
  /** Facts a record could not hold exactly, by source number (few). */
  private readonly wide = new Map<number, SourceFacts>();
  /** Repeated strings as codes. */
  private readonly strings = new StringCodes();
  /** Facts held (a coupon's issue and redemption are one). */
  count = 0;

  /** Source ids that have facts. */
  get sources(): number {
    return this.sourceOf.size;
  }

  /** Bytes of the pages (for the bench). */
  bytes(): number {
    return this.pages.length * PAGE * 4;
  }

  /** Files a fact under its source; a fact already there (same kind and id) is left as it was. Returns whether anything changed. */
  add(f: SourceFact): boolean {
    const n = this.sourceNumber(f.source);
    if (f.kind === 'coupon') return this.addCoupon(n, f.fact);
    const kind = KIND_OF[f.kind];
    const id = f.fact.id;
    const hash = hashOf(id);
    if (this.find(n, kind, hash, id) !== NONE) return false;
    const w = this.wide.get(n);
    if (w && !addFactDryRun(w, f)) return false;
    if (!this.pack(n, f, hash)) {
      const list = w ?? {};
      this.wide.set(n, list);
      addFact(list, f);
    }
    this.count++;
    return true;
  }

  /** The facts of a source as lists (fresh objects, in the order they were filed), undefined for none. */
  lists(source: string): SourceFacts | undefined {
    const n = this.sourceOf.get(source);
    if (n === undefined) return undefined;
    const out: SourceFacts = {};
    const addrs: number[] = [];
    for (let a = this.heads[n]!; a !== NONE; a = this.word(a) >>> 0) addrs.push(a);
    for (let i = addrs.length - 1; i >= 0; i--) this.decode(addrs[i]!, out);
    const w = this.wide.get(n);
    if (w) for (const k of ['orders', 'refunds', 'points', 'coupons', 'events', 'consents'] as const) if (w[k]) (out[k] as unknown[]) = [...((out[k] as unknown[] | undefined) ?? []), ...w[k]!];
    return out;
  }

  /**
   * The store's state as it is, for a snapshot (decision 029): views of the pages and arrays, not
   * copies, so it must be written out before anything is filed again.
   */
  image(): FactStoreImage {
    const sources = new Array<string>(this.sourceOf.size);
    for (const [s, n] of this.sourceOf) sources[n] = s;
    return {
      pages: this.pages,
      page: this.page,
      at: this.at,
      sources,
      heads: this.heads.subarray(0, sources.length),
      seen: this.seen.subarray(0, 2 * sources.length),
      wide: [...this.wide],
      strings: this.strings.values,
      count: this.count,
    };
  }

  /** A store holding exactly what `image` described (the pages are taken, not copied); throws on an image that does not hold together. */
  static fromImage(img: FactStoreImage): FactStore {
    const s = new FactStore();
    const n = img.sources.length;
    if (img.heads.length !== n || img.seen.length !== 2 * n) throw new Error('heads or seen-bits do not match the sources');
    if (img.pages.some((p) => p.length !== PAGE) || img.page !== img.pages.length - 1 || img.at < 0 || img.at > PAGE) throw new Error('pages do not hold together');
    const words = img.pages.length === 0 ? 0 : img.page * PAGE + img.at;
    for (let i = 0; i < n; i++) {
      const source = img.sources[i]!;
      if (typeof source !== 'string' || s.sourceOf.has(source)) throw new Error('a source id twice');
      s.sourceOf.set(source, i);
      const h = img.heads[i]!;
      if (h !== NONE && h >= words) throw new Error('a source chain starts outside the pages');
    }
    let cap = 1024;
    while (cap < n) cap *= 2;
    s.heads = new Uint32Array(cap);
    s.heads.set(img.heads);
    s.seen = new Uint32Array(2 * cap);
    s.seen.set(img.seen);
    s.pages.push(...img.pages);
    s.page = img.page;
    s.at = img.pages.length === 0 ? PAGE : img.at;
    for (const [k, v] of img.wide) {
      if (!Number.isInteger(k) || k < 0 || k >= n) throw new Error('wide facts of no source');
      s.wide.set(k, v);
    }
    for (let i = 0; i < img.strings.length; i++) if (s.strings.code(img.strings[i]!) !== i) throw new Error('a string twice in the table');
    s.count = img.count;
    return s;
  }

  /** The source filed last: the nightly build reads a member's facts one after another. */
  private lastSource: string | undefined;
  private lastNumber = 0;

  private sourceNumber(source: string): number {
    if (source === this.lastSource) return this.lastNumber;
    let n = this.sourceOf.get(source);
    if (n === undefined) {
      n = this.sourceOf.size;
      this.sourceOf.set(source, n);
      if (n >= this.heads.length) {
        const h = new Uint32Array(this.heads.length * 2);
        h.set(this.heads);
        this.heads = h;
        const seen = new Uint32Array(h.length * 2);
        seen.set(this.seen);
        this.seen = seen;
      }
      this.heads[n] = NONE;
    }
    this.lastSource = source;
    this.lastNumber = n;
    return n;
  }

  private word(a: number): number {
    return this.pages[a >>> PAGE_BITS]![a & (PAGE - 1)]!;
  }

  /** The record of a source with this kind and id (hash first, then the id in full), or NONE. */
  private find(n: number, kind: number, hash: number, id: string): number {
    const bit = seenBit(hash);
    if ((this.seen[2 * n + (bit >>> 5)]! & (1 << (bit & 31))) === 0) return NONE;
    for (let a = this.heads[n]!; a !== NONE; ) {
      const p = this.pages[a >>> PAGE_BITS]!;
      const o = a & (PAGE - 1);
      if ((p[o + 1]! & 7) === kind && p[o + 2] === hash && this.strEquals(p, o + 3, id)) return a;
      a = p[o]! >>> 0;
    }
    return NONE;
  }

  // ——— writing ———

  /** The record being written, and its length. */
  private readonly buf = new Int32Array(PAGE);
  private bl = 0;

  private w(v: number): void {
    this.buf[this.bl++] = v;
  }

  /** A string inline: its length and whether it needs 16 bits a unit, then 4 Latin-1 or 2 UTF-16 units a word. */
  private pushStr(s: string): void {
    let wide = false;
    for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) (wide = true), (i = s.length);
    this.w((s.length << 1) | (wide ? 1 : 0));
    if (wide) for (let i = 0; i < s.length; i += 2) this.w(s.charCodeAt(i) | ((i + 1 < s.length ? s.charCodeAt(i + 1) : 0) << 16));
    else
      for (let i = 0; i < s.length; i += 4) {
        let w = 0;
        for (let j = 0; j < 4 && i + j < s.length; j++) w |= s.charCodeAt(i + j) << (8 * j);
        this.w(w);
      }
  }

  /** Writes the record of a fact, or returns false when a record cannot hold it exactly. */
  private pack(n: number, f: Exclude<SourceFact, { kind: 'coupon' }>, hash: number): boolean {
    this.bl = 0;
    this.w(0), this.w(KIND_OF[f.kind]), this.w(hash);
    this.pushStr(f.fact.id);
    switch (f.kind) {
      case 'order': {
        const o = f.fact;
        if (!fits(o.day) || !fits(o.channel) || !fits(o.listCents) || !fits(o.discountCents) || !fits(o.paidCents) || !fits(o.items) || typeof o.refundedInFull !== 'boolean') return false;
        this.w(o.day), this.w(o.channel), this.w(o.refundedInFull ? 1 : 0), this.w(this.strings.code(o.market)), this.w(this.strings.code(o.store)), this.w(o.listCents), this.w(o.discountCents), this.w(o.paidCents), this.w(o.items), this.w(o.lines.length);
        for (const l of o.lines) {
          if (!fits(l.qty) || !fits(l.cents) || typeof l.promo !== 'boolean') return false;
          this.w(this.strings.code(l.sku)), this.w(this.strings.code(l.category)), this.w(this.strings.code(l.brand) * 2 + (l.promo ? 1 : 0)), this.w(l.qty), this.w(l.cents);
        }
        break;
      }
      case 'refund': {
        const r = f.fact;
        if (!fits(r.day) || !fits(r.orderDay) || !fits(r.cents)) return false;
        this.pushStr(r.orderId);
        this.w(r.day), this.w(r.orderDay), this.w(r.cents), this.w(r.lines.length);
        for (const l of r.lines) {
          if (!fits(l.index) || !fits(l.qty) || !fits(l.cents)) return false;
          this.w(l.index), this.w(l.qty), this.w(l.cents);
        }
        break;
      }
      case 'points': {
        const p = f.fact;
        if (!fits(p.delta) || !fitsMs(p.atMs) || Object.keys(p).some((k) => !POINTS_KEYS.has(k))) return false;
        this.w(p.delta), this.w(this.strings.code(p.reason)), this.w(Math.floor(p.atMs / 2 ** 32)), this.w(p.atMs >>> 0), this.w(this.strings.code(p.day)), this.w('expiresOn' in p && p.expiresOn !== undefined ? this.strings.code(p.expiresOn) + 1 : 0);
        break;
      }
      case 'event': {
        const e = f.fact;
        if (!fits(e.day)) return false;
        this.w(this.strings.code(e.kind)), this.w(e.day), this.w(this.strings.code(e.store));
        break;
      }
      case 'consent': {
        const c = f.fact;
        if (!fitsMs(c.atMs) || typeof c.granted !== 'boolean') return false;
        this.w(this.strings.code(c.channel)), this.w(c.granted ? 1 : 0), this.w(Math.floor(c.atMs / 2 ** 32)), this.w(c.atMs >>> 0);
        break;
      }
    }
    return this.commit(n);
  }

  /** Copies the record in `buf` into the pages as the source's latest. */
  private commit(n: number): boolean {
    const b = this.buf;
    const len = this.bl;
    if (len >= PAGE) return false;
    if (this.at + len > PAGE) {
      this.pages.push(new Int32Array(PAGE));
      this.page = this.pages.length - 1;
      this.at = 0;
    }
    const addr = this.page * PAGE + this.at;
    if (addr >= NONE) throw new Error('profiles: the fact store is full');
    b[0] = this.heads[n]! | 0;
    b[1] = b[1]! | (len << 3);
    const p = this.pages[this.page]!;
    p.set(b.subarray(0, len), this.at);
    this.at += len;
    this.heads[n] = addr;
    const bit = seenBit(b[2]!);
    this.seen[2 * n + (bit >>> 5)]! |= 1 << (bit & 31);
    return true;
  }

  /** A coupon's issue and redemption meet in one entry (as addFact does): the record is replaced by the merged one. */
  private addCoupon(n: number, c: CouponFact): boolean {
    const hash = hashOf(c.code);
    const a = this.find(n, COUPON, hash, c.code);
    const w = this.wide.get(n);
    const wideCur = w?.coupons?.find((x) => x.code === c.code);
    if (a === NONE && wideCur) return addFact(w!, { source: '', kind: 'coupon', fact: c });
    let merged: CouponFact;
    if (a === NONE) merged = { ...c };
    else {
      const tmp: SourceFacts = {};
      this.decode(a, tmp);
      const cur = tmp.coupons![0]!;
      if (!addFact(tmp, { source: '', kind: 'coupon', fact: c })) return false;
      merged = cur;
      // The old record is dead; the merged one is the source's latest.
      const p = this.pages[a >>> PAGE_BITS]!;
      const o = a & (PAGE - 1);
      p[o + 1] = (p[o + 1]! & ~7) | DEAD;
      this.count--;
    }
    this.bl = 0;
    this.w(0), this.w(COUPON), this.w(hash);
    this.pushStr(merged.code);
    const ok =
      (merged.issued === undefined || fits(merged.issued)) &&
      (merged.redeemed === undefined || fits(merged.redeemed)) &&
      Object.keys(merged).every((k) => COUPON_KEYS.has(k) && (merged as unknown as Record<string, unknown>)[k] !== undefined);
    if (ok) {
      this.w(merged.issued ?? NO_DAY), this.w(merged.redeemed ?? NO_DAY), this.w(merged.orderId === undefined ? 0 : 1);
      if (merged.orderId !== undefined) this.pushStr(merged.orderId);
    }
    if (!ok || !this.commit(n)) {
      const list = w ?? {};
      this.wide.set(n, list);
      list.coupons = [...(list.coupons ?? []), merged];
    }
    this.count++;
    return true;
  }

  // ——— reading ———

  private strEquals(p: Int32Array, o: number, s: string): boolean {
    const head = p[o]!;
    if (head >>> 1 !== s.length) return false;
    if (head & 1) {
      for (let i = 0; i < s.length; i++) if (((p[o + 1 + (i >>> 1)]! >>> (16 * (i & 1))) & 0xffff) !== s.charCodeAt(i)) return false;
    } else for (let i = 0; i < s.length; i++) if (((p[o + 1 + (i >>> 2)]! >>> (8 * (i & 3))) & 0xff) !== s.charCodeAt(i)) return false;
    return true;
  }

  /** The string at `o` and the offset after it. */
  private readStr(p: Int32Array, o: number): [string, number] {
    const head = p[o]!;
    const len = head >>> 1;
    const chars = len <= 4096 ? (CHARS[len] ??= new Array<number>(len).fill(0)) : new Array<number>(len).fill(0);
    let words: number;
    if (head & 1) {
      for (let i = 0; i < len; i++) chars[i] = (p[o + 1 + (i >>> 1)]! >>> (16 * (i & 1))) & 0xffff;
      words = (len + 1) >>> 1;
    } else {
      for (let i = 0; i < len; i++) chars[i] = (p[o + 1 + (i >>> 2)]! >>> (8 * (i & 3))) & 0xff;
      words = (len + 3) >>> 2;
    }
    let str = '';
    if (len <= 4096) str = String.fromCharCode.apply(null, chars);
    else for (const c of chars) str += String.fromCharCode(c);
    return [str, o + 1 + words];
  }

  private decode(a: number, out: SourceFacts): void {
    const p = this.pages[a >>> PAGE_BITS]!;
    const s = this.strings.values;
    const kind = p[(a & (PAGE - 1)) + 1]! & 7;
    if (kind === DEAD) return;
    let [id, o] = this.readStr(p, (a & (PAGE - 1)) + 3);
    switch (kind) {
      case ORDER: {
        const nLines = p[o + 9]!;
        const lines: LineFact[] = new Array(nLines);
        let q = o + 10;
        for (let i = 0; i < nLines; i++, q += 5) lines[i] = { sku: s[p[q]!]!, category: s[p[q + 1]!]!, brand: s[p[q + 2]! >>> 1]!, qty: p[q + 3]!, cents: p[q + 4]!, promo: (p[q + 2]! & 1) === 1 };
        const order: OrderFact = { id, day: p[o]!, channel: p[o + 1]!, market: s[p[o + 3]!]!, store: s[p[o + 4]!]!, listCents: p[o + 5]!, discountCents: p[o + 6]!, paidCents: p[o + 7]!, items: p[o + 8]!, lines, refundedInFull: p[o + 2] === 1 };
        (out.orders ??= []).push(order);
        return;
      }
      case REFUND: {
        let orderId: string;
        [orderId, o] = this.readStr(p, o);
        const nLines = p[o + 3]!;
        const lines: RefundFact['lines'] = new Array(nLines);
        for (let i = 0, q = o + 4; i < nLines; i++, q += 3) lines[i] = { index: p[q]!, qty: p[q + 1]!, cents: p[q + 2]! };
        (out.refunds ??= []).push({ id, orderId, day: p[o]!, orderDay: p[o + 1]!, cents: p[o + 2]!, lines });
        return;
      }
      case POINTS: {
        const fact: PointsFact = { id, delta: p[o]!, reason: s[p[o + 1]!]!, atMs: p[o + 2]! * 2 ** 32 + (p[o + 3]! >>> 0), day: s[p[o + 4]!]! };
        if (p[o + 5] !== 0) fact.expiresOn = s[p[o + 5]! - 1]!;
        (out.points ??= []).push(fact);
        return;
      }
      case COUPON: {
        const c: CouponFact = { code: id };
        if (p[o] !== NO_DAY) c.issued = p[o]!;
        if (p[o + 1] !== NO_DAY) c.redeemed = p[o + 1]!;
        if (p[o + 2] === 1) c.orderId = this.readStr(p, o + 3)[0];
        (out.coupons ??= []).push(c);
        return;
      }
      case EVENT: {
        const e: EventFact = { id, kind: s[p[o]!]!, day: p[o + 1]!, store: s[p[o + 2]!]! };
        (out.events ??= []).push(e);
        return;
      }
      case CONSENT:
        (out.consents ??= []).push({ id, channel: s[p[o]!]!, granted: p[o + 1] === 1, atMs: p[o + 2]! * 2 ** 32 + (p[o + 3]! >>> 0) });
        return;
    }
  }
}

/** What a snapshot holds of a FactStore (decision 029). */
export interface FactStoreImage {
  pages: readonly Int32Array[];
  /** The page being written, and where in it. */
  page: number;
  at: number;
  /** Source ids by number. */
  sources: readonly string[];
  /** By source number: its latest record's address. */
  heads: Uint32Array;
  /** By source number, two words of id-hash bits. */
  seen: Uint32Array;
  wide: readonly (readonly [number, SourceFacts])[];
  /** The string table, by code. */
  strings: readonly string[];
  count: number;
}

/** Words in a page of the store (a snapshot's pages are this size). */
export const FACT_PAGE_WORDS = PAGE;

const POINTS_KEYS: ReadonlySet<string> = new Set(['id', 'delta', 'reason', 'atMs', 'day', 'expiresOn']);
const COUPON_KEYS: ReadonlySet<string> = new Set(['code', 'issued', 'redeemed', 'orderId']);

/** Whether addFact would add `f` to `list` (a fact with its id already there is not). */
function addFactDryRun(list: SourceFacts, f: Exclude<SourceFact, { kind: 'coupon' }>): boolean {
  const key = ({ order: 'orders', refund: 'refunds', points: 'points', event: 'events', consent: 'consents' } as const)[f.kind];
  return !(list[key] as { id: string }[] | undefined)?.some((x) => x.id === f.fact.id);
}
