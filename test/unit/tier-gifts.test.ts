import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { docId } from '../../shared/doc-ids.ts';
import { factRefusal, type FactEvidence } from '../../shared/fact-checks.ts';
import { giftCouponCode } from '../../shared/ids.ts';
import { addDays } from '../../shared/local-time.ts';
import { giftsDue, tierPerks, type Gift } from '../../shared/loyalty/tier-gifts.ts';
import { MemberIndex } from '../../shared/member-index.ts';
import { DEFAULT_TEMPLATES, type CouponTemplate } from '../../shared/schemas/coupon.ts';
import type { AnyDoc, CouponDoc, LedgerDoc, MemberDoc, OrderDoc } from '../../shared/schemas/documents.ts';
import { DEFAULT_RULES, LoyaltyRulesSchema, type LoyaltyRules } from '../../shared/schemas/rules.ts';
import { storeDocRefusal } from '../../shared/store-facts.ts';

/*
 * Tier gifts (decision 019): issued once, whichever side sees the event, because each gift's
 * document id is derived from member + cause. Modelled purely: two stores that cannot see each
 * other sell to one member, each issuing what its own facts make due, then replicate.
 */

const MEMBER = 'M0000001';
const RULES: LoyaltyRules = LoyaltyRulesSchema.parse({
  ...DEFAULT_RULES,
  version: 2,
  tierBenefits: {
    L2: { birthdayGift: { points: 100 } },
    L3: { upgradeGift: ['CASH20', 'PCT10'], birthdayGift: { points: 300 }, perks: [{ en: 'Free parking', 'zh-CN': '免费停车' }] },
    L4: { upgradeGift: ['GIFT-CUP'], birthdayGift: { templateId: 'CASH20' } },
  },
});
const TEMPLATES = new Map(DEFAULT_TEMPLATES.map((t) => [t.id, t]));
const memberDoc = (birthday: string | undefined): MemberDoc => ({
  _id: docId.member(MEMBER),
  type: 'member',
  id: MEMBER,
  phone: '+8613800138000',
  memberCode: '100000000000000001',
  homeStoreId: 'S001',
  registeredAt: '2025-01-01T02:00:00.000Z',
  registeredStoreId: 'S001',
  provisional: false,
  ...(birthday ? { birthday } : {}),
});

function order(storeId: string, n: number, day: string, cents: number): OrderDoc {
  return {
    _id: docId.order(storeId, 'T1', `R${n}`),
    type: 'order',
    storeId,
    terminalId: 'T1',
    receiptNo: `R${n}`,
    memberId: MEMBER,
    at: `${day}T03:00:00.000Z`,
    day,
    lines: [{ sku: 'X', qty: 1, unitPriceCents: cents, totalCents: cents, discountCents: 0, payableCents: cents }],
    totalCents: cents,
    couponDiscountCents: 0,
    pointsCashCents: 0,
    payableCents: cents,
    pointsEarned: 0,
    pointsRedeemed: 0,
    coupons: [],
    requestHash: 'h',
  };
}

/** A store as the gift logic sees it: an index of what it holds, issuing at each receipt as the edge does. */
function store(id: string, birthday: string | undefined) {
  const index = new MemberIndex();
  index.apply({ _id: 'rules:loyalty', type: 'rules', rules: RULES });
  for (const t of DEFAULT_TEMPLATES) index.apply({ _id: docId.template(t.id), type: 'tpl', template: t });
  index.apply(memberDoc(birthday));
  const written: AnyDoc[] = [];
  return {
    id,
    index,
    written,
    sell(n: number, day: string, cents: number): Gift[] {
      const o = order(id, n, day, cents);
      index.apply(o);
      written.push(o);
      const gifts = giftsDue({
        rules: index.rules,
        template: (t) => index.templates.get(t),
        memberId: MEMBER,
        tier: index.tier(MEMBER, day),
        birthMonth: index.members.get(MEMBER)?.birthMonth,
        today: day,
        now: new Date(`${day}T03:00:01.000Z`),
        storeId: id,
        held: (docid) => (docid.startsWith('coupon:') ? index.holdsCoupon(MEMBER, docid.slice('coupon:'.length)) : index.hasLedgerEntry(MEMBER, docid)),
      });
      for (const g of gifts) {
        index.apply(g.doc);
        written.push(g.doc);
      }
      return gifts;
    },
  };
}

const giftIdOf = (d: AnyDoc) => (d.type === 'coupon' ? docId.coupon(d.code) : d._id);
const isGift = (d: AnyDoc) => d.type === 'coupon' || (d.type === 'pts' && d.reason === 'birthday');

describe('gifts issued exactly once across two stores that saw the event offline', () => {
  const sale = fc.record({ at: fc.constantFrom(0, 1), dayOffset: fc.integer({ min: 0, max: 500 }), cents: fc.integer({ min: 1, max: 400_000 }) });

  it('every gift id is issued at most once per store, replication leaves one per cause, and the balance counts it once', () => {
    fc.assert(
      fc.property(fc.array(sale, { minLength: 1, maxLength: 25 }), fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }), fc.boolean(), (sales, month, firstWins) => {
        const birthday = month === undefined ? undefined : `1990-${String(month).padStart(2, '0')}-15`;
        const stores = [store('S001', birthday), store('S002', birthday)];
        const sorted = [...sales].sort((a, b) => a.dayOffset - b.dayOffset);
        sorted.forEach((s, n) => stores[s.at]!.sell(n, addDays('2025-01-01', s.dayOffset), s.cents));

        // Neither store issued one gift twice.
        for (const s of stores) {
          const ids = s.written.filter(isGift).map(giftIdOf);
          expect(new Set(ids).size).toBe(ids.length);
        }
        // Replication: each store gets the other's documents; a gift id both wrote is one document
        // (which copy stands is the hub's choice: either way it is counted once).
        const [a, b] = stores as [ReturnType<typeof store>, ReturnType<typeof store>];
        const union = new Map<string, AnyDoc>();
        for (const d of firstWins ? [...a.written, ...b.written] : [...b.written, ...a.written]) if (!union.has(giftIdOf(d))) union.set(giftIdOf(d), d);
        const merged = new MemberIndex();
        merged.apply({ _id: 'rules:loyalty', type: 'rules', rules: RULES });
        merged.apply(memberDoc(birthday));
        for (const d of union.values()) merged.apply(d);

        // One gift per cause and template, whoever issued it.
        const gifts = [...union.values()].filter(isGift);
        const causes = gifts.map((d) => (d.type === 'coupon' ? `${d.templateId}` : d._id));
        const birthdayPoints = gifts.filter((d): d is LedgerDoc => d.type === 'pts');
        const years = birthdayPoints.map((d) => d._id.split(':').pop());
        expect(new Set(years).size).toBe(years.length);
        expect(merged.points(MEMBER, '2026-12-31')).toBe(birthdayPoints.reduce((s, d) => s + d.delta, 0));
        const upgradeCodes = gifts.filter((d): d is CouponDoc => d.type === 'coupon').map((c) => c.code);
        expect(new Set(upgradeCodes).size).toBe(upgradeCodes.length);
        expect(causes.length).toBe(gifts.length);

        // What the merged facts reach, the merged gifts cover: Gold's upgrade gift is there once the
        // member held Gold at either store.
        const heldGold = sorted.some((s) => s.cents >= 150_000) || gifts.some((d) => d.type === 'coupon' && d.templateId === 'PCT10');
        const goldCodes = ['CASH20', 'PCT10'].map((t) => giftCouponCode(MEMBER, 'tier:L3', t));
        if (heldGold) for (const c of goldCodes) expect(union.has(docId.coupon(c))).toBe(true);
        // The same again at either store, after replication: nothing more is due.
        for (const s of stores) {
          for (const d of union.values()) s.index.apply(d);
          const last = sorted[sorted.length - 1]!;
          const more = s.sell(1000 + s.written.length, addDays('2025-01-01', last.dayOffset), 1);
          for (const g of more) expect(union.has(giftIdOf(g.doc))).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a birthday gift the two stores issued offline on different days is one entry of one year', () => {
    const [a, b] = [store('S001', '1990-05-20'), store('S002', '1990-05-20')];
    const ga = a.sell(1, '2026-05-03', 1_000);
    const gb = b.sell(2, '2026-05-28', 1_000);
    expect(ga.map((g) => g.doc._id)).toEqual(['pts:M0000001:birthday:2026']);
    expect(gb.map((g) => g.doc._id)).toEqual(['pts:M0000001:birthday:2026']);
    for (const d of b.written) a.index.apply(d);
    expect(a.index.points(MEMBER, '2026-06-01')).toBe(100);
    expect(a.sell(3, '2026-05-30', 1_000)).toEqual([]);
    expect(a.sell(4, '2027-05-01', 1_000).map((g) => g.doc._id)).toEqual(['pts:M0000001:birthday:2027']);
  });

  it('an upgrade gift once per tier, ever: not again when the member falls and climbs back', () => {
    const s = store('S001', undefined);
    expect(s.sell(1, '2025-02-01', 160_000).map((g) => g.cause)).toEqual(['tier:L3', 'tier:L3']);
    expect(s.index.tier(MEMBER, '2026-03-01').code).toBe('L1');
    expect(s.sell(2, '2026-03-01', 160_000)).toEqual([]);
    expect(s.sell(3, '2026-03-02', 600_000).map((g) => g.doc.type === 'coupon' && g.doc.templateId)).toEqual(['GIFT-CUP']);
  });

  it('the perks a tier lists are its benefits; no tier benefits in the rules: no gifts, no perks', () => {
    expect(tierPerks(RULES, 'L3')).toEqual([{ en: 'Free parking', 'zh-CN': '免费停车' }]);
    expect(tierPerks(RULES, 'constructor')).toEqual([]);
    expect(tierPerks(DEFAULT_RULES, 'L3')).toEqual([]);
    const gifts = giftsDue({ rules: DEFAULT_RULES, template: (id) => TEMPLATES.get(id), memberId: MEMBER, tier: DEFAULT_RULES.tiers[3]!, birthMonth: 5, today: '2026-05-01', now: new Date(), storeId: 'S001', held: () => false });
    expect(gifts).toEqual([]);
  });
});

describe('the hub judges a store-issued gift (decision 008)', () => {
  const member = memberDoc('1990-05-20');
  const templates = (id: string): CouponTemplate[] => (TEMPLATES.has(id) ? [TEMPLATES.get(id)!] : []);
  const evidence = (spend: { day: string; cents: number }[]): FactEvidence => ({
    storeId: 'S001',
    rules: [DEFAULT_RULES, RULES],
    canonical: (id) => id,
    knownHere: (id) => id === MEMBER,
    member: (id) => (id === MEMBER ? member : undefined),
    fact: () => undefined,
    coupon: () => undefined,
    spend: () => spend,
    templates,
  });
  const issued = (tierCode: string, day: string, spendCents: number) => {
    const s = store('S001', '1990-05-20');
    return s.sell(1, day, spendCents).filter((g) => g.cause === `tier:${tierCode}` || g.cause.startsWith('birthday'));
  };

  it('accepts what a till issues: upgrade coupons, birthday points, a birthday coupon', () => {
    for (const g of [...issued('L3', '2026-03-02', 160_000), ...issued('L4', '2026-05-02', 800_000)]) {
      expect(storeDocRefusal(g.doc, 'S001')).toBeUndefined();
      expect(factRefusal(g.doc, evidence([{ day: g.doc.type === 'pts' ? g.doc.day : g.doc.issuedAt.slice(0, 10), cents: 800_000 }]))).toBeUndefined();
    }
  });

  it('quarantines forged ones: a tier not reached, a made-up code, other terms, the wrong month, another amount', () => {
    const [gold] = issued('L3', '2026-03-02', 160_000) as [Gift];
    const coupon = gold.doc as CouponDoc;
    expect(factRefusal(coupon, evidence([{ day: '2026-03-02', cents: 10_000 }]))).toMatch(/do not reach tier L3/);
    const rich = evidence([{ day: '2026-03-02', cents: 160_000 }]);
    const madeUp = { ...coupon, _id: 'coupon:AAAA-BBBB-CCCC', code: 'AAAA-BBBB-CCCC' };
    expect(storeDocRefusal(madeUp, 'S001')).toBeUndefined(); // the document alone is well-formed
    expect(factRefusal(madeUp, rich)).toMatch(/no tier gift/);
    expect(factRefusal({ ...coupon, terms: { kind: 'cash', valueCents: 200_000, minSpendCents: 0 } }, rich)).toMatch(/not what template/);
    expect(factRefusal({ ...coupon, validTo: '2030-01-01T00:00:00.000Z' }, rich)).toMatch(/not what template/);

    const points = (over: Partial<LedgerDoc>): LedgerDoc => ({ _id: 'pts:M0000001:birthday:2026', type: 'pts', memberId: MEMBER, delta: 100, reason: 'birthday', ref: docId.member(MEMBER), storeId: 'S001', at: '2026-05-02T03:00:00.000Z', day: '2026-05-02', ...over });
    expect(factRefusal(points({}), evidence([{ day: '2026-04-01', cents: 500 }]))).toBeUndefined();
    expect(factRefusal(points({ delta: 100_000 }), rich)).toMatch(/no rules version gives a birthday gift of 100000/);
    expect(factRefusal(points({ day: '2026-03-02', at: '2026-03-02T03:00:00.000Z', _id: 'pts:M0000001:birthday:2026' }), rich)).toMatch(/not .*birthday month/);
    expect(factRefusal(points({ delta: 300 }), evidence([{ day: '2026-04-01', cents: 500 }]))).toMatch(/do not reach tier L3/);
    expect(storeDocRefusal(points({ _id: 'pts:M0000001:birthday:2025' }), 'S001')).toMatch(/birthday gift is pts/);
    expect(storeDocRefusal(points({ delta: -5 }), 'S001')).toMatch(/must be positive/);
  });
});
