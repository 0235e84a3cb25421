import { ledgerBalance, type Balance, type LedgerFact } from './loyalty/points.ts';
import { tierFor, type SpendFact } from './loyalty/tiers.ts';
import type { Coupon, CouponTemplate } from './schemas/coupon.ts';
import type { AnyDoc, MemberDoc } from './schemas/documents.ts';
import { DEFAULT_RULES, type LoyaltyRules, type TierRule } from './schemas/rules.ts';

/** Everything a store knows about one member, folded from the member's documents. */
export interface MemberRecord {
  profile?: Omit<MemberDoc, '_id' | '_rev'>;
  ledger?: LedgerFact[];
  spend?: (SpendFact & { id: string })[];
  coupons?: Coupon[];
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
}

function upsert<T>(list: T[] | undefined, item: T, same: (a: T) => boolean): T[] {
  if (!list) return [item];
  const i = list.findIndex(same);
  if (i >= 0) list[i] = item;
  else list.push(item);
  return list;
}

type MemberFact = Extract<AnyDoc, { type: 'pts' | 'order' | 'refund' | 'coupon' }>;

function isMemberFact(doc: AnyDoc): doc is MemberFact {
  return doc.type === 'pts' || doc.type === 'order' || doc.type === 'refund' || doc.type === 'coupon';
}

/** Folds one fact into a member's record, keyed by its id: applying it again changes nothing. */
function foldMemberFact(r: MemberRecord, doc: MemberFact): void {
  switch (doc.type) {
    case 'pts': {
      const fact: LedgerFact = { id: doc._id, delta: doc.delta, at: doc.at, day: doc.day };
      if (doc.expiresOn !== undefined) fact.expiresOn = doc.expiresOn;
      r.ledger = upsert(r.ledger, fact, (e) => e.id === doc._id);
      return;
    }
    case 'order':
      r.spend = upsert(r.spend, { id: doc._id, day: doc.day, cents: doc.payableCents }, (s) => s.id === doc._id);
      return;
    case 'refund':
      r.spend = upsert(r.spend, { id: doc._id, day: doc.orderDay ?? doc.day, cents: -doc.refundCents }, (s) => s.id === doc._id);
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
  /** Coupon code → holder; derived from the members' coupons, not persisted. */
  private readonly couponHolders = new Map<string, string>();
  rules: LoyaltyRules = DEFAULT_RULES;

  private record(memberId: string): MemberRecord {
    let r = this.members.get(memberId);
    if (!r) {
      r = {};
      this.members.set(memberId, r);
    }
    return r;
  }

  apply(doc: AnyDoc): void {
    switch (doc.type) {
      case 'member': {
        const { _id, _rev, ...profile } = doc;
        this.record(doc.id).profile = profile;
        return;
      }
      case 'idk':
        this.keys.set(doc.key, doc.memberId);
        return;
      case 'pts':
      case 'order':
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
        return;
    }
  }

  memberIdFor(key: string): string | undefined {
    return this.keys.get(key);
  }

  /** The member's record, or undefined when this store has never seen their profile. */
  get(memberId: string): (MemberRecord & { profile: NonNullable<MemberRecord['profile']> }) | undefined {
    const r = this.members.get(memberId);
    return r?.profile ? (r as MemberRecord & { profile: NonNullable<MemberRecord['profile']> }) : undefined;
  }

  balance(memberId: string, today: string): Balance {
    return ledgerBalance(this.members.get(memberId)?.ledger ?? [], today);
  }

  tier(memberId: string, today: string): TierRule {
    return tierFor(this.rules, this.members.get(memberId)?.spend ?? [], today);
  }

  /** Coupons the member holds that are neither redeemed nor expired at `now`. */
  usableCoupons(memberId: string, now: string): Coupon[] {
    const coupons = this.members.get(memberId)?.coupons ?? [];
    return coupons.filter((c) => !this.redemptions.has(c.code) && c.validTo >= now);
  }

  coupon(code: string): Coupon | undefined {
    const holder = this.couponHolders.get(code);
    return holder === undefined ? undefined : this.members.get(holder)?.coupons?.find((c) => c.code === code);
  }

  /** The member's tier and balance as they would be once `docs` are applied; changes nothing. */
  preview(memberId: string, docs: readonly AnyDoc[], today: string): { tier: TierRule; balance: Balance } {
    const current = this.members.get(memberId) ?? {};
    const copy: MemberRecord = { ...(current.ledger ? { ledger: [...current.ledger] } : {}), ...(current.spend ? { spend: [...current.spend] } : {}) };
    for (const d of docs) if (isMemberFact(d) && d.memberId === memberId) foldMemberFact(copy, d);
    return { tier: tierFor(this.rules, copy.spend ?? [], today), balance: ledgerBalance(copy.ledger ?? [], today) };
  }

  snapshot(): MemberIndexSnapshot {
    return {
      format: 1,
      rules: this.rules,
      templates: [...this.templates.values()],
      members: [...this.members],
      keys: [...this.keys],
      redemptions: [...this.redemptions],
    };
  }

  static restore(s: MemberIndexSnapshot): MemberIndex {
    const index = new MemberIndex();
    index.rules = s.rules;
    for (const t of s.templates) index.templates.set(t.id, t);
    for (const [id, r] of s.members) {
      index.members.set(id, r);
      for (const c of r.coupons ?? []) index.couponHolders.set(c.code, id);
    }
    for (const [k, id] of s.keys) index.keys.set(k, id);
    for (const [c, r] of s.redemptions) index.redemptions.set(c, r);
    return index;
  }
}
