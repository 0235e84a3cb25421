import { grow, widenedFor, type Codes } from './compact.ts';
import { fieldBit } from './completeness.ts';
import { identitiesOfKeys, keyType, LINK_KEY_TYPES, recordKeys } from './keys.ts';
import type { RecordConsent, RecordProfile, SourceRecord } from './record.ts';
import { canonicalMs } from './packed-time.ts';
import type { SnapshotArray } from './snapshot-codec.ts';
import { PoolInterner, StringPool } from './string-pool.ts';

/*
 * The resolver's memory: every source record by index, in columns, and every key with the
 * records that carry it. Records are never removed; an imported row that comes again replaces
 * its own columns and key slots. Every string is a number into a StringPool (record ids, keys)
 * or an interner over one (profile text, member ids, times): no JavaScript string or Map entry
 * per record, so 15 million records fit, and a snapshot is these arrays as they are.
 */

const EMPTY = -1;
/**
 * Times as `toISOString` gives them (every cleaned import time is) are said by their milliseconds,
 * not pooled: at 15M records the pooled observedAt strings were ~38 bytes a record. `observed` 0
 * is such a time; `registered` AS_SENIORITY is seniorityMs's.
 */
const CANONICAL = 0;
const AS_SENIORITY = -1;
const isoOf = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : undefined);

export class RecordStore {
  count = 0;
  /** Record ids: record i is string i. */
  private idPool = new StringPool();
  private sources = new PoolInterner();
  /** observedAt when not as toISOString gives it (blank kept: 0 is CANONICAL). */
  private times = new PoolInterner(true);
  /** Store member ids, emails and registration times not as toISOString gives them, given back exactly (blank too). */
  private exact = new PoolInterner(true);
  private memberCode = new Int32Array(0);
  private registered = new Int32Array(0);
  private email = new Int32Array(0);
  source = new Uint16Array(0);
  observed = new Int32Array(0);
  observedMs = new Float64Array(0);
  /** When the record reached the resolver: a link's time is its later record's. */
  addedMs = new Float64Array(0);
  /** registeredAt, else observedAt: which store member is the oldest. */
  seniorityMs = new Float64Array(0);
  provisional = new Uint8Array(0);
  /** Consent per channel, two bits each (0 unknown, 1 yes, 2 no), in CONSENT_ORDER. */
  private consent = new Uint8Array(0);
  // Profile text, interned per field: names, dates, cities and store ids repeat a lot.
  private text = textColumns();
  /** A record's keys are slots slotStart..slotStart+slotCount-1. */
  slotStart = new Int32Array(0);
  slotCount = new Uint8Array(0);

  // Keys: key k is string k of the pool.
  private keyPool = new StringPool();
  keyKind = new Uint8Array(0);
  /** Distinct records carrying the key. */
  keyCount = new Int32Array(0);
  /** First slot of the key's list of carriers. */
  keyHead = new Int32Array(0);
  // Slots: one per (record, key); chained per key.
  slots = 0;
  slotKey = new Int32Array(0);
  slotRec = new Int32Array(0);
  slotNext = new Int32Array(0);

  indexOf(id: string): number | undefined {
    const i = this.idPool.indexOf(id);
    return i < 0 ? undefined : i;
  }

  keyOf(key: string): number | undefined {
    const k = this.keyPool.indexOf(key);
    return k < 0 ? undefined : k;
  }

  /** Record i's id. */
  id(i: number): string {
    return this.idPool.get(i);
  }

  /** Key k. */
  key(k: number): string {
    return this.keyPool.get(k);
  }

  /** How many distinct keys there are. */
  get keyTotal(): number {
    return this.keyPool.length;
  }

  /** The keys a record links on: its identities' keys and its store member id. */
  static linkKeys(r: SourceRecord, extra: readonly string[] = []): string[] {
    const keys = recordKeys(r.identities);
    if (r.memberId) keys.push(`member:${r.memberId}`);
    for (const k of extra) if (!keys.includes(k)) keys.push(k);
    return keys;
  }

  /**
   * Stores a record (new, or replacing the one with its id) and its keys. Returns its index and
   * the keys it no longer carries (a replaced record's) and those it newly carries.
   */
  put(r: SourceRecord, addedMs: number, keys: readonly string[]): { index: number; created: boolean; dropped: number[]; gained: number[] } {
    // Record i is string i of the pool: a new id is numbered `count`.
    const i = this.idPool.add(r.id);
    const created = i === this.count;
    if (created) {
      this.count++;
      this.ensure(this.count);
      this.addedMs[i] = addedMs;
    }
    this.source[i] = this.sources.code(r.source);
    const canonicalObs = canonicalMs(r.observedAt);
    const obs = Number.isNaN(canonicalObs) ? Date.parse(r.observedAt) : canonicalObs;
    this.observed[i] = Number.isNaN(canonicalObs) ? this.times.code(r.observedAt) : CANONICAL;
    this.observedMs[i] = obs;
    this.memberCode[i] = this.exact.code(r.memberId);
    this.provisional[i] = r.provisional ? 1 : 0;
    this.consent[i] = packConsent(r.consent);
    const p = r.profile;
    const canonicalReg = p.registeredAt === undefined ? NaN : canonicalMs(p.registeredAt);
    const reg = Number.isNaN(canonicalReg) && p.registeredAt ? Date.parse(p.registeredAt) : canonicalReg;
    this.seniorityMs[i] = Number.isNaN(reg) ? obs : reg;
    this.registered[i] = Number.isNaN(canonicalReg) ? this.exact.code(p.registeredAt) : AS_SENIORITY;
    const { name, gender, birthday, province, city, homeStore } = this.text;
    name.set(i, p.name);
    gender.set(i, p.gender);
    birthday.set(i, p.birthday);
    province.set(i, p.region?.province);
    city.set(i, p.region?.city);
    homeStore.set(i, p.homeStoreId);
    this.email[i] = this.exact.code(p.email);

    const { dropped, gained } = this.setKeys(i, keys, created);
    return { index: i, created, dropped, gained };
  }

  /** Replaces record `i`'s keys; returns the key numbers it lost and gained. */
  setKeys(i: number, keys: readonly string[], created = false): { dropped: number[]; gained: number[] } {
    const before = created ? [] : this.keysOfRecord(i);
    const keyIds = [...new Set(keys.map((k) => this.internKey(k)))];
    const gained = keyIds.filter((k) => !before.includes(k));
    const dropped = before.filter((k) => !keyIds.includes(k));
    if (created || gained.length || dropped.length) {
      for (const k of before) this.unlinkSlot(i, k);
      this.slotStart[i] = this.slots;
      this.slotCount[i] = keyIds.length;
      this.ensureSlots(this.slots + keyIds.length);
      for (const k of keyIds) {
        const s = this.slots++;
        this.slotKey[s] = k;
        this.slotRec[s] = i;
        this.slotNext[s] = this.keyHead[k]!;
        this.keyHead[k] = s;
      }
      for (const k of gained) this.keyCount[k]!++;
      for (const k of dropped) this.keyCount[k]!--;
    }
    return { dropped, gained };
  }

  keysOfRecord(i: number): number[] {
    const out: number[] = [];
    const s0 = this.slotStart[i]!;
    for (let s = s0; s < s0 + this.slotCount[i]!; s++) out.push(this.slotKey[s]!);
    return out;
  }

  /** Records carrying key `k`. */
  carriers(k: number): number[] {
    const out: number[] = [];
    for (let s = this.keyHead[k]!; s !== EMPTY; s = this.slotNext[s]!) out.push(this.slotRec[s]!);
    return out;
  }

  /** Any one record carrying key `k`, or -1. */
  firstCarrier(k: number): number {
    const s = this.keyHead[k]!;
    return s === EMPTY ? EMPTY : this.slotRec[s]!;
  }

  memberId(i: number): string | undefined {
    return this.exact.value(this.memberCode[i]!);
  }

  sourceByCode(code: number): string {
    return this.sources.value(code)!;
  }

  sourceName(i: number): string {
    return this.sources.value(this.source[i]!)!;
  }

  /** The record as it was given (identities in their normalised key form). */
  record(i: number): SourceRecord {
    const profile: RecordProfile = {};
    const t = this.text;
    const set = <K extends keyof RecordProfile>(k: K, v: RecordProfile[K] | undefined) => {
      if (v !== undefined) profile[k] = v;
    };
    set('name', t.name.get(i));
    set('gender', t.gender.get(i) as RecordProfile['gender']);
    set('birthday', t.birthday.get(i));
    const province = t.province.get(i);
    const city = t.city.get(i);
    if (province || city) profile.region = { ...(province ? { province } : {}), ...(city ? { city } : {}) };
    set('registeredAt', this.registeredAt(i));
    set('homeStoreId', t.homeStore.get(i));
    set('email', this.exact.value(this.email[i]!));
    const r: SourceRecord = {
      id: this.id(i),
      source: this.sourceName(i),
      observedAt: this.observedAt(i),
      identities: identitiesOfKeys(this.keysOfRecord(i).map((k) => this.key(k))),
      profile,
    };
    const memberId = this.memberId(i);
    if (memberId) r.memberId = memberId;
    if (this.provisional[i]) r.provisional = true;
    const consent = unpackConsent(this.consent[i]!);
    if (consent) r.consent = consent;
    return r;
  }

  private observedAt(i: number): string {
    const code = this.observed[i]!;
    // CANONICAL only where the milliseconds gave the text back (put); blank is pooled.
    return code === CANONICAL ? isoOf(this.observedMs[i]!)! : this.times.value(code)!;
  }

  private registeredAt(i: number): string | undefined {
    const code = this.registered[i]!;
    return code === AS_SENIORITY ? isoOf(this.seniorityMs[i]!) : this.exact.value(code);
  }

  /** Which profile fields the record fills, as a completeness mask (identities are the caller's). */
  profileMask(i: number): number {
    let m = 0;
    const t = this.text;
    if (t.name.has(i)) m |= fieldBit('name');
    if (t.gender.has(i)) m |= fieldBit('gender');
    if (t.birthday.has(i)) m |= fieldBit('birthday');
    if (t.province.has(i) || t.city.has(i)) m |= fieldBit('region');
    // Not through registeredAt(i): a Date and a string per record, 15M of them in a pass of One-ID's figures.
    const reg = this.registered[i]!;
    if (reg === AS_SENIORITY ? Number.isFinite(this.seniorityMs[i]!) : this.exact.value(reg)?.trim()) m |= fieldBit('registeredAt');
    if (t.homeStore.has(i)) m |= fieldBit('homeStoreId');
    return m;
  }

  /** Profile text used to suggest matches: name, birthday, city. */
  lookalike(i: number): { name?: string; birthday?: string; city?: string } {
    return { name: this.text.name.get(i), birthday: this.text.birthday.get(i), city: this.text.city.get(i) };
  }

  /** Every column, pool and key list, trimmed to what is used (views: write them before the next change). */
  exportState(out: Map<string, SnapshotArray>): { count: number; slots: number } {
    const n = this.count;
    for (const [name, a] of Object.entries(this.recordColumns())) out.set(`store.${name}`, a.subarray(0, n));
    for (const field of TEXT_FIELDS) out.set(`store.text.${field}`, this.text[field].codes.subarray(0, n));
    const k = this.keyTotal;
    out.set('store.keyKind', this.keyKind.subarray(0, k));
    out.set('store.keyCount', this.keyCount.subarray(0, k));
    out.set('store.keyHead', this.keyHead.subarray(0, k));
    out.set('store.slotKey', this.slotKey.subarray(0, this.slots));
    out.set('store.slotRec', this.slotRec.subarray(0, this.slots));
    out.set('store.slotNext', this.slotNext.subarray(0, this.slots));
    for (const [name, pool] of Object.entries(this.pools())) {
      const p = pool.parts();
      out.set(`pool.${name}.bytes`, p.bytes);
      out.set(`pool.${name}.ends`, p.ends);
      out.set(`pool.${name}.hashes`, p.hashes);
    }
    return { count: n, slots: this.slots };
  }

  /** A store from `exportState` (the arrays are taken over, not copied); throws when they do not fit together. */
  static importState(arrays: ReadonlyMap<string, SnapshotArray>, counts: { count: number; slots: number }): RecordStore {
    const st = new RecordStore();
    const take = <T extends SnapshotArray>(name: string, like: T, length: number): T => {
      const a = arrays.get(name);
      if (!a || a.constructor !== like.constructor || a.length < length) throw new Error(`snapshot: ${name} is missing or short`);
      return a as T;
    };
    const pool = (name: string) => StringPool.fromParts({ bytes: take(`pool.${name}.bytes`, new Uint8Array(0), 0), ends: take(`pool.${name}.ends`, new Uint32Array(0), 0), hashes: take(`pool.${name}.hashes`, new Uint32Array(0), 0) });
    st.idPool = pool('ids');
    st.keyPool = pool('keys');
    st.sources = new PoolInterner(false, pool('sources'));
    st.times = new PoolInterner(true, pool('times'));
    for (const field of TEXT_FIELDS) {
      const codes = arrays.get(`store.text.${field}`);
      if (!(codes instanceof Uint8Array || codes instanceof Uint16Array || codes instanceof Int32Array) || codes.length < counts.count) throw new Error(`snapshot: store.text.${field} is missing or short`);
      st.text[field] = new TextColumn(new PoolInterner(false, pool(`text.${field}`)), codes);
    }
    st.exact = new PoolInterner(true, pool('exact'));
    st.count = counts.count;
    st.slots = counts.slots;
    if (st.idPool.length !== st.count) throw new Error('snapshot: record ids and records differ in number');
    const cols = st.recordColumns();
    for (const name of Object.keys(cols) as (keyof typeof cols)[]) (st as unknown as Record<string, SnapshotArray>)[name] = take(`store.${name}`, cols[name], st.count);
    const k = st.keyTotal;
    st.keyKind = take('store.keyKind', st.keyKind, k);
    st.keyCount = take('store.keyCount', st.keyCount, k);
    st.keyHead = take('store.keyHead', st.keyHead, k);
    st.slotKey = take('store.slotKey', st.slotKey, st.slots);
    st.slotRec = take('store.slotRec', st.slotRec, st.slots);
    st.slotNext = take('store.slotNext', st.slotNext, st.slots);
    return st;
  }

  private pools(): Record<string, StringPool> {
    const pools: Record<string, StringPool> = { ids: this.idPool, keys: this.keyPool, sources: this.sources.pool, times: this.times.pool, exact: this.exact.pool };
    for (const field of TEXT_FIELDS) pools[`text.${field}`] = this.text[field].interner.pool;
    return pools;
  }

  /** The per-record arrays, by field name (all of length ≥ count). */
  private recordColumns() {
    const { source, observed, observedMs, addedMs, seniorityMs, provisional, consent, memberCode, registered, email, slotStart, slotCount } = this;
    return { source, observed, observedMs, addedMs, seniorityMs, provisional, consent, memberCode, registered, email, slotStart, slotCount };
  }

  private internKey(key: string): number {
    const known = this.keyPool.length;
    const k = this.keyPool.add(key);
    if (k === known) {
      this.keyKind = grow(this.keyKind, k + 1);
      this.keyCount = grow(this.keyCount, k + 1);
      this.keyHead = grow(this.keyHead, k + 1, EMPTY);
      this.keyKind[k] = LINK_KEY_TYPES.indexOf(keyType(key));
      this.keyHead[k] = EMPTY;
    }
    return k;
  }

  private unlinkSlot(i: number, k: number) {
    let prev = EMPTY;
    for (let s = this.keyHead[k]!; s !== EMPTY; prev = s, s = this.slotNext[s]!) {
      if (this.slotRec[s] !== i) continue;
      if (prev === EMPTY) this.keyHead[k] = this.slotNext[s]!;
      else this.slotNext[prev] = this.slotNext[s]!;
      return;
    }
  }

  private ensure(n: number) {
    if (n <= this.source.length) return;
    this.source = grow(this.source, n);
    this.observed = grow(this.observed, n);
    this.observedMs = grow(this.observedMs, n);
    this.addedMs = grow(this.addedMs, n);
    this.seniorityMs = grow(this.seniorityMs, n);
    this.provisional = grow(this.provisional, n);
    this.consent = grow(this.consent, n);
    this.memberCode = grow(this.memberCode, n);
    this.registered = grow(this.registered, n);
    this.email = grow(this.email, n);
    for (const field of TEXT_FIELDS) this.text[field].ensure(n);
    this.slotStart = grow(this.slotStart, n);
    this.slotCount = grow(this.slotCount, n);
  }

  private ensureSlots(n: number) {
    if (n <= this.slotKey.length) return;
    this.slotKey = grow(this.slotKey, n);
    this.slotRec = grow(this.slotRec, n);
    this.slotNext = grow(this.slotNext, n);
  }
}

const TEXT_FIELDS = ['name', 'gender', 'birthday', 'province', 'city', 'homeStore'] as const;

/**
 * A profile text field: codes from its own interner, in a column as narrow as its codes (8, 16 or
 * 32 bits, widened once per width). Gender, province, city and store have few values, so their
 * columns take 1–2 bytes a record, not 4 (~15 bytes a record less over the six fields).
 */
class TextColumn {
  constructor(
    readonly interner = new PoolInterner(),
    public codes: Codes = new Uint8Array(0),
  ) {}

  set(i: number, value: string | undefined): void {
    const code = this.interner.code(value);
    this.codes = widenedFor(this.codes, code);
    this.codes[i] = code;
  }

  get(i: number): string | undefined {
    return this.interner.value(this.codes[i]!);
  }

  has(i: number): boolean {
    return this.codes[i] !== 0;
  }

  ensure(n: number): void {
    this.codes = grow(this.codes, n);
  }
}

function textColumns(): Record<(typeof TEXT_FIELDS)[number], TextColumn> {
  return { name: new TextColumn(), gender: new TextColumn(), birthday: new TextColumn(), province: new TextColumn(), city: new TextColumn(), homeStore: new TextColumn() };
}

const CONSENT_ORDER = ['sms', 'wechat', 'email', 'phone'] as const;

/** A record's consent in one byte: a million records keep it in a megabyte. */
function packConsent(c: RecordConsent | undefined): number {
  let bits = 0;
  CONSENT_ORDER.forEach((ch, k) => {
    const v = c?.[ch];
    if (v !== undefined) bits |= (v ? 1 : 2) << (2 * k);
  });
  return bits;
}

function unpackConsent(bits: number): RecordConsent | undefined {
  if (bits === 0) return undefined;
  const out: RecordConsent = {};
  CONSENT_ORDER.forEach((ch, k) => {
    const v = (bits >> (2 * k)) & 3;
    if (v !== 0) out[ch] = v === 1;
  });
  return out;
}
