import { grow, Interner } from './compact.ts';
import { fieldBit } from './completeness.ts';
import { identitiesOfKeys, keyType, LINK_KEY_TYPES, recordKeys } from './keys.ts';
import type { RecordConsent, RecordProfile, SourceRecord } from './record.ts';

/*
 * The resolver's memory: every source record by index, in columns, and every key with the
 * records that carry it. Records are never removed; an imported row that comes again replaces
 * its own columns and key slots.
 */

const EMPTY = -1;

export class RecordStore {
  count = 0;
  readonly ids: string[] = [];
  private readonly byId = new Map<string, number>();
  private readonly memberIds: (string | undefined)[] = [];
  private readonly registered: (string | undefined)[] = [];
  private readonly emails: (string | undefined)[] = [];
  private readonly sources = new Interner();
  private readonly times = new Interner();
  private readonly texts = new Interner();
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
  // Profile text columns, interned: names, dates, cities and store ids repeat a lot.
  private name = new Int32Array(0);
  private gender = new Int32Array(0);
  private birthday = new Int32Array(0);
  private province = new Int32Array(0);
  private city = new Int32Array(0);
  private homeStore = new Int32Array(0);
  /** A record's keys are slots slotStart..slotStart+slotCount-1. */
  slotStart = new Int32Array(0);
  slotCount = new Uint8Array(0);

  // Keys.
  readonly keys: string[] = [];
  private readonly keyIndex = new Map<string, number>();
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
    return this.byId.get(id);
  }

  keyOf(key: string): number | undefined {
    return this.keyIndex.get(key);
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
    let i = this.byId.get(r.id);
    const created = i === undefined;
    if (i === undefined) {
      i = this.count++;
      this.ensure(this.count);
      this.ids.push(r.id);
      this.byId.set(r.id, i);
      this.addedMs[i] = addedMs;
    }
    this.source[i] = this.sources.code(r.source);
    this.observed[i] = this.times.code(r.observedAt);
    const obs = Date.parse(r.observedAt);
    this.observedMs[i] = obs;
    this.memberIds[i] = r.memberId;
    this.provisional[i] = r.provisional ? 1 : 0;
    this.consent[i] = packConsent(r.consent);
    const reg = r.profile.registeredAt ? Date.parse(r.profile.registeredAt) : NaN;
    this.seniorityMs[i] = Number.isNaN(reg) ? obs : reg;
    const p = r.profile;
    this.name[i] = this.texts.code(p.name);
    this.gender[i] = this.texts.code(p.gender);
    this.birthday[i] = this.texts.code(p.birthday);
    this.province[i] = this.texts.code(p.region?.province);
    this.city[i] = this.texts.code(p.region?.city);
    this.homeStore[i] = this.texts.code(p.homeStoreId);
    this.registered[i] = p.registeredAt;
    this.emails[i] = p.email;

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
    return this.memberIds[i];
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
    const t = (code: number) => this.texts.value(code);
    const set = <K extends keyof RecordProfile>(k: K, v: RecordProfile[K] | undefined) => {
      if (v !== undefined) profile[k] = v;
    };
    set('name', t(this.name[i]!));
    set('gender', t(this.gender[i]!) as RecordProfile['gender']);
    set('birthday', t(this.birthday[i]!));
    const province = t(this.province[i]!);
    const city = t(this.city[i]!);
    if (province || city) profile.region = { ...(province ? { province } : {}), ...(city ? { city } : {}) };
    set('registeredAt', this.registered[i]);
    set('homeStoreId', t(this.homeStore[i]!));
    set('email', this.emails[i]);
    const r: SourceRecord = {
      id: this.ids[i]!,
      source: this.sourceName(i),
      observedAt: this.times.value(this.observed[i]!)!,
      identities: identitiesOfKeys(this.keysOfRecord(i).map((k) => this.keys[k]!)),
      profile,
    };
    const memberId = this.memberIds[i];
    if (memberId) r.memberId = memberId;
    if (this.provisional[i]) r.provisional = true;
    const consent = unpackConsent(this.consent[i]!);
    if (consent) r.consent = consent;
    return r;
  }

  /** Which profile fields the record fills, as a completeness mask (identities are the caller's). */
  profileMask(i: number): number {
    let m = 0;
    if (this.name[i]) m |= fieldBit('name');
    if (this.gender[i]) m |= fieldBit('gender');
    if (this.birthday[i]) m |= fieldBit('birthday');
    if (this.province[i] || this.city[i]) m |= fieldBit('region');
    if (this.registered[i]?.trim()) m |= fieldBit('registeredAt');
    if (this.homeStore[i]) m |= fieldBit('homeStoreId');
    return m;
  }

  /** Profile text used to suggest matches: name, birthday, city. */
  lookalike(i: number): { name?: string; birthday?: string; city?: string } {
    return { name: this.texts.value(this.name[i]!), birthday: this.texts.value(this.birthday[i]!), city: this.texts.value(this.city[i]!) };
  }

  private internKey(key: string): number {
    let k = this.keyIndex.get(key);
    if (k === undefined) {
      k = this.keys.length;
      this.keys.push(key);
      this.keyIndex.set(key, k);
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
    this.name = grow(this.name, n);
    this.gender = grow(this.gender, n);
    this.birthday = grow(this.birthday, n);
    this.province = grow(this.province, n);
    this.city = grow(this.city, n);
    this.homeStore = grow(this.homeStore, n);
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
