import { addMonths } from '../local-time.ts';
import { mulDiv } from '../money.ts';
import type { Expiry, LoyaltyRules, TierRule } from '../schemas/rules.ts';

/** The part of a ledger entry that its balance depends on. */
export interface LedgerFact {
  id: string;
  delta: number;
  /** When it was written, epoch milliseconds: only its order matters here. */
  atMs: number;
  day: string;
  expiresOn?: string;
  /** Vesting (decision 018): the day the points it earns, or cancels, become spendable. */
  vestsOn?: string;
}

export interface Balance {
  /** Points the member can spend today (vested, unexpired, less any debt). */
  balance: number;
  /** Points that expired unspent; balance + pending + expired = sum of the ledger. */
  expired: number;
  /** The earliest lot still to expire, for "200 points expire on …" on the receipt. */
  nextExpiry?: { on: string; points: number };
  /**
   * Points earned that are not spendable yet (vesting, decision 018), net of the refunds that
   * cancelled some; present only when some are. Negative only while a store holds a refund's
   * claw-back of pending points without the earning it cancels (replication brings it).
   */
  pending?: number;
  /** The earliest day on which pending points vest, and how many. */
  nextVesting?: { on: string; points: number };
}

type Lot = { amount: number; expiresOn: string | undefined };

/** Whether an entry waits for its vesting day: it was written before it. */
export function isPendingFact(e: Pick<LedgerFact, 'day' | 'vestsOn'>): boolean {
  return e.vestsOn !== undefined && e.vestsOn > e.day;
}

/**
 * The balance of a ledger on `today`. Spending uses the points that expire first; points expire
 * after their `expiresOn` day; a claw-back that the balance cannot cover leaves a debt (a negative
 * balance, recorded as such) that later earnings pay first. Entries are taken in (atMs, id) order,
 * so the result does not depend on the order in which they arrived.
 *
 * Pending points (an entry with `vestsOn` after its `day`) wait in a pool per vesting day, apart
 * from what can be spent: a refund's claw-back of pending points is netted in its day's pool
 * (whenever it was written or arrived), and what the pool holds joins the spendable lots at the
 * start of its vesting day. So a refund before vesting never touches the spendable balance.
 *
 * @example ledgerBalance([{ id: 'a', delta: 200, atMs: Date.parse('2026-01-01T00:00:00Z'), day: '2026-01-01' }], '2026-06-01')
 * // { balance: 200, expired: 0 }
 * @example ledgerBalance([{ id: 'a', delta: 200, atMs: Date.parse('2026-01-01T00:00:00Z'), day: '2026-01-01', vestsOn: '2026-01-08' }], '2026-01-02')
 * // { balance: 0, expired: 0, pending: 200, nextVesting: { on: '2026-01-08', points: 200 } }
 */
export function ledgerBalance(entries: readonly LedgerFact[], today: string): Balance {
  const sorted = [...entries].sort((a, b) => a.atMs - b.atMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const lots: Lot[] = [];
  let debt = 0;
  let expired = 0;

  const expireBefore = (day: string) => {
    for (let i = lots.length - 1; i >= 0; i--) {
      const lot = lots[i]!;
      if (lot.expiresOn !== undefined && lot.expiresOn < day) {
        expired += lot.amount;
        lots.splice(i, 1);
      }
    }
  };
  const credit = (amount: number, expiresOn: string | undefined) => {
    const pay = Math.min(debt, amount);
    debt -= pay;
    if (amount - pay > 0) lots.push({ amount: amount - pay, expiresOn });
  };
  const spend = (amount: number) => {
    let need = amount;
    lots.sort((a, b) => cmpExpiry(a.expiresOn, b.expiresOn));
    while (need > 0 && lots.length > 0) {
      const lot = lots[0]!;
      const take = Math.min(lot.amount, need);
      lot.amount -= take;
      need -= take;
      if (lot.amount === 0) lots.shift();
    }
    debt += need;
  };

  const pools = new Map<string, { lots: Lot[]; clawed: number }>();
  for (const e of sorted) {
    if (!isPendingFact(e)) continue;
    let pool = pools.get(e.vestsOn!);
    if (!pool) pools.set(e.vestsOn!, (pool = { lots: [], clawed: 0 }));
    if (e.delta >= 0) pool.lots.push({ amount: e.delta, expiresOn: e.expiresOn });
    else pool.clawed -= e.delta;
  }
  const vestDays = [...pools.keys()].sort();
  let vested = 0;
  /**
   * Days pass up to `day`: pools vest at the start of their day, never after `today` (an entry
   * dated ahead, from a store whose clock is, vests nothing early), lots lapse after theirs.
   */
  const advanceTo = (day: string) => {
    while (vested < vestDays.length && vestDays[vested]! <= day && vestDays[vested]! <= today) {
      const on = vestDays[vested++]!;
      expireBefore(on);
      const pool = pools.get(on)!;
      let clawed = pool.clawed;
      for (const lot of [...pool.lots].sort((a, b) => cmpExpiry(a.expiresOn, b.expiresOn))) {
        const take = Math.min(clawed, lot.amount);
        clawed -= take;
        if (lot.amount > take) credit(lot.amount - take, lot.expiresOn);
      }
      if (clawed > 0) spend(clawed);
    }
    expireBefore(day);
  };

  for (const e of sorted) {
    // A pending entry is no event of the spendable lots: it waits in its pool (above).
    if (isPendingFact(e)) continue;
    advanceTo(e.day);
    if (e.delta >= 0) credit(e.delta, e.expiresOn);
    else spend(-e.delta);
  }
  advanceTo(today);

  let pending = 0;
  let nextVesting: Balance['nextVesting'];
  for (const on of vestDays.slice(vested)) {
    const pool = pools.get(on)!;
    const net = pool.lots.reduce((s, l) => s + l.amount, 0) - pool.clawed;
    pending += net;
    if (!nextVesting && net > 0) nextVesting = { on, points: net };
  }

  const balance = lots.reduce((s, l) => s + l.amount, 0) - debt;
  const dated = lots.filter((l) => l.expiresOn !== undefined).sort((a, b) => cmpExpiry(a.expiresOn, b.expiresOn));
  const first = dated[0];
  const nextExpiry = first
    ? { on: first.expiresOn!, points: dated.filter((l) => l.expiresOn === first.expiresOn).reduce((s, l) => s + l.amount, 0) }
    : undefined;
  return {
    balance,
    expired,
    ...(nextExpiry ? { nextExpiry } : {}),
    // A receipt refunded in full before vesting leaves no trace: no pending field at all.
    ...(pending !== 0 || nextVesting ? { pending, ...(nextVesting ? { nextVesting } : {}) } : {}),
  };
}

function cmpExpiry(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  return a < b ? -1 : 1;
}

/** The last day points earned on `day` can be spent, per the expiry policy. */
export function expiryFor(expiry: Expiry, day: string): string | undefined {
  switch (expiry.kind) {
    case 'relative':
      return addMonths(day, expiry.months);
    case 'end_of_next_year':
      return `${String(Number(day.slice(0, 4)) + 1).padStart(4, '0')}-12-31`;
    case 'never':
      return undefined;
  }
}

/**
 * Points earned on a purchase: 1 per RMB paid (per the rules), times the tier's multiplier,
 * rounded down. Integer arithmetic only.
 *
 * @example earnedPoints(DEFAULT_RULES, gold, 12_345) // 123 RMB × 1.5 = 185
 */
export function earnedPoints(rules: LoyaltyRules, tier: TierRule, paidCents: number): number {
  return mulDiv(paidCents, rules.earn.pointsPerYuan * tier.multiplierPct, 100 * 100);
}

/** Cents that `points` pay at the till, or undefined when they do not make whole cents. */
export function pointsToCents(rules: LoyaltyRules, points: number): number | undefined {
  const scaled = points * 100;
  return scaled % rules.cash.pointsPerYuan === 0 ? scaled / rules.cash.pointsPerYuan : undefined;
}

/** The most points that may pay for `amountCents`, per the cap on the receipt's share, in whole cents. */
export function maxRedeemablePoints(rules: LoyaltyRules, amountCents: number): number {
  const capCents = mulDiv(amountCents, rules.cash.maxShareBps, 10000);
  const max = mulDiv(capCents, rules.cash.pointsPerYuan, 100);
  const step = rules.cash.pointsPerYuan / gcd(rules.cash.pointsPerYuan, 100);
  return max - (max % step);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
