/*
 * The dashboard's figures kept as counters (decision 013): what each fact and member adds is
 * folded into small documents as they arrive, so the dashboard reads a few hundred documents
 * whatever the number of members and facts. Pure: the hub loads the documents a batch touches,
 * folds the batch here and writes them back.
 *
 * Exactly once under replays: every counter document carries the sequence number of the last
 * change of its feed folded into it, and a change is folded into a document only when its
 * sequence is above the one the document was loaded with. A batch replayed after a crash
 * (checkpoint not moved) therefore adds nothing to the documents that were written, and adds
 * its share to those that were not. Member documents are written after the counters: their
 * state is what the counters' moves are computed from, so it must not run ahead of them.
 */

/** Where a sale was made. */
export const CHANNELS = ['store', 'ecommerce', 'marketplace'] as const;
export type Channel = (typeof CHANNELS)[number];
export type OnlineChannel = Exclude<Channel, 'store'>;

/** Marketplaces by the first word of an import source's name (`tmall-orders` → tmall). */
const MARKETPLACES = new Set(['tmall', 'taobao', 'jd', 'pdd', 'pinduoduo', 'douyin', 'kuaishou', 'suning', 'vip', 'meituan']);

/**
 * The channel of an imported order, by its source: a marketplace's name, else the brand's own
 * e-commerce (web shop, mini-program).
 *
 * @example channelOfSource('tmall-orders') // 'marketplace'
 * @example channelOfSource('ecom-orders') // 'ecommerce'
 */
export function channelOfSource(source: string): OnlineChannel {
  const first = source.toLowerCase().split(/[-_]/)[0] ?? '';
  return MARKETPLACES.has(first) ? 'marketplace' : 'ecommerce';
}

/** Order statuses whose money did not stay with the brand: not sales. */
const NOT_SALES = new Set(['cancelled', 'refunded']);

/** One store's day. Sales are receipts' payable amounts; refunds are counted on their own day. */
export interface StoreCell {
  receipts: number;
  salesCents: number;
  refundCents: number;
  pointsIssued: number;
  pointsRedeemed: number;
}
export interface OnlineCell {
  orders: number;
  salesCents: number;
}

/** A counter document: `seq` is the last change of its feed folded into it. */
interface Counted {
  seq: number;
}
/** `day:<day>` (facts feed): each store's receipts, refunds and points that day. */
export interface DayDoc extends Counted {
  stores: [string, StoreCell][];
}
/** `online:<day>` (imports feed): imported online orders that day, by channel. */
export interface OnlineDoc extends Counted {
  channels: [OnlineChannel, OnlineCell][];
}
/** `reg:<day>` (members feed): members registered that day; `act:<day>` (facts feed): members whose last receipt was that day; by home store. */
export interface CountDoc extends Counted {
  stores: [string, number][];
}
/** `buyers` (facts feed): members with one receipt or more, and with two or more, by home store. */
export interface BuyersDoc extends Counted {
  stores: [string, { buyers: number; repeaters: number }][];
}
/**
 * `mbr:<member id>` (facts feed): what the counters need to know of one member. The id names it
 * within a batch; the hub keeps members in memory and stores them in chunks (member-states.ts).
 */
export interface MemberDoc extends Counted {
  home: string;
  receipts: number;
  lastDay: string;
}

export const aggId = {
  day: (day: string) => `day:${day}`,
  online: (day: string) => `online:${day}`,
  reg: (day: string) => `reg:${day}`,
  act: (day: string) => `act:${day}`,
  buyers: 'buyers',
  member: (id: string) => `mbr:${id}`,
};

/** A fact as the counters read it (hub-facts documents: orders, refunds, ledger entries). */
export interface FactLike {
  type?: unknown;
  storeId?: unknown;
  memberId?: unknown;
  day?: unknown;
  payableCents?: unknown;
  refundCents?: unknown;
  delta?: unknown;
  reason?: unknown;
}
/** An imported online order (shared/one-id/order.ts), with its day in HQ's time zone. */
export interface OnlineOrderLike {
  id: string;
  status: string;
  paidCents: number;
  day: string;
}
export interface Change<T> {
  seq: number;
  doc: T;
}

/** Ledger reasons that give points to members, and the one that spends them at the till. */
const ISSUED = new Set(['join', 'earn', 'interaction', 'birthday']);
const REDEEMED = 'redeem';

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/**
 * The counter documents a batch reads and writes, loaded by the caller: `from` is each one's
 * `seq` as loaded, the bar a change must pass.
 */
export class CounterDocs {
  private readonly docs = new Map<string, { doc: Counted; from: number; fresh: boolean }>();
  private readonly changed = new Set<string>();

  /** A document as stored (with its `_id` and `_rev`, kept for the write), or absent: a new one. */
  load(id: string, doc: Counted | undefined): void {
    this.docs.set(id, { doc: doc ? structuredClone(doc) : { seq: 0 }, from: doc?.seq ?? 0, fresh: !doc });
  }

  has(id: string): boolean {
    return this.docs.has(id);
  }

  /** The document if the change is not in it yet (marked changed); undefined: skip. */
  take<T extends Counted>(id: string, seq: number, empty: () => Omit<T, 'seq'>): T | undefined {
    const entry = this.docs.get(id);
    if (!entry) throw new Error(`counter document ${id} not loaded`);
    if (seq <= entry.from) return undefined;
    if (entry.fresh) {
      Object.assign(entry.doc, empty());
      entry.fresh = false;
    }
    entry.doc.seq = Math.max(entry.doc.seq, seq);
    this.changed.add(id);
    return entry.doc as T;
  }

  /** A document as it stands now in the batch (changes folded so far), or undefined: none yet. */
  peek<T extends Counted>(id: string): T | undefined {
    const entry = this.docs.get(id);
    return entry && !entry.fresh ? (entry.doc as T) : undefined;
  }

  /** The documents changed, the counters first and members last (see the top of this file). */
  written(): { counters: [string, Counted][]; members: [string, Counted][] } {
    const all = [...this.changed].map((id) => [id, this.docs.get(id)!.doc] as [string, Counted]);
    return { counters: all.filter(([id]) => !id.startsWith('mbr:')), members: all.filter(([id]) => id.startsWith('mbr:')) };
  }
}

function bump<V>(entries: [string, V][], key: string, empty: () => V, change: (v: V) => V): void {
  const i = entries.findIndex(([k]) => k === key);
  if (i < 0) entries.push([key, change(empty())]);
  else entries[i] = [key, change(entries[i]![1])];
}

const emptyCell = (): StoreCell => ({ receipts: 0, salesCents: 0, refundCents: 0, pointsIssued: 0, pointsRedeemed: 0 });

/** Whether a fact moves a counter, and which. */
function factRole(f: FactLike): 'receipt' | 'refund' | 'issued' | 'redeemed' | undefined {
  if (typeof f.storeId !== 'string' || typeof f.day !== 'string') return undefined;
  if (f.type === 'order') return 'receipt';
  if (f.type === 'refund') return 'refund';
  if (f.type === 'pts' && typeof f.reason === 'string') return ISSUED.has(f.reason) ? 'issued' : f.reason === REDEEMED ? 'redeemed' : undefined;
  return undefined;
}

/**
 * The ids a batch of facts needs loaded, in two rounds: first the days and members, then (with
 * the members loaded, whose last receipt day is where a member leaves from) the activity days.
 */
export function factDocIds(changes: Change<FactLike>[], docs?: CounterDocs): string[] {
  const ids = new Set<string>();
  for (const { doc: f } of changes) {
    const role = factRole(f);
    if (!role) continue;
    ids.add(aggId.day(f.day as string));
    const member = role === 'receipt' ? str(f.memberId) : undefined;
    if (!member) continue;
    ids.add(aggId.member(member));
    ids.add(aggId.buyers);
    ids.add(aggId.act(f.day as string));
    const last = docs?.peek<MemberDoc>(aggId.member(member))?.lastDay;
    if (last) ids.add(aggId.act(last));
  }
  return [...ids];
}

/**
 * Folds a batch of facts (in feed order) into the loaded documents. `homeOf` answers a member's
 * home store ('' when the hub does not know the member), asked once, when the member is first seen.
 */
export function foldFacts(docs: CounterDocs, changes: Change<FactLike>[], homeOf: (memberId: string) => string): void {
  for (const { seq, doc: f } of changes) {
    const role = factRole(f);
    if (!role) continue;
    const store = f.storeId as string;
    const day = f.day as string;
    const cells = docs.take<DayDoc>(aggId.day(day), seq, () => ({ stores: [] }));
    if (cells)
      bump(cells.stores, store, emptyCell, (c) => {
        if (role === 'receipt') return { ...c, receipts: c.receipts + 1, salesCents: c.salesCents + num(f.payableCents) };
        if (role === 'refund') return { ...c, refundCents: c.refundCents + num(f.refundCents) };
        if (role === 'issued') return { ...c, pointsIssued: c.pointsIssued + num(f.delta) };
        return { ...c, pointsRedeemed: c.pointsRedeemed - num(f.delta) };
      });
    const memberId = role === 'receipt' ? str(f.memberId) : undefined;
    if (!memberId) continue;
    const before = docs.peek<MemberDoc>(aggId.member(memberId));
    const member = docs.take<MemberDoc>(aggId.member(memberId), seq, () => ({ home: before?.home ?? homeOf(memberId), receipts: 0, lastDay: '' }));
    // Folded already (the member's document was written before a crash): so were the counters' moves.
    if (!member) continue;
    const home = member.home;
    member.receipts += 1;
    if (member.receipts <= 2) {
      const buyers = docs.take<BuyersDoc>(aggId.buyers, seq, () => ({ stores: [] }));
      if (buyers) bump(buyers.stores, home, () => ({ buyers: 0, repeaters: 0 }), (b) => (member.receipts === 1 ? { ...b, buyers: b.buyers + 1 } : { ...b, repeaters: b.repeaters + 1 }));
    }
    if (day > member.lastDay) {
      if (member.lastDay) {
        const left = docs.take<CountDoc>(aggId.act(member.lastDay), seq, () => ({ stores: [] }));
        if (left) bump(left.stores, home, () => 0, (n) => n - 1);
      }
      const came = docs.take<CountDoc>(aggId.act(day), seq, () => ({ stores: [] }));
      if (came) bump(came.stores, home, () => 0, (n) => n + 1);
      member.lastDay = day;
    }
  }
}

/** A member as the members feed carries them. */
export interface MemberLike {
  type?: unknown;
  homeStoreId?: unknown;
  /** The registration's day in HQ's time zone. */
  day: string;
}

export const memberDocIds = (changes: Change<MemberLike>[]) => [...new Set(changes.filter((c) => c.doc.type === 'member' && typeof c.doc.homeStoreId === 'string').map((c) => aggId.reg(c.doc.day)))];

/** Folds registrations: one more member at their home store on the day they registered. */
export function foldMembers(docs: CounterDocs, changes: Change<MemberLike>[]): void {
  for (const { seq, doc: m } of changes) {
    if (m.type !== 'member' || typeof m.homeStoreId !== 'string') continue;
    const reg = docs.take<CountDoc>(aggId.reg(m.day), seq, () => ({ stores: [] }));
    if (reg) bump(reg.stores, m.homeStoreId, () => 0, (n) => n + 1);
  }
}

export const onlineDocIds = (changes: Change<OnlineOrderLike[]>[]) => [...new Set(changes.flatMap((c) => c.doc.map((o) => aggId.online(o.day))))];

/** Folds imported online orders: one change is one stored chunk of an import, its orders together. */
export function foldOnline(docs: CounterDocs, changes: Change<OnlineOrderLike[]>[]): void {
  for (const { seq, doc: orders } of changes) {
    for (const o of orders) {
      if (NOT_SALES.has(o.status)) continue;
      const day = docs.take<OnlineDoc>(aggId.online(o.day), seq, () => ({ channels: [] }));
      if (day) bump(day.channels, channelOfSource(o.id.split(':')[0] ?? ''), () => ({ orders: 0, salesCents: 0 }), (c) => ({ orders: c.orders + 1, salesCents: c.salesCents + o.paidCents }));
    }
  }
}
