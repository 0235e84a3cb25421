import { z } from 'zod';
import type { LIFECYCLE_STAGES } from './fields.ts';
import type { SourceFacts } from './source-facts.ts';

/*
 * A golden member's lifecycle stage (issue 12, decision 024): a state machine over the member's
 * facts in day order, so the stage today and every transition before it come from one replay of
 * the facts held now (the timeline shows the transitions; nothing is stored). The incremental
 * path is the same machine: `step` a fact, `advance` the days; a property test holds the two
 * equal.
 *
 *   (none) --follow--> fan --unfollow--> (none)
 *   (none)/fan --registration--> member
 *   any without a purchase --purchase--> first_purchase
 *   first_purchase/active/reactivated --purchase--> active
 *   first_purchase/active/reactivated --atRiskDays without a purchase--> at_risk
 *   at_risk --dormantDays--> dormant --churnedDays--> churned
 *   at_risk/dormant/churned --purchase--> reactivated
 *
 * Days are counted from the last purchase; a threshold reached on a day is passed before that
 * day's facts (a purchase 90 days after the last one, with atRiskDays 90, reactivates).
 */

export type Stage = (typeof LIFECYCLE_STAGES)[number];

export const LifecycleConfigSchema = z
  .object({
    atRiskDays: z.number().int().positive().max(3650).default(90),
    dormantDays: z.number().int().positive().max(3650).default(180),
    churnedDays: z.number().int().positive().max(3650).default(365),
  })
  .strict()
  .refine((c) => c.atRiskDays < c.dormantDays && c.dormantDays < c.churnedDays, { message: 'thresholds must grow: atRiskDays < dormantDays < churnedDays' });
export type LifecycleConfig = z.infer<typeof LifecycleConfigSchema>;
export const DEFAULT_LIFECYCLE: LifecycleConfig = LifecycleConfigSchema.parse({});

/** What moves the machine, in day order. Within a day: follows, then registrations, then purchases. */
export type LifecycleFact =
  | { kind: 'follow'; day: number; ref: string }
  | { kind: 'unfollow'; day: number; ref: string }
  | { kind: 'registration'; day: number; ref: string }
  | { kind: 'purchase'; day: number; ref: string };

const FACT_RANK = { follow: 0, unfollow: 1, registration: 2, purchase: 3 } as const;

/** Why a transition happened: a fact, or the passing of days since the last purchase. */
export type TransitionCause = { kind: LifecycleFact['kind']; ref: string } | { kind: 'days'; days: number };

export interface Transition {
  day: number;
  from: Stage | null;
  to: Stage | null;
  cause: TransitionCause;
}

export interface LifecycleState {
  stage: Stage | null;
  day: number;
  follows: boolean;
  member: boolean;
  lastPurchase: number | null;
}

export const START: LifecycleState = { stage: null, day: -Infinity, follows: false, member: false, lastPurchase: null };

const LAPSED: ReadonlySet<Stage | null> = new Set(['at_risk', 'dormant', 'churned']);
const BUYING: ReadonlySet<Stage | null> = new Set(['first_purchase', 'active', 'reactivated']);

/** The lapsed stages in the order days reach them. */
const LAPSE_ORDER: readonly Stage[] = ['at_risk', 'dormant', 'churned'];

/**
 * Lets days pass up to `day`: each threshold crossed is a transition on the day it was reached.
 *
 * @example advance({ ...s, stage: 'active', lastPurchase: 0 }, 200, DEFAULT_LIFECYCLE).transitions.map((t) => t.to) // ['at_risk', 'dormant']
 */
export function advance(s: LifecycleState, day: number, c: LifecycleConfig = DEFAULT_LIFECYCLE): { state: LifecycleState; transitions: Transition[] } {
  const transitions: Transition[] = [];
  let stage = s.stage;
  if (s.lastPurchase !== null && (BUYING.has(stage) || LAPSED.has(stage))) {
    const thresholds = [c.atRiskDays, c.dormantDays, c.churnedDays];
    for (let i = 0; i < 3; i++) {
      const at = s.lastPurchase + thresholds[i]!;
      if (at > day) break;
      const next = LAPSE_ORDER[i]!;
      // Days only move a member further down: never from dormant back to at risk.
      if (BUYING.has(stage) || LAPSE_ORDER.indexOf(stage!) < i) transitions.push({ day: at, from: stage, to: next, cause: { kind: 'days', days: thresholds[i]! } }), (stage = next);
    }
  }
  return { state: { ...s, stage, day: Math.max(s.day, day) }, transitions };
}

/** Applies one fact (after `advance` to its day). */
export function step(s: LifecycleState, f: LifecycleFact, c: LifecycleConfig = DEFAULT_LIFECYCLE): { state: LifecycleState; transitions: Transition[] } {
  const moved = advance(s, f.day, c);
  const cur = moved.state;
  const next: LifecycleState = { ...cur };
  let stage = cur.stage;
  switch (f.kind) {
    case 'follow':
      next.follows = true;
      if (stage === null) stage = 'fan';
      break;
    case 'unfollow':
      next.follows = false;
      if (stage === 'fan') stage = null;
      break;
    case 'registration':
      next.member = true;
      if (stage === null || stage === 'fan') stage = 'member';
      break;
    case 'purchase':
      if (cur.lastPurchase === null) stage = 'first_purchase';
      else if (LAPSED.has(stage)) stage = 'reactivated';
      else stage = 'active';
      next.lastPurchase = Math.max(cur.lastPurchase ?? -Infinity, f.day);
      break;
  }
  next.stage = stage;
  const transitions = moved.transitions;
  if (stage !== cur.stage) transitions.push({ day: f.day, from: cur.stage, to: stage, cause: { kind: f.kind, ref: f.ref } });
  return { state: next, transitions };
}

/** Facts in the order the machine reads them. */
export function sortFacts(facts: readonly LifecycleFact[]): LifecycleFact[] {
  return [...facts].sort((a, b) => a.day - b.day || FACT_RANK[a.kind] - FACT_RANK[b.kind] || (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
}

/**
 * The stage on `day` and every transition up to it, replaying the facts in order.
 *
 * @example replay([{ kind: 'purchase', day: 100, ref: 'o1' }], 300).stage // 'dormant'
 */
export function replay(facts: readonly LifecycleFact[], day: number, c: LifecycleConfig = DEFAULT_LIFECYCLE): { stage: Stage | null; state: LifecycleState; transitions: Transition[] } {
  let state = START;
  const transitions: Transition[] = [];
  for (const f of sortFacts(facts)) {
    if (f.day > day) break;
    const r = step(state, f, c);
    state = r.state;
    transitions.push(...r.transitions);
  }
  const end = advance(state, day, c);
  transitions.push(...end.transitions);
  return { stage: end.state.stage, state: end.state, transitions };
}

const FOLLOW = new Set(['follow', 'wechat_follow']);
const UNFOLLOW = new Set(['unfollow', 'wechat_unfollow']);

/**
 * The machine's facts from a golden member's source lists: orders that still count (one refunded
 * in full is no purchase, as in the metrics), registrations, follows. `registeredDay` (the
 * records' earliest registration) stands in for a registration no event records; a member with
 * neither is a member from their first fact on.
 */
export function lifecycleFacts(lists: readonly SourceFacts[], registeredDay: number | undefined, isMember: boolean): LifecycleFact[] {
  const out: LifecycleFact[] = [];
  const orders = new Map<string, NonNullable<SourceFacts['orders']>[number]>();
  const refunds = new Map<string, NonNullable<SourceFacts['refunds']>[number]>();
  const events = new Set<string>();
  for (const l of lists) {
    for (const o of l.orders ?? []) if (!orders.has(o.id)) orders.set(o.id, o);
    for (const r of l.refunds ?? []) if (!refunds.has(r.id)) refunds.set(r.id, r);
  }
  const refundsOf = new Map<string, NonNullable<SourceFacts['refunds']>[number][]>();
  for (const r of refunds.values()) refundsOf.set(r.orderId, [...(refundsOf.get(r.orderId) ?? []), r]);
  for (const o of orders.values()) if (!refundedInFull(o, refundsOf.get(o.id))) out.push({ kind: 'purchase', day: o.day, ref: o.id });
  let registration: LifecycleFact | undefined;
  for (const l of lists)
    for (const e of l.events ?? []) {
      if (events.has(e.id)) continue;
      events.add(e.id);
      if (e.kind === 'register') {
        if (!registration || e.day < registration.day) registration = { kind: 'registration', day: e.day, ref: e.id };
      } else if (FOLLOW.has(e.kind)) out.push({ kind: 'follow', day: e.day, ref: e.id });
      else if (UNFOLLOW.has(e.kind)) out.push({ kind: 'unfollow', day: e.day, ref: e.id });
    }
  if (registeredDay !== undefined && (!registration || registeredDay < registration.day)) registration = { kind: 'registration', day: registeredDay, ref: 'registered' };
  if (!registration && isMember) {
    const first = out.reduce((d, f) => Math.min(d, f.day), Infinity);
    if (first !== Infinity) registration = { kind: 'registration', day: first, ref: 'registered' };
  }
  if (registration) out.push(registration);
  return out;
}

/** As shared/profile/metrics.ts decides: an order refunded in full (money and items) no longer counts. */
function refundedInFull(o: NonNullable<SourceFacts['orders']>[number], rs: NonNullable<SourceFacts['refunds']>[number][] | undefined): boolean {
  if (o.refundedInFull) return true;
  if (!rs) return false;
  const qty = o.lines.map((l) => l.qty);
  let cents = 0, items = 0;
  for (const r of rs) {
    cents += r.cents;
    for (const l of r.lines) {
      if (l.index >= qty.length) continue;
      items += Math.min(l.qty, qty[l.index]!);
      qty[l.index] = Math.max(0, qty[l.index]! - l.qty);
    }
  }
  return Math.min(cents, o.paidCents) >= o.paidCents && o.items - Math.min(items, o.items) === 0;
}
