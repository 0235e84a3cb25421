import { recordKeys } from './keys.ts';
import type { RecordIdentities, RecordProfile, SourceRecord } from './record.ts';

/*
 * Survivorship: which record's value a golden member shows for each field. Trust first (the
 * order of sources the operator configured), then recency; an empty value never wins, so a
 * trusted source that lacks a field does not blank it.
 */

export type SurvivorInput = Pick<SourceRecord, 'id' | 'source' | 'observedAt' | 'identities' | 'profile' | 'memberId'>;

/** The standard profile fields plus the member's primary phone and card. */
export type GoldenProfile = RecordProfile & { phone?: string; cardNo?: string };

/** Every identity of every record of a member, each list sorted and without duplicates. */
export interface GoldenIdentities {
  phones: string[];
  cardNos: string[];
  unionIds: string[];
  openIds: { appId: string; openId: string }[];
  buyerNicks: string[];
  jdPins: string[];
  memberIds: string[];
}

/** Rank of a source: its index in `priority`; sources not listed rank after every listed one, equally. */
export function sourceRanker(priority: readonly string[]): (source: string) => number {
  const rank = new Map(priority.map((s, i) => [s, i]));
  return (source) => rank.get(source) ?? priority.length;
}

/**
 * Records from the most to the least preferred: higher-ranked source, then more recently
 * observed, then smaller record id (so the result never depends on input order).
 */
export function bySurvivorship<T extends Pick<SourceRecord, 'id' | 'source' | 'observedAt'>>(records: readonly T[], rank: (source: string) => number): T[] {
  const keyed = records.map((r) => ({ r, rank: rank(r.source), t: Date.parse(r.observedAt) }));
  keyed.sort((a, b) => a.rank - b.rank || b.t - a.t || (a.r.id < b.r.id ? -1 : a.r.id > b.r.id ? 1 : 0));
  return keyed.map((k) => k.r);
}

const PROFILE_FIELDS = ['name', 'gender', 'birthday', 'region', 'registeredAt', 'homeStoreId', 'email'] as const;

/**
 * The golden profile of a member's records. `usableKey` says whether an identity key may be
 * the member's primary one (a quarantined phone — the store's own — must not be shown as the
 * member's phone).
 *
 * @example goldenProfile([crm, tmall], ['crm', 'tmall']) // name from crm unless crm has none
 */
export function goldenProfile(records: readonly SurvivorInput[], priority: readonly string[], usableKey: (key: string) => boolean = () => true): GoldenProfile {
  const ordered = bySurvivorship(records, sourceRanker(priority));
  const golden: GoldenProfile = {};
  for (const field of PROFILE_FIELDS) {
    for (const r of ordered) {
      const v = r.profile[field];
      if (isEmpty(v)) continue;
      (golden as Record<string, unknown>)[field] = v;
      break;
    }
  }
  for (const r of ordered) {
    const phone = r.identities.phone;
    if (phone && usableKey(`phone:${phone}`)) { golden.phone = phone; break; }
  }
  for (const r of ordered) {
    const card = r.identities.cardNo;
    if (card && recordKeys({ cardNo: card }).every(usableKey)) { golden.cardNo = card; break; }
  }
  return golden;
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (typeof v === 'string') return v.trim() === '';
  if (typeof v === 'object') return Object.values(v).every(isEmpty);
  return false;
}

/** Every identity the member's records carry: the member keeps them all, whichever won. */
export function goldenIdentities(records: readonly Pick<SourceRecord, 'identities' | 'memberId'>[]): GoldenIdentities {
  const sets = { phones: new Set<string>(), cardNos: new Set<string>(), unionIds: new Set<string>(), openIds: new Map<string, { appId: string; openId: string }>(), buyerNicks: new Set<string>(), jdPins: new Set<string>(), memberIds: new Set<string>() };
  for (const r of records) {
    const ids: RecordIdentities = r.identities;
    if (ids.phone) sets.phones.add(ids.phone);
    if (ids.cardNo) sets.cardNos.add(ids.cardNo);
    if (ids.unionId) sets.unionIds.add(ids.unionId);
    for (const o of ids.openIds ?? []) sets.openIds.set(`${o.appId}:${o.openId}`, o);
    if (ids.buyerNick) sets.buyerNicks.add(ids.buyerNick);
    if (ids.jdPin) sets.jdPins.add(ids.jdPin);
    if (r.memberId) sets.memberIds.add(r.memberId);
  }
  const sorted = (s: Set<string>) => [...s].sort();
  return {
    phones: sorted(sets.phones),
    cardNos: sorted(sets.cardNos),
    unionIds: sorted(sets.unionIds),
    openIds: [...sets.openIds.keys()].sort().map((k) => sets.openIds.get(k)!),
    buyerNicks: sorted(sets.buyerNicks),
    jdPins: sorted(sets.jdPins),
    memberIds: sorted(sets.memberIds),
  };
}
