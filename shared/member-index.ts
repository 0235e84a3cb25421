import {
  dayNumber,
  decodeLedger,
  hasTuple,
  hasUnvested,
  idHash,
  ledgerTuple,
  LEDGER_STRIDE,
  packedRollingSpend,
  plainLedgerBalance,
  spendTuple,
  SPEND_STRIDE,
  upsertTuple,
  vestTuple,
  VEST_STRIDE,
} from './compact-facts.ts';
import { isPendingFact, ledgerBalance, type Balance, type LedgerFact } from './loyalty/points.ts';
import { tierForSpend, windowStart } from './loyalty/tiers.ts';
import { packedTierState, type TierState } from './loyalty/tier-life.ts';
import type { Coupon, CouponTemplate } from './schemas/coupon.ts';
import { AnyDocSchema, type AnyDoc, type MemberDoc } from './schemas/documents.ts';
import { DEFAULT_RULES, type LoyaltyRules, type TierRule } from './schemas/rules.ts';

/**
 * What a store keeps in memory about one member, folded from the member's documents. It is
 * kept small on purpose (100,000 members per store): the till needs the phone to mask and the
 * name to greet, the rest of the profile is read from the database when a guide asks for it;
 * ledger and spend facts are packed number tuples (see compact-facts.ts). Phone and name sit on
 * the record itself, not in an object of their own: 100,000 objects fewer for every full GC to mark.
 */
export interface MemberRecord {
  /** The member id, one string instance shared by the maps that point at this member. */
  id: string;
  /** Present once the member's profile has been seen; the same string instance keys the phone in the index. */
  phone?: string;
  name?: string;
  ledger?: number[];
  spend?: number[];
  coupons?: Coupon[];
  /** 1-12, from the profile's birthday: the month of a birthday gift (decision 019). */
  birthMonth?: number;
  /** Vesting days of the ledger entries written before theirs (compact-facts.ts VEST_STRIDE; decision 018). */
  vest?: number[];
}

export interface Redemption {
  memberId: string;
  orderId: string;
  storeId: string;
  at: string;
}

export interface MemberIndexSnapshot {
  format: 1;
  rules: LoyaltyRules;
  templates: CouponTemplate[];
  members: [string, MemberRecord][];
  keys: [string, string][];
  redemptions: [string, Redemption][];
  receipts: number[];
  /** Merged-away member id → the id it was merged into (absent in snapshots from before One-ID). */
  aliases?: [string, string][];
}

export type SnapshotPart =
  | { kind: 'head'; rules: LoyaltyRules; templates: CouponTemplate[] }
  | { kind: 'members'; members: MemberRecord[] }
  | { kind: 'keys'; keys: [string, string][] }
  | { kind: 'redemptions'; redemptions: [string, Redemption][] }
  | { kind: 'receipts'; receipts: number[] }
  | { kind: 'aliases'; aliases: [string, string][] };

function upsert<T>(list: T[] | undefined, item: T, same: (a: T) => boolean): T[] {
  if (!list) return [item];
  const i = list.findIndex(same);
  if (i >= 0) list[i] = item;
  else list.push(item);
  return list;
}

/** The profile fields a record holds, as the till shows them. */
export type Profile = Pick<MemberDoc, 'phone' | 'name'>;

/**
 * Phone keys are held as the bare number, which is also the string the member's record holds:
 * 100,000 phones kept once, not twice. No other key type starts with '+'.
 */
const PHONE_KEY = 'phone:';
const keySlot = (key: string) => (key.startsWith(PHONE_KEY) ? key.slice(PHONE_KEY.length) : key);

/** 31 bits keep every hash a small integer: 4 bytes a receipt in a Set, not 16. */
const receiptHash = (orderId: string) => idHash(orderId) % 0x80000000;

/**
 * Member codes (the barcode a member shows) are looked up in the database: a scan can wait a
 * tenth of a millisecond, and 100,000 codes would cost 10 MB of the index.
 */
export function isIndexedKey(key: string): boolean {
  return !key.startsWith('code:');
}

type MemberFact = Extract<AnyDoc, { type: 'pts' | 'order' | 'refund' | 'coupon' }>;

function isMemberFact(doc: AnyDoc): doc is MemberFact {
  return doc.type === 'pts' || doc.type === 'order' || doc.type === 'refund' || doc.type === 'coupon';
}

const balanceOf = (r: MemberRecord | undefined, today: string): Balance => ledgerBalance(decodeLedger(r?.ledger, r?.vest), today);

/**
 * Just the spendable balance: read from the packed ledger when spending order cannot matter
 * (almost always); with points still pending, by the whole fold (ledgerBalance).
 */
const pointsOf = (r: MemberRecord | undefined, today: string): number =>
  (hasUnvested(r?.vest, dayNumber(today)) ? undefined : plainLedgerBalance(r?.ledger, dayNumber(today))) ?? balanceOf(r, today).balance;

type Pending = { pending: number; nextVesting: { on: string; points: number } | null };

/** Points not yet spendable and the next day some vest; undefined when none are pending (the usual case, read without a fold). */
function pendingOf(r: MemberRecord | undefined, today: string): Pending | undefined {
  return hasUnvested(r?.vest, dayNumber(today)) ? pendingIn(balanceOf(r, today)) : undefined;
}

const pendingIn = (b: Balance): Pending | undefined => (b.pending === undefined ? undefined : { pending: b.pending, nextVesting: b.nextVesting ?? null });

/** The spendable balance and what is pending, with one fold at most (identify and checkout ask for both). */
function pointsAndPending(r: MemberRecord | undefined, today: string): { points: number; pending: Pending | undefined } {
  if (!hasUnvested(r?.vest, dayNumber(today))) return { points: pointsOf(r, today), pending: undefined };
  const b = balanceOf(r, today);
  return { points: b.balance, pending: pendingIn(b) };
}

/** The tier from the packed spend facts: the same sum as rollingSpend, without decoding them. */
const tierOf = (rules: LoyaltyRules, r: MemberRecord | undefined, today: string): TierRule =>
  rules.tierLife
    ? packedTierState(rules, r?.spend, today).tier
    : tierForSpend(rules, packedRollingSpend(r?.spend, dayNumber(windowStart(today, rules.tierWindowMonths)), dayNumber(today)));

/** Folds one fact into a member's record, keyed by its id: applying it again changes nothing. */
function foldMemberFact(r: MemberRecord, doc: MemberFact): void {
  switch (doc.type) {
    case 'pts':
      r.ledger = upsertTuple(r.ledger, LEDGER_STRIDE, ledgerTuple(doc._id, doc.delta, doc.at, doc.day, doc.expiresOn));
      if (isPendingFact(doc)) r.vest = upsertTuple(r.vest, VEST_STRIDE, vestTuple(doc._id, doc.vestsOn!));
      return;
    case 'order':
      r.spend = upsertTuple(r.spend, SPEND_STRIDE, spendTuple(doc._id, doc.day, doc.payableCents));
      return;
    case 'refund':
      r.spend = upsertTuple(r.spend, SPEND_STRIDE, spendTuple(doc._id, doc.orderDay ?? doc.day, -doc.refundCents));
      return;
    case 'coupon': {
      const { _id, _rev, type, ...coupon } = doc;
      r.coupons = upsert(r.coupons, coupon, (c) => c.code === doc.code);
      return;
    }
  }
}

/**
 * A store's working set in memory: identity keys, members, their ledgers, spend and coupons.
 * It is a fold over documents that is idempotent and order-independent (every fact is keyed by
 * its document id), so the same document applied twice, or documents arriving in any order
 * through replication, give the same state. Pure: the edge feeds it and persists its snapshots.
 */
export class MemberIndex {
  readonly members = new Map<string, MemberRecord>();
  readonly keys = new Map<string, string>();
  readonly redemptions = new Map<string, Redemption>();
  readonly templates = new Map<string, CouponTemplate>();
  /**
   * A filter of the receipts recorded here (31-bit hashes of order ids): a new receipt number
   * skips the database read that a retry needs. A hit may be a collision, so it is only a hint
   * to read the database; a miss is certain.
   */
  private readonly receipts = new Set<number>();
  /** Coupon code → holder; derived from the members' coupons, not persisted. */
  private readonly couponHolders = new Map<string, string>();
  /**
   * One-ID merges (alias documents): merged-away id → the id it went into. Every id keeps its
   * own record; what the till reads of a member is its record and those of the ids merged into
   * it, together (`combined`), so facts arriving before or after the alias all count, and an
   * undone merge (a split at the hub) leaves each member with what is theirs.
   */
  private readonly aliases = new Map<string, string>();
  /** Member → the ids merged into it (directly or not); derived from `aliases`, rebuilt when they change. */
  private absorbed: Map<string, string[]> | undefined;
  rules: LoyaltyRules = DEFAULT_RULES;

  private record(memberId: string): MemberRecord {
    let r = this.members.get(memberId);
    if (!r) this.members.set(memberId, (r = { id: memberId }));
    return r;
  }

  /**
   * Folds in a document as read from a database or a replica: documents of other kinds (a
   * heartbeat, a design document) and ones this version cannot read are left out.
   */
  applyStored(doc: unknown): void {
    const parsed = AnyDocSchema.safeParse(doc);
    if (parsed.success) this.apply(parsed.data);
  }

  apply(doc: AnyDoc): void {
    switch (doc.type) {
      case 'member': {
        if (doc.erasedAt !== undefined) return this.forget(doc.id);
        const r = this.record(doc.id);
        r.phone = doc.phone;
        if (doc.name !== undefined || r.name !== undefined) r.name = doc.name;
        if (doc.birthday !== undefined) r.birthMonth = Number(doc.birthday.slice(5, 7));
        else delete r.birthMonth;
        // Re-key the member's phone with the record's string, so that one instance serves both.
        if (this.keys.get(doc.phone) === r.id) {
          this.keys.delete(doc.phone);
          this.keys.set(doc.phone, r.id);
        }
        return;
      }
      case 'alias':
        if (doc.undoneAt === undefined) this.merge(doc.from, doc.to);
        else if (this.aliases.get(doc.from) === doc.to) this.setAlias(doc.from, undefined);
        return;
      case 'idk':
        if (!isIndexedKey(doc.key)) return;
        this.setKey(doc.key, doc.memberId);
        return;
      case 'order':
        this.receipts.add(receiptHash(doc._id));
        if (doc.memberId !== undefined) foldMemberFact(this.record(doc.memberId), doc);
        return;
      case 'pts':
      case 'refund':
      case 'coupon': {
        const memberId = doc.memberId;
        if (memberId === undefined) return;
        foldMemberFact(this.record(memberId), doc);
        if (doc.type === 'coupon') this.couponHolders.set(doc.code, memberId);
        return;
      }
      case 'redeem': {
        // Two stores redeeming one coupon offline is a conflict the hub settles: the earliest stands.
        // At the same instant the order id decides, so every arrival order settles the same way.
        const known = this.redemptions.get(doc.code);
        if (!known || doc.at < known.at || (doc.at === known.at && doc.orderId < known.orderId)) {
          this.redemptions.set(doc.code, { memberId: doc.memberId, orderId: doc.orderId, storeId: doc.storeId, at: doc.at });
        }
        return;
      }
      case 'rules':
        this.rules = doc.rules;
        return;
      case 'tpl':
        this.templates.set(doc.template.id, doc.template);
        return;
      case 'event':
      case 'consent':
      // The guide reads a member's profile document from the replica when it shows the member.
      case 'profile':
        return;
      // Points catalogue (decision 020): a refunded exchange's coupon is void, used up by the
      // refund as a receipt would use it, so every till refuses it; the exchange itself moves
      // points through its ledger entry and issues through its coupon document.
      case 'exchange-refund':
        if (doc.couponCode !== undefined) this.applyRedemption(doc.couponCode, { memberId: doc.memberId, orderId: doc._id, storeId: doc.storeId, at: doc.at });
        return;
    }
  }

  private applyRedemption(code: string, r: Redemption): void {
    const known = this.redemptions.get(code);
    if (!known || r.at < known.at || (r.at === known.at && r.orderId < known.orderId)) this.redemptions.set(code, r);
  }

  /**
   * The member's personal data was erased at the hub: no key finds them any more and the record
   * keeps no phone or name. Their facts stay (balances and tiers of the pseudonymous id).
   */
  private forget(memberId: string): void {
    const r = this.record(memberId);
    for (const [slot, id] of this.keys) if (id === memberId) this.keys.delete(slot);
    r.phone = '';
    delete r.name;
    delete r.birthMonth;
  }

  /** An identity key document was deleted (the member's data erased): the key finds no one. */
  dropKey(key: string): void {
    if (isIndexedKey(key)) this.keys.delete(keySlot(key));
  }

  /**
   * Maps a key to its member with the strings the member's record holds, where it has them: the
   * id (100,000 ids, once each) and, for the member's phone, the phone.
   */
  private setKey(key: string, memberId: string): void {
    const r = this.members.get(memberId);
    const slot = keySlot(key);
    this.keys.set(r?.phone === slot ? r.phone : slot, r?.id ?? memberId);
  }

  /** The member id a (possibly merged-away) id stands for now. */
  canonical(memberId: string): string {
    let id = memberId;
    for (let to = this.aliases.get(id); to !== undefined && to !== memberId; to = this.aliases.get(id)) id = to;
    return id;
  }

  /** The ids merged into this member (their documents still carry them). */
  mergedInto(memberId: string): string[] {
    if (this.aliases.size === 0) return [];
    if (!this.absorbed) {
      this.absorbed = new Map();
      for (const from of this.aliases.keys()) {
        const into = this.canonical(from);
        if (into !== from) this.absorbed.set(into, [...(this.absorbed.get(into) ?? []), from]);
      }
    }
    return this.absorbed.get(memberId) ?? [];
  }

  private merge(from: string, to: string): void {
    if (from === to || this.canonical(to) === from) return; // a cycle would lose both: the hub never writes one
    this.setAlias(from, to);
  }

  private setAlias(from: string, to: string | undefined): void {
    if (to === undefined) this.aliases.delete(from);
    else this.aliases.set(from, to);
    this.absorbed = undefined;
  }

  /**
   * What the till knows of a member, merged-away ids included: the member's own record, or a
   * new one with the facts of every id merged into it. Facts are keyed by id hash, so one that
   * two records hold counts once. Merges are rare: most members are read straight from `members`.
   */
  private combined(asked: string): MemberRecord | undefined {
    if (this.aliases.size === 0) return this.members.get(asked);
    const id = this.canonical(asked);
    const own = this.members.get(id);
    const from = this.mergedInto(id);
    if (from.length === 0) return own;
    const out: MemberRecord = { id, ...own };
    for (const loserId of from) {
      const loser = this.members.get(loserId);
      if (!loser) continue;
      for (let i = 0; loser.ledger && i < loser.ledger.length; i += LEDGER_STRIDE) out.ledger = upsertTuple(out.ledger, LEDGER_STRIDE, loser.ledger.slice(i, i + LEDGER_STRIDE));
      for (let i = 0; loser.spend && i < loser.spend.length; i += SPEND_STRIDE) out.spend = upsertTuple(out.spend, SPEND_STRIDE, loser.spend.slice(i, i + SPEND_STRIDE));
      for (let i = 0; loser.vest && i < loser.vest.length; i += VEST_STRIDE) out.vest = upsertTuple(out.vest, VEST_STRIDE, loser.vest.slice(i, i + VEST_STRIDE));
      for (const c of loser.coupons ?? []) out.coupons = upsert(out.coupons && [...out.coupons], c, (x) => x.code === c.code);
      // A merged-away member's profile stands in only until the survivor's arrives.
      if (out.phone === undefined && loser.phone !== undefined) {
        out.phone = loser.phone;
        out.name = loser.name;
      }
    }
    return out;
  }

  /** False when no order with this id has been recorded; true when one may have been. */
  mayHaveOrder(orderId: string): boolean {
    return this.receipts.has(receiptHash(orderId));
  }

  /** The member an identity key belongs to; only for keys the index holds (see isIndexedKey). */
  memberIdFor(key: string): string | undefined {
    const id = this.keys.get(keySlot(key));
    return id === undefined || this.aliases.size === 0 ? id : this.canonical(id);
  }

  /** The member's record, or undefined when this store has never seen their profile. */
  get(memberId: string): (MemberRecord & Profile) | undefined {
    const r = this.combined(memberId);
    return r?.phone !== undefined ? (r as MemberRecord & Profile) : undefined;
  }

  /** Whether the ledger entry with this document id has been recorded for the member. */
  hasLedgerEntry(memberId: string, docId: string): boolean {
    return hasTuple(this.combined(memberId)?.ledger, LEDGER_STRIDE, idHash(docId));
  }

  ledger(memberId: string): LedgerFact[] {
    return decodeLedger(this.combined(memberId)?.ledger);
  }

  balance(memberId: string, today: string): Balance {
    return balanceOf(this.combined(memberId), today);
  }

  /** The member's balance alone (`balance(...).balance`), mostly without decoding the ledger. */
  points(memberId: string, today: string): number {
    return pointsOf(this.combined(memberId), today);
  }

  /**
   * The points the member can spend now (decision 018): pending and expired points left out, a
   * debt counted. What pays a receipt at the till and what a points exchange may take; the same
   * number as `points`, named for those who spend.
   */
  spendable(memberId: string, today: string): number {
    return pointsOf(this.combined(memberId), today);
  }

  /** Points the member has earned that are not spendable yet, with the next vesting; undefined when none. */
  pending(memberId: string, today: string): Pending | undefined {
    return pendingOf(this.combined(memberId), today);
  }

  /** Spend within the rules' tier window ending on `today`, in cents: what the tier is reached by. */
  rollingSpend(memberId: string, today: string): number {
    const r = this.combined(memberId);
    return packedRollingSpend(r?.spend, dayNumber(windowStart(today, this.rules.tierWindowMonths)), dayNumber(today));
  }

  tier(memberId: string, today: string): TierRule {
    return tierOf(this.rules, this.combined(memberId), today);
  }

  /** The member's tier, since when, and its history (shared/loyalty/tier-life.ts). */
  tierState(memberId: string, today: string): TierState {
    return packedTierState(this.rules, this.combined(memberId)?.spend, today);
  }

  /** Whether the member holds a coupon with this code (any state). */
  holdsCoupon(memberId: string, code: string): boolean {
    return this.combined(memberId)?.coupons?.some((c) => c.code === code) ?? false;
  }

  /** Coupons the member holds that are neither redeemed nor expired at `now`. */
  usableCoupons(memberId: string, now: string): Coupon[] {
    return this.usable(this.combined(memberId)?.coupons, now);
  }

  private usable(coupons: readonly Coupon[] | undefined, now: string): Coupon[] {
    return coupons ? coupons.filter((c) => !this.redemptions.has(c.code) && c.validTo >= now) : [];
  }

  /** What the till shows of a known member, with one lookup: it is asked at every identify. */
  view(memberId: string, today: string, now: string) {
    const r = this.combined(memberId);
    if (r?.phone === undefined) return undefined;
    return {
      profile: r as Profile,
      tier: tierOf(this.rules, r, today),
      ...pointsAndPending(r, today),
      coupons: this.usable(r.coupons, now),
    };
  }

  coupon(code: string): Coupon | undefined {
    const holder = this.couponHolders.get(code);
    const c = holder === undefined ? undefined : this.members.get(holder)?.coupons?.find((x) => x.code === code);
    // Issued to a member merged since: it belongs to the survivor.
    return c && this.aliases.has(c.memberId) ? { ...c, memberId: this.canonical(c.memberId) } : c;
  }

  /** The member's tier and points as they would be once `docs` (facts, not merges) are applied; changes nothing. */
  preview(asked: string, docs: readonly AnyDoc[], today: string): { tier: TierRule; points: number; pending?: number } {
    const memberId = this.canonical(asked);
    const current = this.combined(memberId);
    // upsertTuple never changes the lists it is given, so the copy can share them.
    const copy: MemberRecord = { id: memberId, ...(current?.ledger ? { ledger: current.ledger } : {}), ...(current?.spend ? { spend: current.spend } : {}), ...(current?.vest ? { vest: current.vest } : {}) };
    for (const d of docs) if (isMemberFact(d) && d.memberId !== undefined && this.canonical(d.memberId) === memberId) foldMemberFact(copy, d);
    const { points, pending } = pointsAndPending(copy, today);
    return { tier: tierOf(this.rules, copy, today), points, ...(pending?.pending ? { pending: pending.pending } : {}) };
  }

  /**
   * The index as a series of small parts, so a large one can be written and read a piece at a
   * time. The fold only grows and is idempotent, so parts taken while writes go on may hold more
   * than the sequence they are saved with, never less of it.
   */
  *snapshotParts(chunk = 1000): Generator<SnapshotPart> {
    yield { kind: 'head', rules: this.rules, templates: [...this.templates.values()] };
    yield* chunks(this.members.values(), chunk, (members) => ({ kind: 'members', members }));
    yield* chunks(this.aliases.entries(), chunk * 5, (aliases) => ({ kind: 'aliases', aliases }));
    yield* chunks(this.keys.entries(), chunk * 5, (keys) => ({ kind: 'keys', keys }));
    yield* chunks(this.redemptions.entries(), chunk * 5, (redemptions) => ({ kind: 'redemptions', redemptions }));
    yield* chunks(this.receipts, chunk * 20, (receipts) => ({ kind: 'receipts', receipts }));
  }

  loadPart(part: SnapshotPart): void {
    switch (part.kind) {
      case 'head':
        this.rules = part.rules;
        for (const t of part.templates) this.templates.set(t.id, t);
        return;
      case 'members':
        for (const stored of part.members) {
          const r = fromStoredRecord(stored);
          this.members.set(r.id, r);
          for (const c of r.coupons ?? []) this.couponHolders.set(c.code, r.id);
        }
        return;
      case 'keys':
        for (const [k, id] of part.keys) this.setKey(k, id);
        return;
      case 'redemptions':
        for (const [c, r] of part.redemptions) this.redemptions.set(c, r);
        return;
      case 'receipts':
        for (const h of part.receipts) this.receipts.add(h);
        return;
      case 'aliases':
        for (const [from, to] of part.aliases) this.setAlias(from, to);
        return;
    }
  }

  /** The whole index as one value (tests, small stores). */
  snapshot(): MemberIndexSnapshot {
    return {
      format: 1,
      rules: this.rules,
      templates: [...this.templates.values()],
      members: [...this.members],
      keys: [...this.keys],
      redemptions: [...this.redemptions],
      receipts: [...this.receipts],
      aliases: [...this.aliases],
    };
  }

  static restore(s: MemberIndexSnapshot): MemberIndex {
    const index = new MemberIndex();
    index.loadPart({ kind: 'head', rules: s.rules, templates: s.templates });
    index.loadPart({ kind: 'members', members: s.members.map(([, r]) => r) });
    index.loadPart({ kind: 'keys', keys: s.keys });
    index.loadPart({ kind: 'redemptions', redemptions: s.redemptions });
    index.loadPart({ kind: 'receipts', receipts: s.receipts });
    index.loadPart({ kind: 'aliases', aliases: s.aliases ?? [] });
    return index;
  }
}

/** A record as a snapshot holds it; snapshots from before 2026-11-23 kept phone and name in `profile`. */
function fromStoredRecord(stored: MemberRecord & { profile?: Profile }): MemberRecord {
  if (!stored.profile) return stored; // the current format: no copy on the way in
  const { profile, ...r } = stored as MemberRecord & { profile: Profile };
  r.phone = profile.phone;
  if (profile.name !== undefined) r.name = profile.name;
  return r;
}

function* chunks<T>(items: Iterable<T>, size: number, wrap: (batch: T[]) => SnapshotPart): Generator<SnapshotPart> {
  let batch: T[] = [];
  for (const entry of items) {
    batch.push(entry);
    if (batch.length === size) {
      yield wrap(batch);
      batch = [];
    }
  }
  if (batch.length > 0) yield wrap(batch);
}
