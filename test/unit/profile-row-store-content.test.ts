import { describe, expect, it } from 'vitest';
import { ProfileBase, type MemberDirectory } from '../../hub/profile/base.ts';
import { RfmAndStages } from '../../hub/profile/rfm-stages.ts';
import { contentHash, storeProfileContent } from '../../hub/profile/store-profiles.ts';
import { dayNumber, type SourceFact } from '../../shared/profile/source-facts.ts';

/*
 * Decision 026: the nightly pass that writes the stores' profile documents reads each member's row
 * from the columns the recompute just wrote, instead of computing every member a second time. The
 * document (and so its hash, which decides whether a store is written to) must be the one a fresh
 * computation gives.
 */

const DAY = '2026-11-30';
const TODAY = dayNumber(DAY);
const MEMBERS = Array.from({ length: 40 }, (_, i) => `M${i}`);
const directory: MemberDirectory = {
  goldenOf: (s) => `G-${s.slice(4)}`,
  member: (g) => (MEMBERS.includes(g.slice(2)) ? { sources: [`pos:${g.slice(2)}`], attributes: { isMember: true, registeredDay: '2025-01-01', homeStore: 'S1' } } : undefined),
  goldenIds: () => MEMBERS.map((m) => `G-${m}`),
};
const SKUS = ['BEANS', 'GRINDER', 'TEA', 'CUP', 'FILTER', 'KETTLE'];
const CATS = ['coffee/beans', 'coffee/tools', 'tea', 'cups'];

function facts(): SourceFact[] {
  const out: SourceFact[] = [];
  MEMBERS.forEach((m, i) => {
    for (let k = 0; k < i % 7; k++) {
      const lines = [0, 1, 2].slice(0, 1 + ((i + k) % 3)).map((j) => ({ sku: SKUS[(i + k + j) % SKUS.length]!, category: CATS[(i * k + j) % CATS.length]!, brand: '', qty: 1 + j, cents: 1000 * (1 + ((i + j) % 5)), promo: j === 1 }));
      const paid = lines.reduce((s, l) => s + l.cents, 0);
      out.push({ source: `pos:${m}`, kind: 'order', fact: { id: `order:S1:T1:${m}-${k}`, day: TODAY - ((i * 37 + k * 53) % 500), channel: 0, market: '', store: `S${k % 3}`, listCents: paid, discountCents: 0, paidCents: paid, items: lines.reduce((s, l) => s + l.qty, 0), lines, refundedInFull: false } });
    }
  });
  return out;
}

describe('store profile documents from the columns', () => {
  it('equal those of a fresh computation, for every member', () => {
    const ext = new RfmAndStages();
    const base = new ProfileBase(directory, ext);
    base.load(facts());
    base.computeAll(DAY);
    let recommended = 0;
    for (const m of MEMBERS) {
      const g = `G-${m}`;
      const fresh = base.profileOn(g, DAY)!;
      const row = base.row(g)!;
      const a = storeProfileContent(m, fresh, ext.recommendations(fresh.get('skuScore')));
      const b = storeProfileContent(m, row, ext.recommendations(row.get('skuScore')));
      expect(b).toEqual(a);
      expect(contentHash(b)).toBe(contentHash(a));
      if (b.recommendations.length > 0 && b.stage && b.rfm) recommended++;
    }
    // The comparison covers what the documents carry: stages, RFM and recommendations.
    expect(recommended).toBeGreaterThan(5);
    expect(base.row('G-nobody')).toBeUndefined();
  });
});
