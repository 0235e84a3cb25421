import { docId } from './doc-ids.ts';
import { memberKeys } from './identity-keys.ts';
import { priceCheckout, type PricedCheckout } from './loyalty/checkout.ts';
import { earnedLineRefusal, earningDayRefusal, type ProductAttributes } from './loyalty/earning-checks.ts';
import { inBirthdayMonth } from './loyalty/earning.ts';
import type { SpendFact } from './loyalty/tiers.ts';
import { heldTier } from './loyalty/tier-life.ts';
import { birthdayPointsRefusal, giftCouponRefusal, type GiftEvidence } from './loyalty/gift-checks.ts';
import { clawbackVestsOn, vestingDayFor } from './loyalty/vesting.ts';
import { own } from './own.ts';
import { consentTimeRefusal } from './privacy/consent.ts';
import type { Coupon } from './schemas/coupon.ts';
import type { AnyDoc, EventDoc, LedgerDoc, MemberDoc, OrderDoc, RedemptionDoc, RefundDoc } from './schemas/documents.ts';
import type { LoyaltyRules } from './schemas/rules.ts';
import type { PointsCatalogue } from './schemas/catalogue.ts';
import type { CouponTemplate } from './schemas/coupon.ts';
import { exchangeCouponFactRefusal, exchangeFactRefusal, exchangeLedgerFactRefusal, exchangeRefundFactRefusal, type ExchangeEvidence } from './catalogue/exchange-facts.ts';

/*
 * Whether a fact a store pushed is one that store could have made, judged with what the hub
 * knows (design.md, principle 8). The gateway has already checked each document on its own
 * (store-facts.ts); here the question is whether it fits the rest: the order a ledger entry names
 * exists and gives those points, the member is served at that store, the rules in force give
 * what the receipt claims. A fact that does not fit is quarantined, never forwarded.
 */

/** What the hub knows when it judges a batch of one store's facts; the hub gathers it, this reads it. */
export interface FactEvidence {
  storeId: string;
  /** Every version of the loyalty rules the hub has had: a store offline for days prices with an old one. */
  rules: readonly LoyaltyRules[];
  /** Whether the member (by any id they had) is registered or served at this store. */
  knownHere(memberId: string): boolean;
  /** Member profiles, the hub's and those in the batch. */
  member(memberId: string): MemberDoc | undefined;
  /** Facts the hub holds or has just accepted from the batch, by document id. */
  fact(id: string): AnyDoc | undefined;
  /** A coupon the hub issued, by code. */
  coupon(code: string): Coupon | undefined;
  /** The member id an id stands for now (One-ID merges). */
  canonical(memberId: string): string;
  /** Receipts (payable, day) of the member and of every id merged into them, other than `exceptOrderId`. */
  spend(memberId: string, exceptOrderId: string): readonly SpendFact[];
  /** The hub's clock when judging (a consent dated far ahead of it is not believed). */
  now?: Date;
  /** Every version of the points catalogue the hub has had (absent: none, so no exchange fits). */
  catalogues?: readonly PointsCatalogue[];
  /** Every version of a coupon template the hub has had: for the coupons exchanges make and tier gifts (decision 019); absent: none. */
  templates?: (id: string) => readonly CouponTemplate[];
  /**
   * Every (category, brand) the product master has had for a SKU, or undefined when the master
   * does not know it (decision 017). Absent: the hub holds no master.
   */
  product?(sku: string): readonly ProductAttributes[] | undefined;
}

/** What a tier gift of this member is judged by (shared/loyalty/gift-checks.ts). */
const giftEvidence = (ev: FactEvidence, memberId: string): GiftEvidence => ({
  rules: ev.rules,
  templates: (id) => ev.templates?.(id) ?? [],
  member: ev.member(ev.canonical(memberId)) ?? ev.member(memberId),
  spend: ev.spend(memberId, ''),
});

const sameMember = (ev: FactEvidence, a: string | undefined, b: string | undefined) => a !== undefined && b !== undefined && ev.canonical(a) === ev.canonical(b);

/**
 * Why the hub does not accept this fact from the store, or undefined when it does.
 *
 * @example factRefusal(pointsForAnOrderNobodyMade, evidence) // 'earn points for order:S001:T1:X, which the hub does not have'
 */
export function factRefusal(doc: AnyDoc, ev: FactEvidence): string | undefined {
  switch (doc.type) {
    case 'member': {
      const known = ev.member(doc.id);
      return known && known.registeredStoreId !== doc.registeredStoreId ? `member id ${doc.id} was registered at ${known.registeredStoreId}` : undefined;
    }
    case 'idk': {
      const m = ev.member(doc.memberId);
      if (!m || m.registeredStoreId !== ev.storeId) return `key ${doc.key} names ${doc.memberId}, who was not registered at ${ev.storeId}`;
      return memberKeys(m).includes(doc.key) ? undefined : `key ${doc.key} is not one of ${doc.memberId}'s own`;
    }
    case 'order':
      return orderRefusal(doc, ev);
    case 'refund':
      return refundRefusal(doc, ev);
    case 'redeem':
      return redemptionRefusal(doc, ev);
    case 'event':
      return eventRefusal(doc, ev);
    case 'pts':
      return ledgerRefusal(doc, ev);
    case 'coupon':
      // A store issues two kinds of coupon: an exchange's (decision 020) and a tier gift (decision 019).
      if (doc.exchangeId !== undefined) return exchangeCouponFactRefusal(doc, exchangeEvidence(ev));
      if (!ev.knownHere(doc.memberId)) return `member ${doc.memberId} is not served at ${ev.storeId}`;
      return giftCouponRefusal(doc, giftEvidence(ev, doc.memberId));
    case 'consent': {
      if (!ev.knownHere(doc.memberId)) return `member ${doc.memberId} is not served at ${ev.storeId}`;
      return consentTimeRefusal(doc.at, ev.member(doc.memberId)?.registeredAt, ev.now ?? new Date());
    }
    // Points catalogue (decision 020)
    case 'exchange':
      return exchangeFactRefusal(doc, exchangeEvidence(ev));
    case 'exchange-refund':
      return exchangeRefundFactRefusal(doc, exchangeEvidence(ev));
    default:
      return `a ${doc.type} is written by the hub`;
  }
}

function orderRefusal(o: OrderDoc, ev: FactEvidence): string | undefined {
  if (o.memberId !== undefined && !ev.knownHere(o.memberId)) return `member ${o.memberId} is not served at ${ev.storeId}`;
  const candidates = o.rulesVersion === undefined ? ev.rules : ev.rules.filter((r) => r.version === o.rulesVersion);
  if (candidates.length === 0) return `rules version ${o.rulesVersion} is not one the hub has had`;
  const coupons: { code: string; coupon: Coupon | undefined; redeemed: boolean }[] = [];
  for (const c of o.coupons) {
    const coupon = ev.coupon(c.code);
    if (!coupon) return `coupon ${c.code} was not issued by the hub`;
    if (!sameMember(ev, coupon.memberId, o.memberId)) return `coupon ${c.code} belongs to another member`;
    coupons.push({ code: c.code, coupon: { ...coupon, memberId: o.memberId! }, redeemed: false });
  }
  let why = 'no version of the rules prices it so';
  for (const rules of candidates) {
    const tier = o.tier === undefined ? rules.tiers[0] : rules.tiers.find((t) => t.code === o.tier);
    if (!tier) {
      why = `tier ${o.tier} is not in rules version ${rules.version}`;
      continue;
    }
    const earningWhy = rules.earning ? earningDayRefusal(o) : undefined;
    if (earningWhy) {
      why = earningWhy;
      continue;
    }
    const birthday = o.birthdayMonth && o.memberId !== undefined ? (ev.member(ev.canonical(o.memberId)) ?? ev.member(o.memberId))?.birthday : undefined;
    const birthMonth = birthday === undefined ? undefined : Number(birthday.slice(5, 7));
    if (o.birthdayMonth && !inBirthdayMonth(birthMonth, o.day)) return `${o.memberId}'s birthday month is not ${o.day.slice(0, 7)}`;
    const priced = priceCheckout({
      // Lines a gift coupon put on the receipt are put there again by pricing.
      lines: o.lines.flatMap((l) => (l.giftOf !== undefined ? [] : [{ sku: l.sku, category: l.category, brand: l.brand, qty: l.qty, unitPrice: l.unitPriceCents }])),
      coupons,
      pointsToRedeem: o.pointsRedeemed,
      ...(o.memberId !== undefined ? { member: { id: o.memberId, tier, balance: Number.MAX_SAFE_INTEGER, birthMonth } } : {}),
      storeId: o.storeId,
      now: o.at,
      day: o.day,
      rules,
    });
    if (!priced.ok) {
      why = priced.refusal.message;
      continue;
    }
    const mismatch = pricingMismatch(o, priced.value) ?? vestingMismatch(o, rules);
    if (mismatch) {
      why = `${mismatch} differs from what rules version ${rules.version} give`;
      continue;
    }
    // A line may not earn more than its SKU does by the product master (a stolen store's claim).
    const claimed = ev.product && o.memberId !== undefined && rules.earning?.lineRules.length ? earnedLineRefusal(o, rules, ev.product) : undefined;
    if (claimed) {
      why = claimed;
      continue;
    }
    // The tier that raised the points must be one the member's receipts can have reached.
    if (o.memberId !== undefined && tier.multiplierPct > rules.tiers[0]!.multiplierPct) {
      const reachable = heldTier(rules, ev.spend(o.memberId, o._id), o.day);
      if (reachable.minSpendCents < tier.minSpendCents) {
        why = `tier ${tier.code} is above what ${o.memberId}'s receipts reach (${reachable.code})`;
        continue;
      }
    }
    return undefined;
  }
  return why;
}

/** The first priced field of the order that is not what the rules give, or undefined. */
function pricingMismatch(o: OrderDoc, p: PricedCheckout): string | undefined {
  for (const k of ['totalCents', 'couponDiscountCents', 'pointsCashCents', 'payableCents', 'pointsEarned', 'pointsRedeemed'] as const) if (o[k] !== p[k]) return k;
  if ((o.pointsUncapped ?? null) !== (p.pointsUncapped ?? null)) return 'pointsUncapped';
  if ((o.birthdayMonth ?? false) !== (p.birthdayMonth ?? false)) return 'birthdayMonth';
  if (o.lines.length !== p.lines.length || o.lines.some((l, i) => (l.giftOf ?? null) !== (p.lines[i]!.giftOf ?? null) || l.sku !== p.lines[i]!.sku)) return 'lines';
  if (o.coupons.length !== p.coupons.length || o.coupons.some((c, i) => c.code !== p.coupons[i]!.code || c.discountCents !== p.coupons[i]!.discountCents)) return 'coupons';
  for (const [i, l] of o.lines.entries()) {
    const q = p.lines[i]!;
    if (l.discountCents !== q.discountCents || l.payableCents !== q.payableCents) return `line ${i + 1}`;
  }
  return undefined;
}

function refundRefusal(r: RefundDoc, ev: FactEvidence): string | undefined {
  const order = ev.fact(r.orderId);
  if (!order || order.type !== 'order') return `a refund of ${r.orderId}, which the hub does not have`;
  if ((order.memberId === undefined) !== (r.memberId === undefined) || (order.memberId !== undefined && !sameMember(ev, order.memberId, r.memberId))) return 'the refund names another member than its order';
  for (const l of r.lines) {
    const line = order.lines[l.index];
    if (!line) return `line ${l.index + 1} is not on the order`;
    if (l.qty > line.qty || l.refundCents > line.payableCents) return `line ${l.index + 1} refunds more than was bought`;
  }
  if (r.refundCents > order.payableCents) return 'the refund exceeds what was paid';
  if (r.pointsClawedBack > order.pointsEarned || r.pointsReturned > order.pointsRedeemed) return 'the refund moves more points than the order did';
  return undefined;
}

function redemptionRefusal(d: RedemptionDoc, ev: FactEvidence): string | undefined {
  const coupon = ev.coupon(d.code);
  if (!coupon) return `coupon ${d.code} was not issued by the hub`;
  if (!sameMember(ev, coupon.memberId, d.memberId)) return `coupon ${d.code} belongs to another member`;
  if (!ev.knownHere(d.memberId)) return `member ${d.memberId} is not served at ${ev.storeId}`;
  const order = ev.fact(d.orderId);
  if (!order || order.type !== 'order') return `a redemption on ${d.orderId}, which the hub does not have`;
  const onOrder = order.coupons.find((c) => c.code === d.code);
  if (!onOrder || onOrder.discountCents !== d.discountCents || !sameMember(ev, order.memberId, d.memberId)) return `${d.orderId} does not redeem ${d.code} so`;
  return undefined;
}

function eventRefusal(e: EventDoc, ev: FactEvidence): string | undefined {
  if (e.kind === 'register') return ev.member(e.memberId)?.registeredStoreId === ev.storeId ? undefined : `${e.memberId} was not registered at ${ev.storeId}`;
  if (!ev.knownHere(e.memberId)) return `member ${e.memberId} is not served at ${ev.storeId}`;
  return ev.rules.some((r) => own(r.interactions, e.kind)) ? undefined : `no rules version has an interaction '${e.kind}'`;
}

const exchangeEvidence = (ev: FactEvidence): ExchangeEvidence => ({
  storeId: ev.storeId,
  catalogues: ev.catalogues ?? [],
  templates: ev.templates ?? (() => []),
  fact: ev.fact,
  sameMember: (a, b) => sameMember(ev, a, b),
  knownHere: ev.knownHere,
});

function ledgerRefusal(p: LedgerDoc, ev: FactEvidence): string | undefined {
  const m = p.memberId;
  if (p.reason === 'join') {
    if (p._id !== docId.pts(m, 'join') || p.ref !== docId.member(m)) return 'a join gift is pts:<member>:join for member:<member>';
    if (ev.member(m)?.registeredStoreId !== ev.storeId) return `${m} was not registered at ${ev.storeId}`;
    return ev.rules.some((r) => r.joinGift === p.delta) ? undefined : `no rules version gives a join gift of ${p.delta}`;
  }
  if (!ev.knownHere(m)) return `member ${m} is not served at ${ev.storeId}`;
  const ref = ev.fact(p.ref);
  switch (p.reason) {
    case 'earn':
    case 'redeem': {
      if (!ref || ref.type !== 'order') return `${p.reason} points for ${p.ref}, which the hub does not have`;
      if (p._id !== docId.pts(m, `${p.reason}:${p.ref.slice('order:'.length)}`) || ref.memberId !== m) return `${p._id} does not belong to ${p.ref}`;
      const expected = p.reason === 'earn' ? ref.pointsEarned : -ref.pointsRedeemed;
      if (p.delta !== expected) return `${p.ref} ${p.reason === 'earn' ? 'earns' : 'spends'} ${Math.abs(expected)} points, not ${Math.abs(p.delta)}`;
      return ledgerVestingRefusal(p, p.reason === 'earn' ? ref.pointsVestOn : undefined);
    }
    case 'clawback':
    case 'return': {
      if (!ref || ref.type !== 'refund') return `${p.reason} points for ${p.ref}, which the hub does not have`;
      if (p._id !== docId.pts(m, `${p.reason}:${p.ref.slice('refund:'.length)}`) || ref.memberId !== m) return `${p._id} does not belong to ${p.ref}`;
      const expected = p.reason === 'clawback' ? -ref.pointsClawedBack : ref.pointsReturned;
      if (p.delta !== expected) return `${p.ref} moves ${Math.abs(expected)} points, not ${Math.abs(p.delta)}`;
      const order = p.reason === 'clawback' ? ev.fact(ref.orderId) : undefined;
      return ledgerVestingRefusal(p, order?.type === 'order' ? clawbackVestsOn(order, ref.day) : undefined);
    }
    case 'interaction': {
      // pts:<member>:int:<kind>:<once>, written with its event event:<store>:<member>:int:<kind>:<once>
      const cause = p._id.slice(`pts:${m}:`.length);
      const kind = cause.split(':')[1] ?? '';
      if (!cause.startsWith('int:') || p.ref !== docId.event(p.storeId, m, cause)) return `${p._id} is not an interaction's points`;
      if (!ref || ref.type !== 'event' || ref.kind !== kind) return `interaction points for ${p.ref}, which the hub does not have`;
      return ev.rules.some((r) => own(r.interactions, kind)?.points === p.delta) ? undefined : `no rules version gives '${kind}' ${p.delta} points`;
    }
    case 'exchange':
    case 'exchange_refund':
      return exchangeLedgerFactRefusal(p, exchangeEvidence(ev));
    case 'birthday':
      return birthdayPointsRefusal(p, giftEvidence(ev, m));
    default:
      return `points for '${p.reason}' are the hub's to give`;
  }
}

// Vesting (issue 13, decision 018).

/** Whether the order's vesting day is the one `rules` give its points; undefined when it is. */
function vestingMismatch(o: OrderDoc, rules: LoyaltyRules): string | undefined {
  const expected = o.pointsEarned > 0 ? vestingDayFor(rules, o.day) : undefined;
  return (o.pointsVestOn ?? null) === (expected ?? null) ? undefined : 'pointsVestOn';
}

/**
 * An earning vests when its order says; a claw-back made before that takes from the pending
 * points (it carries their day), one made after from the balance. A store that wrote other dates
 * would make points spendable early, or pending ones vanish from the balance.
 */
function ledgerVestingRefusal(p: LedgerDoc, expected: string | undefined): string | undefined {
  if ((p.vestsOn ?? null) === (expected ?? null)) return undefined;
  return expected === undefined ? `${p._id} vests on ${p.vestsOn}, but its points are spendable at once` : `${p._id} must vest on ${expected}, not ${p.vestsOn ?? 'at once'}`;
}
