import { addDays } from '../local-time.ts';
import { channelOfSource, type BuyersDoc, type CountDoc, type DayDoc, type FactLike, type OnlineDoc, type OnlineOrderLike } from './aggregates.ts';

/*
 * The dashboard's figures, from the counter documents (what the hub serves) or recounted from
 * every fact and member (what tests and `dashboard recount` check them against). Both take
 * the same scope: `sees(storeId)` for the stores an operator may see, and `online` for whether
 * online orders (no store's) count, which only an operator without a scope sees (decision 010).
 */

export interface SalesDay {
  day: string;
  /** Receipts at the tills: how many, and their payable amount less that day's refunds (cents). */
  store: { receipts: number; netCents: number };
  ecommerce: { orders: number; salesCents: number };
  marketplace: { orders: number; salesCents: number };
}
export interface PointsDay {
  day: string;
  issued: number;
  redeemed: number;
}
export interface MemberFigures {
  /** Members whose home store is in scope. */
  total: number;
  /** Of them, registered since the first day of `today`'s month. */
  newThisMonth: number;
  /** Of them, with a receipt in the 90 days up to `today`. */
  active90: number;
  /** Of them, with one receipt or more ever (buyers), and with two or more. */
  buyers: number;
  repeaters: number;
  /** repeaters / buyers; 0 without buyers. */
  repurchaseRate: number;
}
export interface DashboardFigures {
  today: string;
  members: MemberFigures;
  /** Oldest first, every day present. */
  sales: SalesDay[];
  points: PointsDay[];
}
export interface FigureScope {
  sees: (storeId: string) => boolean;
  online: boolean;
}

export const ACTIVE_DAYS = 90;

const monthStart = (today: string) => `${today.slice(0, 8)}01`;

function emptyDays(today: string, days: number) {
  const from = addDays(today, -(days - 1));
  const sales = new Map<string, SalesDay>();
  const points = new Map<string, PointsDay>();
  for (let i = 0; i < days; i++) {
    const day = addDays(from, i);
    sales.set(day, { day, store: { receipts: 0, netCents: 0 }, ecommerce: { orders: 0, salesCents: 0 }, marketplace: { orders: 0, salesCents: 0 } });
    points.set(day, { day, issued: 0, redeemed: 0 });
  }
  return { from, sales, points };
}

function memberFigures(total: number, newThisMonth: number, active90: number, buyers: number, repeaters: number): MemberFigures {
  return { total, newThisMonth, active90, buyers, repeaters, repurchaseRate: buyers === 0 ? 0 : repeaters / buyers };
}

/** The counter documents the figures read, each with its day. */
export interface CounterInput {
  days: [string, DayDoc][];
  online: [string, OnlineDoc][];
  /** Every `reg:` document (all time: the total is their sum). */
  reg: [string, CountDoc][];
  /** `act:` documents of the last ACTIVE_DAYS days. */
  act: [string, CountDoc][];
  buyers: BuyersDoc | undefined;
}

/**
 * The figures from the counters, for `days` days up to `today`.
 *
 * @example dashboardFigures(emptyInput, '2026-11-30', 14, { sees: () => true, online: true }).members.total // 0
 */
export function dashboardFigures(input: CounterInput, today: string, days: number, scope: FigureScope): DashboardFigures {
  const { sales, points } = emptyDays(today, days);
  for (const [day, doc] of input.days) {
    const s = sales.get(day);
    const p = points.get(day);
    if (!s || !p) continue;
    for (const [store, cell] of doc.stores) {
      if (!scope.sees(store)) continue;
      s.store.receipts += cell.receipts;
      s.store.netCents += cell.salesCents - cell.refundCents;
      p.issued += cell.pointsIssued;
      p.redeemed += cell.pointsRedeemed;
    }
  }
  if (scope.online)
    for (const [day, doc] of input.online) {
      const s = sales.get(day);
      if (!s) continue;
      for (const [channel, cell] of doc.channels) {
        s[channel].orders += cell.orders;
        s[channel].salesCents += cell.salesCents;
      }
    }
  const sum = (docs: [string, CountDoc][], from: string) => docs.reduce((n, [day, d]) => (day < from || day > today ? n : n + d.stores.reduce((m, [store, k]) => (scope.sees(store) ? m + k : m), 0)), 0);
  let buyers = 0;
  let repeaters = 0;
  for (const [store, b] of input.buyers?.stores ?? [])
    if (scope.sees(store)) {
      buyers += b.buyers;
      repeaters += b.repeaters;
    }
  // The total counts every registration, future-dated ones too (a store's clock ahead): they are members.
  const total = input.reg.reduce((n, [, d]) => n + d.stores.reduce((m, [store, k]) => (scope.sees(store) ? m + k : m), 0), 0);
  return { today, members: memberFigures(total, sum(input.reg, monthStart(today)), sum(input.act, addDays(today, -(ACTIVE_DAYS - 1))), buyers, repeaters), sales: [...sales.values()], points: [...points.values()] };
}

/**
 * The same figures counted again from every fact, member and imported order: the check that the
 * counters are exact (tests, and the bench's check after the load). Facts are the hub's copies,
 * one per fact id; `homeOf` as the counters had it.
 */
export function recountFigures(
  facts: Iterable<FactLike>,
  members: Iterable<{ homeStoreId: string; day: string }>,
  online: Iterable<OnlineOrderLike>,
  homeOf: (memberId: string) => string,
  today: string,
  days: number,
  scope: FigureScope,
): DashboardFigures {
  const { sales, points } = emptyDays(today, days);
  const byMember = new Map<string, { receipts: number; lastDay: string }>();
  for (const f of facts) {
    if (typeof f.storeId !== 'string' || typeof f.day !== 'string') continue;
    if (f.type === 'order' && typeof f.memberId === 'string') {
      const m = byMember.get(f.memberId) ?? { receipts: 0, lastDay: '' };
      byMember.set(f.memberId, { receipts: m.receipts + 1, lastDay: f.day > m.lastDay ? f.day : m.lastDay });
    }
    if (!scope.sees(f.storeId)) continue;
    const s = sales.get(f.day);
    const p = points.get(f.day);
    if (!s || !p) continue;
    const n = (v: unknown) => (typeof v === 'number' ? v : 0);
    if (f.type === 'order') {
      s.store.receipts += 1;
      s.store.netCents += n(f.payableCents);
    } else if (f.type === 'refund') s.store.netCents -= n(f.refundCents);
    else if (f.type === 'pts' && (f.reason === 'join' || f.reason === 'earn' || f.reason === 'interaction' || f.reason === 'birthday')) p.issued += n(f.delta);
    else if (f.type === 'pts' && f.reason === 'redeem') p.redeemed -= n(f.delta);
  }
  if (scope.online)
    for (const o of online) {
      const s = sales.get(o.day);
      if (!s || o.status === 'cancelled' || o.status === 'refunded') continue;
      const c = s[channelOfSource(o.id.split(':')[0] ?? '')];
      c.orders += 1;
      c.salesCents += o.paidCents;
    }
  let total = 0;
  let newThisMonth = 0;
  for (const m of members) {
    if (!scope.sees(m.homeStoreId)) continue;
    total++;
    if (m.day >= monthStart(today) && m.day <= today) newThisMonth++;
  }
  let active = 0;
  let buyers = 0;
  let repeaters = 0;
  const since = addDays(today, -(ACTIVE_DAYS - 1));
  for (const [id, m] of byMember) {
    if (!scope.sees(homeOf(id))) continue;
    buyers++;
    if (m.receipts >= 2) repeaters++;
    if (m.lastDay >= since && m.lastDay <= today) active++;
  }
  return { today, members: memberFigures(total, newThisMonth, active, buyers, repeaters), sales: [...sales.values()], points: [...points.values()] };
}
