import { ledgerBalance } from '../loyalty/points.ts';
import type { Profile, ProfileValue } from './fields.ts';
import { CHANNEL_ECOMMERCE, CHANNEL_MARKETPLACE, CHANNEL_STORE, dayNumber, dayString, type OrderFact, type RefundFact, type SourceFacts } from './source-facts.ts';

/*
 * A golden member's profile from the facts of its source ids (decision 021 point 3): a pure
 * function of the facts, the attributes survivorship chose and the evaluation day, so the
 * incremental path and the nightly recompute cannot disagree. Integer arithmetic throughout:
 * money in cents, shares in basis points, divisions floored; scores sum per-fact integers, so the
 * order facts are read in changes nothing.
 */

/** What the golden member's records say about the person (survivorship, shared/one-id/survivorship.ts). */
export interface ProfileAttributes {
  gender?: 'M' | 'F' | 'U' | undefined;
  /** YYYY-MM-DD. */
  birthday?: string | undefined;
  /** The earliest registration of any of its records (local day). */
  registeredDay?: string | undefined;
  homeStore?: string | undefined;
  /** City of the home store in the org tree. */
  city?: string | undefined;
  /** Tier code held now (the tier helper fills it). */
  tier?: string | undefined;
  /** Registered as a member on any channel. */
  isMember: boolean;
}

/** Half-life of preference scores, days. */
export const SCORE_HALF_LIFE_DAYS = 180;
const DECAY_BITS = 16;
const DECAY_ONE = 1 << DECAY_BITS;
/** Past this age a fact weighs nothing (2^-16 of its weight: below a score's unit for any real line). */
const DECAY_DAYS = SCORE_HALF_LIFE_DAYS * DECAY_BITS;
/** DECAY[age] = 2^(-age/half-life) in 1/65,536ths, rounded once here: every run uses the same integers. */
const DECAY = Int32Array.from({ length: DECAY_DAYS + 1 }, (_, age) => Math.round(DECAY_ONE * 2 ** (-age / SCORE_HALF_LIFE_DAYS)));

/**
 * A weight aged `age` days, decayed, as an integer (a fact dated after the evaluation day counts
 * as of that day).
 *
 * @example decayed(1000, 180) // 500
 */
export function decayed(weight: number, age: number): number {
  const a = age < 0 ? 0 : age;
  if (a > DECAY_DAYS) return 0;
  return Math.floor((weight * DECAY[a]!) / DECAY_ONE);
}

/** Events that are not interactions (a registration is counted as one, not as an interaction). */
const NOT_INTERACTIONS: ReadonlySet<string> = new Set(['register', 'follow', 'unfollow', 'wechat_follow', 'wechat_unfollow']);
const FOLLOW = new Set(['follow', 'wechat_follow']);
const UNFOLLOW = new Set(['unfollow', 'wechat_unfollow']);
const CHANNEL_NAMES = ['store', 'ecommerce', 'marketplace'] as const;
const BP = 10_000;

function share(part: number, whole: number): number {
  return whole > 0 ? Math.floor((part * BP) / whole) : 0;
}

/*
 * No closures inside profileOf: it runs a million times a night, and the hub runs under tsx, whose
 * transform names every function created (a defineProperty per closure per call).
 */
function put(p: Map<string, ProfileValue>, name: string, v: ProfileValue | undefined): void {
  if (v !== undefined) p.set(name, v);
}

function inWindow(d: number, n: number, today: number): boolean {
  return d > today - n && d <= today;
}

function addScore(m: Map<string, number>, k: string, v: number): void {
  if (k !== '' && v !== 0) m.set(k, (m.get(k) ?? 0) + v);
}

/**
 * The profile of a golden member on `day` (YYYY-MM-DD) from its source ids' facts. Fields with
 * nothing to say (no purchase: no last purchase day) are absent; rfm*, stage and tags are
 * computed over the base or by rules, elsewhere.
 *
 * @example profileOf([{ orders: [order] }], { isMember: true }, '2026-11-30').get('orders') // 1
 */
export function profileOf(sources: readonly SourceFacts[], attrs: ProfileAttributes, day: string): Profile {
  const today = dayNumber(day);
  const p = new Map<string, ProfileValue>();

  // ——— attributes ———
  put(p, 'gender', attrs.gender ?? 'U');
  if (attrs.birthday && /^\d{4}-\d{2}-\d{2}$/.test(attrs.birthday)) {
    const [by, bm, bd] = attrs.birthday.split('-').map(Number) as [number, number, number];
    const [ty, tm, td] = day.split('-').map(Number) as [number, number, number];
    const age = ty - by - (tm < bm || (tm === bm && td < bd) ? 1 : 0);
    if (age >= 0 && age < 150) put(p, 'age', age);
    if (bm >= 1 && bm <= 12) put(p, 'birthMonth', bm);
  }
  put(p, 'city', attrs.city || undefined);
  put(p, 'tier', attrs.tier || undefined);
  put(p, 'homeStore', attrs.homeStore || undefined);
  put(p, 'isMember', attrs.isMember ? 1 : 0);

  // ——— orders, refunds netted into them ———
  const orders = new Map<string, OrderFact>();
  const refunds: RefundFact[] = [];
  const refundIds = new Set<string>();
  for (const s of sources) {
    for (const o of s.orders ?? []) if (!orders.has(o.id)) orders.set(o.id, o);
    for (const r of s.refunds ?? []) if (!refundIds.has(r.id)) refundIds.add(r.id), refunds.push(r);
  }
  const refundsOf = new Map<string, RefundFact[]>();
  const orphanRefunds: RefundFact[] = [];
  for (const r of refunds) {
    if (orders.has(r.orderId)) {
      const list = refundsOf.get(r.orderId);
      if (list) list.push(r);
      else refundsOf.set(r.orderId, [r]);
    } else orphanRefunds.push(r);
  }

  let count = 0, c30 = 0, c90 = 0, c365 = 0;
  let spend = 0, s30 = 0, s90 = 0, s365 = 0;
  let gross = 0, refunded = 0, refundCount = refunds.length;
  let items = 0, attached = 0, list = 0, discount = 0, fullCents = 0, promoCents = 0;
  let first = Infinity, last = -Infinity;
  const perChannel = [0, 0, 0];
  const perMarket = new Map<string, number>();
  const perStore = new Map<string, { n: number; last: number }>();
  const categories = new Map<string, number>();
  const brands = new Map<string, number>();
  const skus = new Map<string, number>();

  for (const o of orders.values()) {
    gross += o.paidCents;
    const rs = refundsOf.get(o.id);
    let refundedCents = 0;
    let refundedItems = 0;
    // What is left of each line after refunds: copied only for an order that has some.
    let lineCents: number[] | undefined;
    let lineQty: number[] | undefined;
    if (o.refundedInFull) {
      refundedCents = o.paidCents;
      refundedItems = o.items;
      refundCount++;
    } else if (rs) {
      lineCents = new Array<number>(o.lines.length);
      lineQty = new Array<number>(o.lines.length);
      for (let i = 0; i < o.lines.length; i++) (lineCents[i] = o.lines[i]!.cents), (lineQty[i] = o.lines[i]!.qty);
      for (const r of rs) {
        refundedCents += r.cents;
        for (const l of r.lines) {
          if (l.index >= lineQty.length) continue;
          refundedItems += Math.min(l.qty, lineQty[l.index]!);
          lineQty[l.index] = Math.max(0, lineQty[l.index]! - l.qty);
          lineCents[l.index] = Math.max(0, lineCents[l.index]! - l.cents);
        }
      }
    }
    refundedCents = Math.min(refundedCents, o.paidCents);
    refunded += refundedCents;
    const net = o.paidCents - refundedCents;
    const netItems = o.items - Math.min(refundedItems, o.items);
    // A receipt refunded in full is no order any more; one paid wholly with points still is.
    if (o.refundedInFull || (rs !== undefined && refundedCents >= o.paidCents && netItems === 0)) continue;
    count++;
    spend += net;
    if (o.day <= today) {
      const age = today - o.day;
      if (age < 30) (c30++, (s30 += net));
      if (age < 90) (c90++, (s90 += net));
      if (age < 365) (c365++, (s365 += net));
    }
    items += netItems;
    list += o.listCents;
    discount += o.discountCents;
    if (o.day < first) first = o.day;
    if (o.day > last) last = o.day;
    perChannel[o.channel]!++;
    if (o.market) perMarket.set(o.market, (perMarket.get(o.market) ?? 0) + 1);
    if (o.channel === CHANNEL_STORE && o.store) {
      const s = perStore.get(o.store);
      if (s) (s.n++, (s.last = Math.max(s.last, o.day)));
      else perStore.set(o.store, { n: 1, last: o.day });
    }
    const age = today - o.day;
    let firstSku: string | undefined;
    let attach = false;
    for (let i = 0; i < o.lines.length; i++) {
      const l = o.lines[i]!;
      const cents = lineCents ? lineCents[i]! : l.cents;
      const qty = lineQty ? lineQty[i]! : l.qty;
      if (qty > 0) {
        if (firstSku === undefined) firstSku = l.sku;
        else if (l.sku !== firstSku) attach = true;
      }
      if (l.promo) promoCents += cents;
      else fullCents += cents;
      addScore(categories, l.category, decayed(cents * 10, age));
      addScore(brands, l.brand, decayed(cents * 10, age));
      addScore(skus, l.sku, decayed(qty * 1000, age));
    }
    if (attach) attached++;
  }
  // A refund whose order this member does not have (another person's receipt, or not arrived yet) still takes its money back.
  for (const r of orphanRefunds) {
    refunded += r.cents;
    spend -= r.cents;
    if (inWindow(r.orderDay, 30, today)) s30 -= r.cents;
    if (inWindow(r.orderDay, 90, today)) s90 -= r.cents;
    if (inWindow(r.orderDay, 365, today)) s365 -= r.cents;
  }

  p.set('orders', count);
  p.set('orders30', c30);
  p.set('orders90', c90);
  p.set('orders365', c365);
  p.set('spend', spend);
  p.set('spend30', s30);
  p.set('spend90', s90);
  p.set('spend365', s365);
  if (count > 0) {
    p.set('avgOrderValue', Math.floor(spend / count));
    p.set('itemsPerOrder', Math.floor((items * 100) / count));
    p.set('attachRate', share(attached, count));
    p.set('avgDiscountRate', share(discount, list));
    p.set('firstPurchaseDay', dayString(first));
    p.set('lastPurchaseDay', dayString(last));
    p.set('daysSinceLastPurchase', Math.max(0, today - last));
    p.set('purchaseFrequency', Math.floor((count * 365 * 100) / Math.max(30, today - first)));
    const channelShare = new Map<string, number>();
    for (let i = 0; i < perChannel.length; i++) if (perChannel[i]! > 0) channelShare.set(CHANNEL_NAMES[i]!, share(perChannel[i]!, count));
    for (const [m, n] of perMarket) channelShare.set(m, share(n, count));
    p.set('channelShare', channelShare);
    if (fullCents + promoCents > 0) {
      p.set('fullPriceShare', share(fullCents, fullCents + promoCents));
      p.set('promoShare', share(promoCents, fullCents + promoCents));
    }
  }
  const channels = new Set<string>();
  for (let i = 0; i < CHANNEL_NAMES.length; i++) if (perChannel[i]! > 0) channels.add(CHANNEL_NAMES[i]!);
  p.set('channels', channels);
  p.set('storesVisited', new Set(perStore.keys()));
  let most: string | undefined;
  let mostN = 0, mostLast = -Infinity;
  for (const [store, s] of perStore) {
    if (s.n > mostN || (s.n === mostN && (s.last > mostLast || (s.last === mostLast && store > most!)))) (most = store), (mostN = s.n), (mostLast = s.last);
  }
  put(p, 'mostVisitedStore', most);
  p.set('categoryScore', categories);
  p.set('brandScore', brands);
  p.set('skuScore', skus);
  p.set('refunds', refundCount);
  p.set('refundRate', share(refunded, gross));

  // ——— coupons ———
  const coupons = new Map<string, { issued: boolean; redeemed: boolean }>();
  for (const s of sources)
    for (const c of s.coupons ?? []) {
      const cur = coupons.get(c.code) ?? { issued: false, redeemed: false };
      cur.issued ||= c.issued !== undefined;
      cur.redeemed ||= c.redeemed !== undefined;
      coupons.set(c.code, cur);
    }
  let issued = 0, redeemed = 0;
  for (const c of coupons.values()) (issued += c.issued ? 1 : 0), (redeemed += c.redeemed ? 1 : 0);
  p.set('couponsIssued', issued);
  p.set('couponsRedeemed', redeemed);
  if (issued > 0) p.set('couponRedemptionRate', share(redeemed, issued));

  // ——— points ———
  const ledger = new Map<string, NonNullable<SourceFacts['points']>[number]>();
  for (const s of sources) for (const e of s.points ?? []) if (!ledger.has(e.id)) ledger.set(e.id, e);
  let earned = 0, spent = 0;
  for (const e of ledger.values()) {
    if (e.reason === 'redeem' || e.reason === 'return') spent -= e.delta;
    else earned += e.delta;
  }
  const balance = ledgerBalance([...ledger.values()], day);
  p.set('pointsEarned', earned);
  p.set('pointsSpent', spent);
  p.set('pointsExpired', balance.expired);
  p.set('pointsBalance', balance.balance);

  // ——— events, registrations, consents ———
  const events = new Map<string, { kind: string; day: number }>();
  for (const s of sources) for (const e of s.events ?? []) if (!events.has(e.id)) events.set(e.id, e);
  let interactions = 0;
  let registered = attrs.registeredDay ? dayNumber(attrs.registeredDay) : Infinity;
  let follow: { day: number; on: boolean } | undefined;
  for (const e of events.values()) {
    if (e.kind === 'register') registered = Math.min(registered, e.day);
    else if (!NOT_INTERACTIONS.has(e.kind) && inWindow(e.day, 90, today)) interactions++;
    if (FOLLOW.has(e.kind) || UNFOLLOW.has(e.kind)) {
      const on = FOLLOW.has(e.kind);
      // The latest day wins; within one day the order is not known from days: an unfollow wins.
      if (!follow || e.day > follow.day || (e.day === follow.day && !on)) follow = { day: e.day, on };
    }
  }
  p.set('interactions90', interactions);
  p.set('followsOfficialAccount', follow?.on ? 1 : 0);
  if (registered !== Infinity) {
    p.set('registeredDay', dayString(registered));
    p.set('daysSinceRegistered', Math.max(0, today - registered));
  }
  const latest = new Map<string, { atMs: number; id: string; granted: boolean }>();
  for (const s of sources)
    for (const c of s.consents ?? []) {
      const cur = latest.get(c.channel);
      if (!cur || c.atMs > cur.atMs || (c.atMs === cur.atMs && c.id > cur.id)) latest.set(c.channel, c);
    }
  const granted: string[] = [];
  for (const [ch, c] of latest) if (c.granted) granted.push(ch);
  p.set('consents', new Set(granted.sort()));
  return p;
}

/** Which channel a code stands for (the columns store codes). */
export const CHANNEL_CODES = { store: CHANNEL_STORE, ecommerce: CHANNEL_ECOMMERCE, marketplace: CHANNEL_MARKETPLACE } as const;
