import type { Log } from '../../shared/cli/log.ts';
import type { ProfileValue } from '../../shared/profile/fields.ts';
import { DEFAULT_LIFECYCLE, lifecycleFacts, replay, type LifecycleConfig, type Transition } from '../../shared/profile/lifecycle.ts';
import { coPurchaseModel, DEFAULT_CO_PURCHASE, recommendFor, SkuIds, type ItemModel } from '../../shared/profile/recommend.ts';
import { NO_BOUNDARIES, rfmBoundaries, rfmOf, type IntColumn, type RfmBoundaries } from '../../shared/profile/rfm.ts';
import { dayNumber, dayString, type SourceFacts } from '../../shared/profile/source-facts.ts';
import type { TimelineEntry } from '../../shared/profile/timeline.ts';
import type { ProfileBase, ProfileExtension } from './base.ts';

/** Items recommended per member. */
export const RECOMMENDATIONS = 5;

/**
 * What the profile engine adds over the metrics (decision 024): the lifecycle stage (a replay of
 * the member's facts: pure, so the nightly run and the incremental path agree), RFM scored
 * against the boundaries the last full compute kept, and the co-purchase model built with them.
 *
 * The full compute (start, nightly) first writes every member scored against the old
 * boundaries, then computes new ones over the whole base and re-scores every row in the columns;
 * between runs a member recomputed on a new fact is scored against those.
 */
export class RfmAndStages implements ProfileExtension {
  boundaries: RfmBoundaries = NO_BOUNDARIES;
  private model: { ids: SkuIds; model: ItemModel } | undefined;
  /** The base the engine answers from (the last one computed in full). */
  private base: ProfileBase | undefined;
  /** Figures of the last full pass, for the logs and the bench. */
  lastPass: { rfmMs: number; modelMs: number; lines: number; pairs: number } | undefined;

  constructor(
    private readonly config: LifecycleConfig = DEFAULT_LIFECYCLE,
    private readonly log?: Log,
  ) {}

  extend(_goldenId: string, p: Map<string, ProfileValue>, lists: readonly SourceFacts[], day: string): void {
    const stage = this.stageOf(p, lists, day).stage;
    if (stage !== null) p.set('stage', stage);
    const rfm = rfmOf({ daysSinceLastPurchase: num(p.get('daysSinceLastPurchase')), orders365: num(p.get('orders365')), spend365: num(p.get('spend365')) }, this.boundaries);
    if (rfm) {
      p.set('rfmR', rfm.r);
      p.set('rfmF', rfm.f);
      p.set('rfmM', rfm.m);
      p.set('rfmSegment', rfm.segment);
    }
  }

  private stageOf(p: ReadonlyMap<string, ProfileValue>, lists: readonly SourceFacts[], day: string) {
    const registered = p.get('registeredDay');
    const facts = lifecycleFacts(lists, typeof registered === 'string' ? dayNumber(registered) : undefined, p.get('isMember') === 1);
    return replay(facts, dayNumber(day), this.config);
  }

  computedAll(base: ProfileBase, day: string): void {
    this.base = base;
    const t0 = performance.now();
    const col = (name: string) => {
      const c = base.columns.column(name);
      if (!c || c.kind !== 'int') throw new Error(`profiles: no int column ${name}`);
      return c;
    };
    const ids = base.members();
    const days = col('daysSinceLastPurchase'), orders = col('orders365'), spend = col('spend365');
    const b = rfmBoundaries(days, orders, spend, day, ids.length);
    this.boundaries = b;
    for (let n = 0; n < ids.length; n++) {
      if (!ids.has(n)) continue;
      const v = (c: IntColumn) => (c.values[n] === c.absent ? undefined : c.values[n]);
      const rfm = rfmOf({ daysSinceLastPurchase: v(days), orders365: v(orders), spend365: v(spend) }, b);
      base.columns.set(n, 'rfmR', rfm?.r);
      base.columns.set(n, 'rfmF', rfm?.f);
      base.columns.set(n, 'rfmM', rfm?.m);
      base.columns.set(n, 'rfmSegment', rfm?.segment);
    }
    const rfmMs = performance.now() - t0;
    const t1 = performance.now();
    const built = buildModel(base);
    this.model = built;
    this.lastPass = { rfmMs: Math.round(rfmMs), modelMs: Math.round(performance.now() - t1), lines: built.lines, pairs: built.model.pairs };
    this.log?.info('profiles: RFM and co-purchase computed', { active: b.active, ...this.lastPass });
  }

  /** The member's top items not bought yet (empty before the first full compute). */
  recommendations(skuScore: ProfileValue | undefined): { sku: string; score: number }[] {
    if (!this.model || !(skuScore instanceof Map)) return [];
    return recommendFor(this.model.model, this.model.ids, skuScore as ReadonlyMap<string, number>, RECOMMENDATIONS);
  }

  /** Stage changes as timeline entries, from a replay of the member's facts up to `day`. */
  stageTimeline(goldenId: string, day: string): TimelineEntry[] {
    const base = this.base;
    const p = base?.profileOn(goldenId, day);
    if (!base || !p) return [];
    return this.stageOf(p, base.factsOf(goldenId).map((l) => l.facts), day).transitions.map((t, i) => stageEntry(t, i));
  }
}

const num = (v: ProfileValue | undefined) => (typeof v === 'number' ? v : undefined);

/**
 * A transition as a timeline row: the stages in `note`, its cause in `ref` (a fact's id, or the
 * days passed) after its place in the replay, so that two on one day keep their order.
 */
export function stageEntry(t: Transition, i: number): TimelineEntry {
  const cause = t.cause.kind === 'days' ? `${t.cause.days} days without a purchase` : `${t.cause.kind} ${t.cause.ref}`;
  return { day: dayString(t.day), kind: 'stage_change', ref: `stage:${String(i).padStart(5, '0')}:${t.to ?? 'none'}:${t.cause.kind === 'days' ? `days${t.cause.days}` : t.cause.ref}`, note: `${t.from ?? '-'} → ${t.to ?? '-'} (${cause})` };
}

/** Every member's order lines (orders still counted, lines not refunded away) into the co-purchase model. */
function buildModel(base: ProfileBase): { ids: SkuIds; model: ItemModel; lines: number } {
  const ids = new SkuIds();
  const buyer: number[] = [], day: number[] = [], sku: number[] = [];
  const members = base.members();
  for (let n = 0; n < members.length; n++) {
    const g = members.at(n);
    if (g === undefined) continue;
    const seen = new Set<string>();
    for (const { facts } of base.factsOf(g))
      for (const o of facts.orders ?? []) {
        if (o.refundedInFull || seen.has(o.id)) continue;
        seen.add(o.id);
        for (const l of o.lines) if (l.sku && l.qty > 0) buyer.push(n), day.push(o.day), sku.push(ids.id(l.sku));
      }
  }
  const model = coPurchaseModel({ length: buyer.length, buyer: Int32Array.from(buyer), day: Int32Array.from(day), sku: Int32Array.from(sku) }, ids.skus, DEFAULT_CO_PURCHASE);
  return { ids, model, lines: buyer.length };
}
