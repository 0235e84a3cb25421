import { describe, expect, it } from 'vitest';
import { ProfileBase, type MemberDirectory } from '../../hub/profile/base.ts';
import { RfmAndStages } from '../../hub/profile/rfm-stages.ts';
import { rfmOf } from '../../shared/profile/rfm.ts';
import { dayNumber, type OrderFact, type SourceFact } from '../../shared/profile/source-facts.ts';

const DAY = '2026-11-30';
const TODAY = dayNumber(DAY);
const MEMBERS = ['A', 'B', 'C', 'D', 'E', 'F'];

const directory: MemberDirectory = {
  goldenOf: (s) => (MEMBERS.includes(s.slice(4)) ? `G-${s.slice(4)}` : undefined),
  member: (g) => (MEMBERS.includes(g.slice(2)) ? { sources: [`pos:${g.slice(2)}`], attributes: { isMember: true, registeredDay: '2025-01-01' } } : undefined),
  goldenIds: () => MEMBERS.map((m) => `G-${m}`),
};

let n = 0;
const order = (member: string, daysAgo: number, sku: string, cents = 10_000): SourceFact => {
  const fact: OrderFact = { id: `order:S1:T1:${++n}`, day: TODAY - daysAgo, channel: 0, market: '', store: 'S1', listCents: cents, discountCents: 0, paidCents: cents, items: 1, lines: [{ sku, category: 'c', brand: 'b', qty: 1, cents, promo: false }], refundedInFull: false };
  return { source: `pos:${member}`, kind: 'order', fact };
};

function build() {
  const ext = new RfmAndStages();
  const base = new ProfileBase(directory, ext);
  // A: often and lately; B: once, lately; C: often, long ago; D: once, 200 days ago; E: 400 days ago; F: never.
  base.load([
    ...[1, 5, 9, 20, 30].flatMap((d) => [order('A', d, 'BEANS'), order('A', d, 'GRINDER')]),
    order('B', 2, 'BEANS'),
    ...[100, 110, 120, 130].map((d) => order('C', d, 'BEANS', 50_000)),
    order('D', 200, 'TEA'),
    order('E', 400, 'TEA'),
  ]);
  base.computeAll(DAY);
  return { ext, base };
}

const row = (base: ProfileBase, m: string) => base.columns.row(base.numberOfMember(`G-${m}`)!);

describe('stage and RFM in the engine', () => {
  it('a full compute scores every row against the cuts it kept, and gives every member a stage', () => {
    const { ext, base } = build();
    expect(ext.boundaries.active).toBe(4);
    for (const m of MEMBERS) {
      const p = row(base, m);
      const want = rfmOf({ daysSinceLastPurchase: p.get('daysSinceLastPurchase') as number | undefined, orders365: p.get('orders365') as number, spend365: p.get('spend365') as number }, ext.boundaries);
      expect(p.get('rfmSegment')).toBe(want?.segment);
      expect(p.get('rfmR')).toBe(want?.r);
      // What the API answers (profileOn) agrees with the columns.
      expect(base.profileOn(`G-${m}`, DAY)!.get('rfmSegment')).toBe(want?.segment);
    }
    expect(['A', 'B', 'C', 'D', 'E', 'F'].map((m) => row(base, m).get('stage'))).toEqual(['active', 'first_purchase', 'at_risk', 'dormant', 'churned', 'member']);
    expect(row(base, 'E').get('rfmSegment')).toBe('lost');
    expect(row(base, 'F').get('rfmSegment')).toBeUndefined();
  });

  it('a new fact between runs: the member re-staged and scored against the kept cuts; a full compute then agrees on the stage', () => {
    const { ext, base } = build();
    const kept = ext.boundaries;
    base.addFacts([order('D', 0, 'GRINDER')], DAY);
    const p = row(base, 'D');
    expect(p.get('stage')).toBe('reactivated');
    expect(ext.boundaries).toBe(kept);
    expect(p.get('rfmSegment')).toBe(rfmOf({ daysSinceLastPurchase: 0, orders365: 2, spend365: 20_000 }, kept)!.segment);
    const stageBefore = MEMBERS.map((m) => row(base, m).get('stage'));
    base.computeAll(DAY);
    expect(MEMBERS.map((m) => row(base, m).get('stage'))).toEqual(stageBefore);
  });

  it('recommends what others bought with the member’s SKUs, and the stage history reads as a timeline', () => {
    const { ext, base } = build();
    // A bought BEANS with GRINDER; B too (minimum support: two buyers).
    base.addFacts([order('B', 1, 'GRINDER')], DAY);
    ext.computedAll(base, DAY);
    expect(ext.recommendations(new Map([['BEANS', 1000]])).map((r) => r.sku)).toEqual(['GRINDER']);
    expect(ext.recommendations(undefined)).toEqual([]);
    expect(ext.stageTimeline('G-C', DAY).map((e) => e.note)).toEqual([
      expect.stringMatching(/^- → member \(registration/),
      expect.stringMatching(/^member → first_purchase \(purchase/),
      expect.stringMatching(/^first_purchase → active/),
      'active → at_risk (90 days without a purchase)',
    ]);
  });
});
