import { dayString, type SourceFacts } from './source-facts.ts';

/*
 * A golden member's timeline (issue 12): every registration, purchase, refund, points movement,
 * coupon issued and redeemed, merge and split, in order, paged. Other parts add their own kinds
 * (tier changes, tags entered and left, stage changes) as entries of the same shape: the engine
 * asks each registered provider (hub/profile/engine.ts `addTimelineSource`).
 */

export const TIMELINE_KINDS = ['registration', 'merge', 'split', 'purchase', 'refund', 'points', 'coupon_issued', 'coupon_redeemed', 'tier_change', 'tag_entered', 'tag_left', 'stage_change'] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

export interface TimelineEntry {
  /** Local day (YYYY-MM-DD) it happened. */
  day: string;
  kind: TimelineKind;
  /** The fact or decision it comes from (unique with `kind`). */
  ref: string;
  /** The source id it is filed under (`pos:<member>`, an import's record), when it is a fact. */
  source?: string;
  store?: string;
  channel?: string;
  cents?: number;
  points?: number;
  /** A short word for the row: the points' reason, a coupon code, the records merged. */
  note?: string;
}

const RANK = new Map(TIMELINE_KINDS.map((k, i) => [k, i]));
const CHANNELS = ['store', 'ecommerce', 'marketplace'];

/** The sort key of an entry: day, then kind, then ref (a registration comes before a purchase the same day). */
export function timelineKey(e: TimelineEntry): string {
  return `${e.day}|${String(RANK.get(e.kind) ?? 99).padStart(2, '0')}|${e.ref}`;
}

/**
 * The entries the facts of a member's source ids give (registrations come from the member's
 * records, one per record of any source: hub/profile/service.ts).
 *
 * @example factsTimeline([{ source: 'pos:M1', facts }]) // [{ day, kind: 'purchase', ref: 'order:…', cents }, …]
 */
export function factsTimeline(lists: readonly { source: string; facts: SourceFacts }[]): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  for (const { source, facts } of lists) {
    for (const o of facts.orders ?? [])
      out.push({ day: dayString(o.day), kind: 'purchase', ref: o.id, source, ...(o.store ? { store: o.store } : {}), channel: o.market || CHANNELS[o.channel]!, cents: o.paidCents });
    for (const r of facts.refunds ?? []) out.push({ day: dayString(r.day), kind: 'refund', ref: r.id, source, cents: r.cents, note: r.orderId });
    for (const p of facts.points ?? []) out.push({ day: p.day, kind: 'points', ref: p.id, source, points: p.delta, note: p.reason });
    for (const c of facts.coupons ?? []) {
      if (c.issued !== undefined) out.push({ day: dayString(c.issued), kind: 'coupon_issued', ref: `coupon:${c.code}`, source, note: c.code });
      if (c.redeemed !== undefined) out.push({ day: dayString(c.redeemed), kind: 'coupon_redeemed', ref: `redeem:${c.code}`, source, note: c.code });
    }
  }
  return out;
}

/**
 * One page of a timeline: entries in order after `cursor` (the key of the last entry of the page
 * before), and the cursor of the next page, null at the end. A cursor stays valid as entries are
 * added: a page never repeats or skips what was there.
 */
export function timelinePage(entries: readonly TimelineEntry[], cursor: string | undefined, limit: number): { entries: TimelineEntry[]; next: string | null } {
  const keyed = new Map<string, TimelineEntry>();
  for (const e of entries) keyed.set(timelineKey(e), e);
  const keys = [...keyed.keys()].sort();
  const after = cursor === undefined ? 0 : upperBound(keys, cursor);
  const page = keys.slice(after, after + limit);
  return { entries: page.map((k) => keyed.get(k)!), next: after + limit < keys.length ? page[page.length - 1]! : null };
}

function upperBound(keys: readonly string[], k: string): number {
  let lo = 0, hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! <= k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
