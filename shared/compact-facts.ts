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

/** cyrb53: a fast, well-mixed 53-bit string hash (public domain). */
export function idHash(s: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
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

/** 'YYYY-MM-DD' → days since 1970-01-01. */
export function dayNumber(day: string): number {
  return Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10))) / DAY_MS;
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

/** Inserts or replaces the tuple whose first field is `tuple[0]`. */
export function upsertTuple(list: number[] | undefined, stride: number, tuple: readonly number[]): number[] {
  const out = list ?? [];
  for (let i = 0; i < out.length; i += stride) {
    if (out[i] === tuple[0]) {
      for (let k = 0; k < stride; k++) out[i + k] = tuple[k]!;
      return out;
    }
  }
  out.push(...tuple);
  return out;
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

/** The ledger as the pure points functions take it. */
export function decodeLedger(list: readonly number[] | undefined): LedgerFact[] {
  const out: LedgerFact[] = [];
  if (!list) return out;
  for (let i = 0; i < list.length; i += LEDGER_STRIDE) {
    const fact: LedgerFact = { id: String(list[i]), delta: list[i + 1]!, atMs: list[i + 2]!, day: dayString(list[i + 3]!) };
    if (list[i + 4]! >= 0) fact.expiresOn = dayString(list[i + 4]!);
    out.push(fact);
  }
  return out;
}

/** The spend facts as the pure tier functions take them. */
export function decodeSpend(list: readonly number[] | undefined): (SpendFact & { id: string })[] {
  const out: (SpendFact & { id: string })[] = [];
  if (!list) return out;
  for (let i = 0; i < list.length; i += SPEND_STRIDE) out.push({ id: String(list[i]), day: dayString(list[i + 1]!), cents: list[i + 2]! });
  return out;
}
