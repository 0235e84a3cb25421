import type { LedgerFact } from './loyalty/points.ts';
import type { SpendFact } from './loyalty/tiers.ts';

/*
 * A store keeps every member's ledger and spend facts in memory (100,000 members, a receipt
 * every few seconds for years). As objects with string ids and dates they cost ~300 bytes each;
 * packed as numbers in one array per member they cost 24-40. A fact is identified by a 53-bit
 * hash of its document id: re-applying it is still a no-op, and two facts of one member collide
 * with a probability of about n²/2^54 (never, at the facts a member has).
 */

/** Fields per ledger entry: id hash, delta, at (ms), day, expiresOn (days since 1970; -1 = none). */
export const LEDGER_STRIDE = 5;
/** Fields per spend fact: id hash, day, cents. */
export const SPEND_STRIDE = 3;

/** cyrb53: a fast, well-mixed 53-bit string hash (public domain); a seed gives an independent one. */
export function idHash(s: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

const DAY_MS = 86_400_000;
const dayStrings = new Map<number, string>();

let lastDay = { day: '', n: 0 };

/** 'YYYY-MM-DD' → days since 1970-01-01 (the last one remembered: identify asks for today's). */
export function dayNumber(day: string): number {
  if (day !== lastDay.day) lastDay = { day, n: Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10))) / DAY_MS };
  return lastDay.n;
}

/** Days since 1970-01-01 → 'YYYY-MM-DD' (one string per day, shared). */
export function dayString(n: number): string {
  let s = dayStrings.get(n);
  if (s === undefined) {
    s = new Date(n * DAY_MS).toISOString().slice(0, 10);
    dayStrings.set(n, s);
  }
  return s;
}

/**
 * The list with the tuple whose first field is `tuple[0]` inserted or replaced; the list given is
 * never changed, so a caller may fold onto a record's list to preview it. A new fact gives a new
 * array of exactly the right length (concat), not a push: V8 grows a pushed array by half plus
 * 16 slots, which over 100,000 members' short lists is a third of what the facts cost.
 */
export function upsertTuple(list: readonly number[] | undefined, stride: number, tuple: readonly number[]): number[] {
  if (!list) return tuple.slice();
  for (let i = 0; i < list.length; i += stride) {
    if (list[i] !== tuple[0]) continue;
    let same = true;
    for (let k = 1; k < stride; k++) same &&= list[i + k] === tuple[k];
    if (same) return list as number[]; // the same fact again (a replay): nothing to copy
    const out = list.slice();
    for (let k = 0; k < stride; k++) out[i + k] = tuple[k]!;
    return out;
  }
  return list.concat(tuple);
}

export function hasTuple(list: readonly number[] | undefined, stride: number, hash: number): boolean {
  if (!list) return false;
  for (let i = 0; i < list.length; i += stride) if (list[i] === hash) return true;
  return false;
}

export function ledgerTuple(id: string, delta: number, at: string, day: string, expiresOn: string | undefined): number[] {
  return [idHash(id), delta, Date.parse(at), dayNumber(day), expiresOn === undefined ? -1 : dayNumber(expiresOn)];
}

export function spendTuple(id: string, day: string, cents: number): number[] {
  return [idHash(id), dayNumber(day), cents];
}

/**
 * The ledger as the pure points functions take it; `vest`, the member's vesting tuples, gives
 * the entries that have one their vestsOn.
 */
export function decodeLedger(list: readonly number[] | undefined, vest?: readonly number[]): LedgerFact[] {
  const out: LedgerFact[] = [];
  if (!list) return out;
  const vestsOn = new Map<number, number>();
  for (let i = 0; vest && i < vest.length; i += VEST_STRIDE) vestsOn.set(vest[i]!, vest[i + 1]!);
  for (let i = 0; i < list.length; i += LEDGER_STRIDE) {
    const fact: LedgerFact = { id: String(list[i]), delta: list[i + 1]!, atMs: list[i + 2]!, day: dayString(list[i + 3]!) };
    if (list[i + 4]! >= 0) fact.expiresOn = dayString(list[i + 4]!);
    const v = vestsOn.get(list[i]!);
    if (v !== undefined) fact.vestsOn = dayString(v);
    out.push(fact);
  }
  return out;
}

// Vesting (decision 018). Entries that vest later are few (a receipt's points, for the days of the
// return window): their vesting days sit in a list of their own, so every other entry keeps its
// five numbers and snapshots from before vesting read as they are.

/** Fields per vesting fact: the ledger entry's id hash, its vestsOn day. */
export const VEST_STRIDE = 2;

export function vestTuple(id: string, vestsOn: string): number[] {
  return [idHash(id), dayNumber(vestsOn)];
}

/** Whether some entry of the member is written before a vesting day after `todayNum` (points still pending). */
export function hasUnvested(vest: readonly number[] | undefined, todayNum: number): boolean {
  for (let i = 0; vest && i < vest.length; i += VEST_STRIDE) if (vest[i + 1]! > todayNum) return true;
  return false;
}

/** The spend facts as the pure tier functions take them. */
export function decodeSpend(list: readonly number[] | undefined): (SpendFact & { id: string })[] {
  const out: (SpendFact & { id: string })[] = [];
  if (!list) return out;
  for (let i = 0; i < list.length; i += SPEND_STRIDE) out.push({ id: String(list[i]), day: dayString(list[i + 1]!), cents: list[i + 2]! });
  return out;
}

/**
 * The balance straight from a packed ledger, without decoding it, when the order of spending
 * cannot matter: nothing is dated after today and no earning has lapsed by today (then every
 * lot is still whole or spent, and the balance is the sum of the deltas), or nothing spends
 * (then it is the sum of what has not lapsed). Undefined otherwise (the caller runs
 * ledgerBalance, first in, first out). Identify and checkout ask for it on every call.
 */
export function plainLedgerBalance(list: readonly number[] | undefined, todayNum: number): number | undefined {
  if (!list) return 0;
  let all = 0;
  let unlapsed = 0;
  let spends = false;
  let lapsed = false;
  for (let i = 0; i < list.length; i += LEDGER_STRIDE) {
    const delta = list[i + 1]!;
    if (list[i + 3]! > todayNum) return undefined;
    all += delta;
    if (delta < 0) {
      spends = true;
      continue;
    }
    const expires = list[i + 4]!;
    if (expires >= 0 && expires < todayNum) lapsed = true;
    else unlapsed += delta;
  }
  if (!spends) return unlapsed;
  return lapsed ? undefined : all;
}

/** Spend within (fromNum, todayNum], from a packed spend list (see rollingSpend). */
export function packedRollingSpend(list: readonly number[] | undefined, fromNum: number, todayNum: number): number {
  if (!list) return 0;
  let sum = 0;
  for (let i = 0; i < list.length; i += SPEND_STRIDE) {
    const day = list[i + 1]!;
    if (day > fromNum && day <= todayNum) sum += list[i + 2]!;
  }
  return Math.max(0, sum);
}
