import { localDate } from '../local-time.ts';

/*
 * The compact facts the profile metrics read, per source id (decision 021 point 2): a store
 * member's facts under `pos:<memberId>` (the One-ID record of their registration), an imported
 * order under its buyer's record id. A golden member's facts are the union of its source ids'
 * lists, so a merge or a split only changes which lists are read.
 *
 * Every list is keyed by the fact's own id and a fact added twice is kept once: the feeds replay
 * after a restart, and the metrics must not depend on how often or in which order facts arrived.
 * Refunds are kept as facts of their own and net into their order when a profile is computed
 * (the order may arrive after its refund, or under another source id of the same person).
 */

/** Days are whole days since 1970-01-01 (a local date read as UTC): windows are integer compares. */
export function dayNumber(date: string): number {
  // A cache, not state: a million profiles name the same few thousand days.
  let n = DAY_NUMBERS.get(date);
  if (n === undefined) {
    n = Math.floor(Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) / 86_400_000);
    if (DAY_NUMBERS.size < 100_000) DAY_NUMBERS.set(date, n);
  }
  return n;
}

const DAY_NUMBERS = new Map<string, number>();

const DAY_STRINGS = new Map<number, string>();

/** @example dayString(dayNumber('2026-11-30')) // '2026-11-30' */
export function dayString(day: number): string {
  // A cache, not state: a million profiles name the same few thousand days.
  let s = DAY_STRINGS.get(day);
  if (s === undefined) {
    s = new Date(day * 86_400_000).toISOString().slice(0, 10);
    if (DAY_STRINGS.size < 100_000) DAY_STRINGS.set(day, s);
  }
  return s;
}

const POOL = new Map<string, string>();
/** Most distinct values in the pool; past it new values are kept as they are (a memory bound, not a limit). */
const POOL_MAX = 2_000_000;

/**
 * One copy of a repeated string (SKU, category, store, reason): ten million facts name a few
 * thousand of them, and each parsed document brings its own copy. A cache: it changes no result.
 */
export function intern(s: string): string {
  const had = POOL.get(s);
  if (had !== undefined) return had;
  if (POOL.size < POOL_MAX) POOL.set(s, s);
  return s;
}

export const CHANNEL_STORE = 0;
export const CHANNEL_ECOMMERCE = 1;
export const CHANNEL_MARKETPLACE = 2;

/** Sources whose orders are a marketplace's (each named in the channel mix); any other import is own e-commerce. */
export const MARKETPLACES: ReadonlySet<string> = new Set(['tmall', 'taobao', 'jd', 'pdd', 'douyin']);

/** One line of an order: what preference scores and price orientation read. */
export interface LineFact {
  sku: string;
  category: string;
  brand: string;
  qty: number;
  /** What was paid for the line, cents. */
  cents: number;
  /** Bought on promotion or with a coupon (a line discount, or a coupon on the order). */
  promo: boolean;
}

export interface OrderFact {
  /** The order's id: `order:<store>:<terminal>:<receipt>` or `<source>:<orderNo>` for an import. */
  id: string;
  day: number;
  channel: number;
  /** The marketplace's name for a marketplace order, else ''. */
  market: string;
  /** The store of a receipt, '' online. */
  store: string;
  /** List price of the lines, cents. */
  listCents: number;
  /** Discounts of every kind (lines, coupons, points as cash), cents. */
  discountCents: number;
  paidCents: number;
  items: number;
  lines: LineFact[];
  /** Imported as refunded in full (the marketplace says so; no refund fact follows). */
  refundedInFull: boolean;
}

export interface RefundFact {
  id: string;
  orderId: string;
  day: number;
  /** Day of the order it refunds (spend is taken back where it was counted); the refund's day when unknown. */
  orderDay: number;
  cents: number;
  /** Per line of the order: index, quantity and cents refunded. */
  lines: { index: number; qty: number; cents: number }[];
}

export const POINT_REASONS = ['join', 'earn', 'redeem', 'clawback', 'return', 'interaction', 'adjust'] as const;

export interface PointsFact {
  id: string;
  delta: number;
  reason: string;
  atMs: number;
  day: string;
  expiresOn?: string;
}

export interface CouponFact {
  code: string;
  /** Day issued (undefined: only its redemption is known so far). */
  issued?: number;
  redeemed?: number;
  /** The redemption's id, for the timeline. */
  orderId?: string;
}

export interface EventFact {
  id: string;
  kind: string;
  day: number;
  store: string;
}

export interface ConsentFact {
  id: string;
  channel: string;
  granted: boolean;
  atMs: number;
}

/** What one source id has: every list absent until its first fact (a million sources are mostly small). */
export interface SourceFacts {
  orders?: OrderFact[];
  refunds?: RefundFact[];
  points?: PointsFact[];
  coupons?: CouponFact[];
  events?: EventFact[];
  consents?: ConsentFact[];
}

/** A fact as the engine files it: the source id it belongs to and what to add. */
export type SourceFact =
  | { source: string; kind: 'order'; fact: OrderFact }
  | { source: string; kind: 'refund'; fact: RefundFact }
  | { source: string; kind: 'points'; fact: PointsFact }
  | { source: string; kind: 'coupon'; fact: CouponFact }
  | { source: string; kind: 'event'; fact: EventFact }
  | { source: string; kind: 'consent'; fact: ConsentFact };

/** The source id of a store member's facts: their registration's One-ID record. */
export const storeSource = (memberId: string) => `pos:${memberId}`;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const int = (v: unknown): number => (typeof v === 'number' && Number.isSafeInteger(v) ? v : 0);

/**
 * The fact a hub-facts document gives, or undefined for one the profile does not read (aliases,
 * write-offs) or that lacks what it needs. Documents are read leniently (stores lag behind).
 *
 * @example factOfDocument({ type: 'refund', memberId: 'M1', ... }) // { source: 'pos:M1', kind: 'refund', fact: … }
 */
export function factOfDocument(doc: Record<string, unknown>, timeZone: string): SourceFact | undefined {
  const memberId = str(doc.memberId);
  const id = str(doc._id);
  if (!memberId || !id) return undefined;
  const source = storeSource(memberId);
  const ownId = factId(id);
  switch (doc.type) {
    case 'order': {
      const day = str(doc.day);
      if (!day || !Array.isArray(doc.lines)) return undefined;
      const coupons = Array.isArray(doc.coupons) ? doc.coupons.length : 0;
      const lines = (doc.lines as Record<string, unknown>[]).map((l): LineFact => ({
        sku: intern(str(l.sku) ?? ''),
        category: intern(str(l.category) ?? ''),
        brand: intern(str(l.brand) ?? ''),
        qty: int(l.qty),
        cents: int(l.payableCents),
        promo: int(l.discountCents) > 0 || coupons > 0,
      }));
      const list = (doc.lines as Record<string, unknown>[]).reduce((s, l) => s + int(l.totalCents), 0);
      const paid = int(doc.payableCents);
      const fact: OrderFact = {
        id: ownId,
        day: dayNumber(day),
        channel: CHANNEL_STORE,
        market: '',
        store: intern(str(doc.storeId) ?? ''),
        listCents: list,
        discountCents: Math.max(0, list - paid),
        paidCents: paid,
        items: lines.reduce((s, l) => s + l.qty, 0),
        lines,
        refundedInFull: false,
      };
      return { source, kind: 'order', fact };
    }
    case 'refund': {
      const day = str(doc.day);
      if (!day) return undefined;
      const lines = Array.isArray(doc.lines) ? (doc.lines as Record<string, unknown>[]).map((l) => ({ index: int(l.index), qty: int(l.qty), cents: int(l.refundCents) })) : [];
      const orderId = str(doc.orderId) ?? '';
      const fact: RefundFact = { id: ownId, orderId, day: dayNumber(day), orderDay: dayNumber(str(doc.orderDay) ?? day), cents: int(doc.refundCents), lines };
      return { source, kind: 'refund', fact };
    }
    case 'pts': {
      const day = str(doc.day);
      const at = str(doc.at);
      if (!day || !at) return undefined;
      const expiresOn = str(doc.expiresOn);
      return { source, kind: 'points', fact: { id: ownId, delta: int(doc.delta), reason: intern(str(doc.reason) ?? ''), atMs: Date.parse(at), day: intern(day), ...(expiresOn ? { expiresOn: intern(expiresOn) } : {}) } };
    }
    case 'coupon': {
      const code = str(doc.code);
      const at = str(doc.issuedAt);
      if (!code || !at) return undefined;
      return { source, kind: 'coupon', fact: { code, issued: dayNumber(localDate(at, timeZone)) } };
    }
    case 'redeem': {
      const code = str(doc.code);
      const at = str(doc.at);
      if (!code || !at) return undefined;
      return { source, kind: 'coupon', fact: { code, redeemed: dayNumber(localDate(at, timeZone)), orderId: str(doc.orderId) ?? '' } };
    }
    case 'event': {
      const day = str(doc.day);
      if (!day) return undefined;
      return { source, kind: 'event', fact: { id: ownId, kind: intern(str(doc.kind) ?? ''), day: dayNumber(day), store: intern(str(doc.storeId) ?? '') } };
    }
    case 'consent': {
      const channel = str(doc.channel);
      const at = str(doc.at);
      if (!channel || !at || typeof doc.granted !== 'boolean') return undefined;
      return { source, kind: 'consent', fact: { id: ownId, channel, granted: doc.granted, atMs: Date.parse(at) } };
    }
    default:
      return undefined;
  }
}

/** hub-facts files a fact under `m:<memberId>:<fact id>`: the fact's own id is what follows. */
function factId(id: string): string {
  if (!id.startsWith('m:')) return id;
  const end = id.indexOf(':', 2);
  return end < 0 ? id : id.slice(end + 1);
}

/**
 * The channel and marketplace of an imported order, from its source (the id's prefix).
 *
 * @example onlineChannel('tmall-orders:T1') // { channel: CHANNEL_MARKETPLACE, market: 'tmall' }
 */
export function onlineChannel(orderId: string): { channel: number; market: string } {
  // `tmall-orders:123`: the mapping's name starts with the marketplace's.
  const market = orderId.slice(0, Math.max(0, orderId.indexOf(':'))).split('-')[0]!;
  return MARKETPLACES.has(market) ? { channel: CHANNEL_MARKETPLACE, market } : { channel: CHANNEL_ECOMMERCE, market: '' };
}

/**
 * The fact an imported online order gives (shared/one-id/order.ts OrderSummary, as stored in a
 * `src:` chunk of hub-identity), filed under its buyer's record; none for a cancelled one.
 */
export function factOfOnlineOrder(order: Record<string, unknown>, timeZone: string): SourceFact | undefined {
  const id = str(order.id);
  const recordId = str(order.recordId);
  const at = str(order.at);
  if (!id || !recordId || !at || order.status === 'cancelled' || Number.isNaN(Date.parse(at))) return undefined;
  const { channel, market } = onlineChannel(id);
  const discount = int(order.discountCents);
  const lines = Array.isArray(order.lines)
    ? (order.lines as Record<string, unknown>[]).map((l): LineFact => ({ sku: intern(str(l.sku) ?? ''), category: intern(str(l.category) ?? ''), brand: intern(str(l.brand) ?? ''), qty: int(l.qty), cents: int(l.qty) * int(l.unitPriceCents), promo: discount > 0 }))
    : [];
  const paid = int(order.paidCents);
  // The lines' cents are list prices: scale them to what was paid, so scores count money spent.
  const list = lines.reduce((s, l) => s + l.cents, 0);
  if (list > 0) for (const l of lines) l.cents = Math.floor((l.cents * paid) / list);
  const fact: OrderFact = {
    id,
    day: dayNumber(localDate(at, timeZone)),
    channel,
    market,
    store: '',
    listCents: int(order.totalCents),
    discountCents: discount,
    paidCents: paid,
    items: lines.reduce((s, l) => s + l.qty, 0),
    lines,
    refundedInFull: order.status === 'refunded',
  };
  return { source: recordId, kind: 'order', fact };
}

/**
 * Files a fact in its source's lists; a fact already there (same id) is left as it was, and a
 * coupon's issue and redemption meet in one entry. Returns whether anything changed.
 */
export function addFact(facts: SourceFacts, f: SourceFact): boolean {
  switch (f.kind) {
    case 'order':
      return has(facts.orders, f.fact.id) ? false : ((facts.orders = append(facts.orders, f.fact)), true);
    case 'refund':
      return has(facts.refunds, f.fact.id) ? false : ((facts.refunds = append(facts.refunds, f.fact)), true);
    case 'points':
      return has(facts.points, f.fact.id) ? false : ((facts.points = append(facts.points, f.fact)), true);
    case 'event':
      return has(facts.events, f.fact.id) ? false : ((facts.events = append(facts.events, f.fact)), true);
    case 'consent':
      return has(facts.consents, f.fact.id) ? false : ((facts.consents = append(facts.consents, f.fact)), true);
    case 'coupon': {
      const cur = facts.coupons?.find((c) => c.code === f.fact.code);
      if (!cur) return (facts.coupons = append(facts.coupons, { ...f.fact })), true;
      let changed = false;
      if (f.fact.issued !== undefined && cur.issued === undefined) (cur.issued = f.fact.issued), (changed = true);
      if (f.fact.redeemed !== undefined && cur.redeemed === undefined) (cur.redeemed = f.fact.redeemed), (cur.orderId = f.fact.orderId ?? ''), (changed = true);
      return changed;
    }
  }
}

function has(list: readonly { id: string }[] | undefined, id: string): boolean {
  if (list) for (const x of list) if (x.id === id) return true;
  return false;
}

/**
 * A copy of the list with one more: exactly as long as it needs to be. An array grown by push
 * keeps room for 16 more, which over ten million facts is most of the memory the lists take.
 */
function append<T>(list: readonly T[] | undefined, x: T): T[] {
  return list ? [...list, x] : [x];
}

/** How many facts a source holds (the bench and the start log count them). */
export function factCount(facts: SourceFacts): number {
  return (facts.orders?.length ?? 0) + (facts.refunds?.length ?? 0) + (facts.points?.length ?? 0) + (facts.coupons?.length ?? 0) + (facts.events?.length ?? 0) + (facts.consents?.length ?? 0);
}
