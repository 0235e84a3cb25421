import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { docId } from '../../shared/doc-ids.ts';
import { factRefusal, type FactEvidence } from '../../shared/fact-checks.ts';
import { priceCheckout, type CheckoutInput } from '../../shared/loyalty/checkout.ts';
import { earnReceipt, lineRatePct } from '../../shared/loyalty/earning.ts';
import { earnedPoints } from '../../shared/loyalty/points.ts';
import type { Coupon } from '../../shared/schemas/coupon.ts';
import type { MemberDoc } from '../../shared/schemas/documents.ts';
import { DEFAULT_RULES, LoyaltyRulesSchema, type EarnRule, type Earning, type LoyaltyRules } from '../../shared/schemas/rules.ts';
import { storeDocRefusal } from '../../shared/store-facts.ts';
import { basketArb, CATEGORIES, coupon, MEMBER, orderDoc, SKUS, STORE, termsArb } from './fixtures.ts';

/*
 * Earning rules (decision 017): exclusions and rates by category, brand, SKU and store, member day
 * and birthday month, in one order with the tier multiplier and the ceiling. The property that
 * matters: whatever the receipt and the rules, the points are never negative, never above the
 * ceiling, and what the till gives is what the hub gives when it reprices the order.
 */

const L1 = DEFAULT_RULES.tiers[0]!;
const GOLD = DEFAULT_RULES.tiers[2]!;
const NOV = '2026-11';
const with_ = (earning: Partial<Earning>, over: Partial<LoyaltyRules> = {}): LoyaltyRules => LoyaltyRulesSchema.parse({ ...DEFAULT_RULES, earning, ...over });
const rule = (r: Partial<EarnRule> & { ratePct: number }): EarnRule => ({ name: 'r', ...r });

describe('earning without an earning section', () => {
  it('is exactly the old rule: floor(payable × rate × tier / 10^4)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000_000 }), fc.constantFrom(...DEFAULT_RULES.tiers), (cents, tier) => {
        const e = earnReceipt(DEFAULT_RULES, [{ sku: 'A', payableCents: cents }], { storeId: STORE, day: '2026-11-08', tier });
        const old = earnedPoints(DEFAULT_RULES, tier, cents);
        expect(e.points).toBe(Math.min(old, DEFAULT_RULES.maxPointsPerReceipt));
      }),
    );
  });

  it('an empty earning section prices as none (rates 100, no multipliers)', () => {
    const rules = with_({});
    for (const cents of [0, 1, 99, 12_345, 9_999_999]) {
      expect(earnReceipt(rules, [{ sku: 'A', payableCents: cents }], { storeId: STORE, day: '2026-11-08', tier: GOLD })).toEqual(earnReceipt(DEFAULT_RULES, [{ sku: 'A', payableCents: cents }], { storeId: STORE, day: '2026-11-08', tier: GOLD }));
    }
  });
});

describe('line rates', () => {
  const earning = with_({
    lineRules: [
      rule({ name: 'tobacco', categoryPrefix: 'tobacco', ratePct: 0 }),
      rule({ name: 'gift cards', skus: ['GC-100'], ratePct: 0 }),
      rule({ name: 'snacks double in November', categoryPrefix: 'food/snacks', from: `${NOV}-01`, to: `${NOV}-30`, ratePct: 200 }),
      rule({ name: 'S009 opening week', stores: ['S009'], from: '2026-11-20', to: '2026-11-26', ratePct: 300 }),
      rule({ name: 'Oishi', brand: 'Oishi', ratePct: 150 }),
    ],
  }).earning;

  it('a category prefix matches the path and its children, not a longer word', () => {
    expect(lineRatePct(earning, { sku: 'X', category: 'tobacco' }, STORE, '2026-11-08')).toBe(0);
    expect(lineRatePct(earning, { sku: 'X', category: 'tobacco/cigars' }, STORE, '2026-11-08')).toBe(0);
    expect(lineRatePct(earning, { sku: 'X', category: 'tobaccoless' }, STORE, '2026-11-08')).toBe(100);
    expect(lineRatePct(earning, { sku: 'X' }, STORE, '2026-11-08')).toBe(100);
  });

  it('date ranges are judged on the store-local day, both ends included', () => {
    expect(lineRatePct(earning, { sku: 'X', category: 'food/snacks/chips' }, STORE, '2026-10-31')).toBe(100);
    expect(lineRatePct(earning, { sku: 'X', category: 'food/snacks/chips' }, STORE, '2026-11-01')).toBe(200);
    expect(lineRatePct(earning, { sku: 'X', category: 'food/snacks/chips' }, STORE, '2026-11-30')).toBe(200);
    expect(lineRatePct(earning, { sku: 'X', category: 'food/snacks/chips' }, STORE, '2026-12-01')).toBe(100);
  });

  it('an exclusion wins over every rate; otherwise the highest rate, never a product of rates', () => {
    expect(lineRatePct(earning, { sku: 'GC-100', category: 'food/snacks' }, 'S009', '2026-11-21')).toBe(0);
    expect(lineRatePct(earning, { sku: 'X', category: 'food/snacks', brand: 'Oishi' }, STORE, '2026-11-21')).toBe(200);
    expect(lineRatePct(earning, { sku: 'X', category: 'food/snacks', brand: 'Oishi' }, 'S009', '2026-11-21')).toBe(300);
    expect(lineRatePct(earning, { sku: 'X', brand: 'Oishi' }, STORE, '2026-12-21')).toBe(150);
  });

  it('a receipt: tobacco earns nothing, snacks double, the rest as usual, at the tier, rounded down once', () => {
    const rules = with_({ lineRules: earning!.lineRules });
    const lines = [
      { sku: 'CIG', category: 'tobacco', payableCents: 5_000 },
      { sku: 'CHIPS', category: 'food/snacks', payableCents: 1_050 },
      { sku: 'MILK', category: 'food/dairy', payableCents: 999 },
    ];
    // (1050 × 200 + 999 × 100) × 1 point per RMB × 150% / (100 cents × 100% × 100%) = 46.485 → 46
    expect(earnReceipt(rules, lines, { storeId: STORE, day: '2026-11-08', tier: GOLD })).toEqual({ points: 46 });
    expect(earnReceipt(rules, lines, { storeId: STORE, day: '2026-12-08', tier: GOLD })).toEqual({ points: Math.floor(((1050 + 999) * 150) / 10_000) });
  });
});

describe('member day and birthday month', () => {
  const rules = with_({ memberDay: { daysOfMonth: [8], multiplierPct: 200 }, birthdayMonth: { multiplierPct: 150 } });
  const line = [{ sku: 'A', payableCents: 10_000 }];

  it('2× on the 8th, 1.5× in the birthday month, both multiply with the tier', () => {
    expect(earnReceipt(rules, line, { storeId: STORE, day: '2026-11-07', tier: L1 }).points).toBe(100);
    expect(earnReceipt(rules, line, { storeId: STORE, day: '2026-11-08', tier: L1 }).points).toBe(200);
    expect(earnReceipt(rules, line, { storeId: STORE, day: '2026-11-07', tier: L1, birthMonth: 11 })).toEqual({ points: 150, birthdayMonth: true });
    expect(earnReceipt(rules, line, { storeId: STORE, day: '2026-11-08', tier: GOLD, birthMonth: 11 })).toEqual({ points: 450, birthdayMonth: true });
    expect(earnReceipt(rules, line, { storeId: STORE, day: '2026-12-08', tier: L1, birthMonth: 11 })).toEqual({ points: 200 });
  });

  it('the ceiling comes last and says what the receipt would have earned', () => {
    const capped = with_({ memberDay: { daysOfMonth: [8], multiplierPct: 1000 } }, { maxPointsPerReceipt: 500 });
    expect(earnReceipt(capped, line, { storeId: STORE, day: '2026-11-08', tier: GOLD })).toEqual({ points: 500, uncapped: 1500 });
  });
});

describe('the arithmetic', () => {
  // One rule per line (by SKU) gives each line the rate drawn for it; the reference is step 4 in BigInt.
  const reference = (lines: { payableCents: number; ratePct: number }[], factors: number[]) => {
    let n = lines.reduce((s, l) => s + BigInt(l.payableCents) * BigInt(l.ratePct), 0n);
    for (const f of factors) n *= BigInt(f);
    return n / 10_000_000_000n;
  };
  const big = { min: 0, max: 10_000_000_000 };

  it('is floor(Σ payable × rate × pointsPerYuan × tier × member day × birthday / 100⁵) exactly, below 2⁵³ and above it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ payableCents: fc.oneof(fc.integer({ min: 0, max: 100_000 }), fc.integer(big)), ratePct: fc.integer({ min: 0, max: 1000 }) }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 100, max: 1000 }),
        fc.integer({ min: 100, max: 1000 }),
        (lines, pointsPerYuan, tierPct, memberDayPct, birthdayPct) => {
          const rules = LoyaltyRulesSchema.parse({
            ...DEFAULT_RULES,
            earn: { pointsPerYuan },
            maxPointsPerReceipt: 1_000_000_000_000,
            earning: { lineRules: lines.map((l, i) => rule({ skus: [`S-${i}`], ratePct: l.ratePct })), memberDay: { daysOfMonth: [8], multiplierPct: memberDayPct }, birthdayMonth: { multiplierPct: birthdayPct } },
          });
          const tier = { ...L1, multiplierPct: tierPct };
          const e = earnReceipt(rules, lines.map((l, i) => ({ sku: `S-${i}`, payableCents: l.payableCents })), { storeId: STORE, day: '2026-11-08', tier, birthMonth: 11 });
          // A rate of 0 is an exclusion: the line adds nothing, as its product with 0 does.
          const exact = reference(lines, [pointsPerYuan, tierPct, memberDayPct, birthdayPct]);
          const limit = 1_000_000_000_000n;
          expect(e.points).toBe(Number(exact < limit ? exact : limit));
        },
      ),
      { numRuns: 500 },
    );
  });
});

// Rules with every kind of section, drawn at random.
const dayArb = fc.integer({ min: 1, max: 28 }).map((d) => `2026-11-${String(d).padStart(2, '0')}`);
const lineRuleArb: fc.Arbitrary<EarnRule> = fc
  .record(
    {
      categoryPrefix: fc.constantFrom(...CATEGORIES),
      brand: fc.constantFrom('B1', 'B2'),
      skus: fc.subarray<string>([...SKUS], { minLength: 1 }),
      stores: fc.constantFrom<string[]>([STORE], ['S002']),
      from: dayArb,
      ratePct: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1000 })),
    },
    { requiredKeys: ['ratePct'] },
  )
  .map((r) => ({ name: 'random', ...r }));
const rulesArb: fc.Arbitrary<LoyaltyRules> = fc
  .record({
    lineRules: fc.array(lineRuleArb, { maxLength: 5 }),
    memberDay: fc.option(fc.record({ daysOfMonth: fc.array(fc.integer({ min: 1, max: 28 }), { minLength: 1, maxLength: 4 }), multiplierPct: fc.integer({ min: 100, max: 1000 }) }), { nil: undefined }),
    birthdayMonth: fc.option(fc.record({ multiplierPct: fc.integer({ min: 100, max: 1000 }) }), { nil: undefined }),
    ceiling: fc.integer({ min: 1, max: 100_000 }),
    stacking: fc.option(fc.record({ order: fc.shuffledSubarray(['gift', 'cash', 'percent'] as const), giftAddsLine: fc.boolean() }), { nil: undefined }),
  })
  .map(({ lineRules, memberDay, birthdayMonth, ceiling, stacking }) =>
    LoyaltyRulesSchema.parse({
      ...DEFAULT_RULES,
      version: 7,
      maxPointsPerReceipt: ceiling,
      earning: { lineRules, ...(memberDay ? { memberDay } : {}), ...(birthdayMonth ? { birthdayMonth } : {}) },
      ...(stacking ? { couponStacking: stacking } : {}),
    }),
  );
const brandedBasketArb = fc.tuple(basketArb, fc.array(fc.option(fc.constantFrom('B1', 'B2'), { nil: undefined }), { minLength: 8, maxLength: 8 })).map(([lines, brands]) => lines.map((l, i) => (brands[i] ? { ...l, brand: brands[i] } : l)));

const memberDoc = (birthday: string | undefined): MemberDoc => ({ _id: docId.member(MEMBER), type: 'member', id: MEMBER, phone: '+8613800138000', memberCode: '1', homeStoreId: STORE, registeredAt: '2026-01-01T00:00:00.000Z', registeredStoreId: STORE, provisional: false, ...(birthday ? { birthday } : {}) });

function evidence(rules: LoyaltyRules, coupons: Coupon[], member: MemberDoc, product?: FactEvidence['product']): FactEvidence {
  const byCode = new Map(coupons.map((c) => [c.code, c]));
  return {
    storeId: STORE,
    rules: [DEFAULT_RULES, rules],
    canonical: (id) => id,
    knownHere: (id) => id === MEMBER,
    member: (id) => (id === MEMBER ? member : undefined),
    fact: () => undefined,
    coupon: (code) => byCode.get(code),
    spend: () => [{ day: '2026-11-01', cents: 10_000_000 }],
    ...(product ? { product } : {}),
  };
}

describe('the till and the hub', () => {
  it('for any receipt and rules: points never negative, never above the ceiling, and the hub reprices the order to the same points', () => {
    fc.assert(
      fc.property(brandedBasketArb, fc.array(termsArb, { maxLength: 3 }), rulesArb, dayArb, fc.option(fc.constantFrom('1990-11-02', '1985-03-09'), { nil: undefined }), fc.constantFrom(0, 2), (lines, terms, rules, day, birthday, tierIndex) => {
        const coupons = terms.map((t, i) => coupon(t, { code: `CPN-000${i}`, validFrom: '2026-01-01T00:00:00.000Z', validTo: '2027-01-01T00:00:00.000Z' }));
        const at = `${day}T04:00:00.000Z`;
        const tier = rules.tiers[tierIndex]!;
        const input: CheckoutInput = { lines, coupons: coupons.map((c) => ({ code: c.code, coupon: c, redeemed: false })), pointsToRedeem: 0, member: { id: MEMBER, tier, balance: 0, birthMonth: birthday === undefined ? undefined : Number(birthday.slice(5, 7)) }, storeId: STORE, now: at, day, rules };
        const p = priceCheckout(input);
        if (!p.ok) return;
        expect(p.value.pointsEarned).toBeGreaterThanOrEqual(0);
        expect(p.value.pointsEarned).toBeLessThanOrEqual(rules.maxPointsPerReceipt);
        const order = orderDoc(p.value, {
          at,
          day,
          tier: tier.code,
          rulesVersion: rules.version,
          ...(p.value.pointsUncapped !== undefined ? { pointsUncapped: p.value.pointsUncapped } : {}),
          ...(p.value.birthdayMonth ? { birthdayMonth: true as const } : {}),
        });
        expect(storeDocRefusal(order, STORE)).toBeUndefined();
        // The master agrees with what the lines say: the hub accepts.
        const master = (sku: string) => {
          const had = order.lines.filter((x) => x.sku === sku && x.giftOf === undefined).map((l) => ({ category: l.category, brand: l.brand }));
          return had.length > 0 ? had : undefined;
        };
        expect(factRefusal(order, evidence(rules, coupons, memberDoc(birthday), master))).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });

  const snacks = with_({ lineRules: [rule({ name: 'snacks double', categoryPrefix: 'food/snacks', ratePct: 200 }), rule({ name: 'tobacco', categoryPrefix: 'tobacco', ratePct: 0 })] }, { version: 7 });
  const priced = (rules: LoyaltyRules, lines: CheckoutInput['lines'], birthday?: string, day = '2026-11-10') => {
    const p = priceCheckout({ lines, coupons: [], pointsToRedeem: 0, member: { id: MEMBER, tier: L1, balance: 0, birthMonth: birthday === undefined ? undefined : Number(birthday.slice(5, 7)) }, storeId: STORE, now: `${day}T04:00:00.000Z`, day, rules });
    if (!p.ok) throw new Error(p.refusal.message);
    return orderDoc(p.value, { at: `${day}T04:00:00.000Z`, day, tier: 'L1', rulesVersion: rules.version, ...(p.value.birthdayMonth ? { birthdayMonth: true as const } : {}) });
  };

  it('a line claiming a better category than the master gives its SKU is refused; an unknown SKU is taken as it says', () => {
    const master = (sku: string) => (sku === 'CIG-1' ? [{ category: 'tobacco' }] : undefined);
    const forged = priced(snacks, [{ sku: 'CIG-1', category: 'food/snacks', qty: 1, unitPrice: 10_000 }]);
    expect(forged.pointsEarned).toBe(200);
    expect(factRefusal(forged, evidence(snacks, [], memberDoc(undefined), master))).toMatch(/line 1 \(SKU CIG-1\) claims category food\/snacks/);
    const honest = priced(snacks, [{ sku: 'CIG-1', category: 'tobacco', qty: 1, unitPrice: 10_000 }]);
    expect(honest.pointsEarned).toBe(0);
    expect(factRefusal(honest, evidence(snacks, [], memberDoc(undefined), master))).toBeUndefined();
    const unknown = priced(snacks, [{ sku: 'NEW-1', category: 'food/snacks', qty: 1, unitPrice: 10_000 }]);
    expect(factRefusal(unknown, evidence(snacks, [], memberDoc(undefined), master))).toBeUndefined();
  });

  it('a category the master had before still counts (a store offline prices with the master it holds)', () => {
    const master = (sku: string) => (sku === 'CHIP-1' ? [{ category: 'food/other' }, { category: 'food/snacks' }] : undefined);
    const order = priced(snacks, [{ sku: 'CHIP-1', category: 'food/snacks', qty: 1, unitPrice: 10_000 }]);
    expect(factRefusal(order, evidence(snacks, [], memberDoc(undefined), master))).toBeUndefined();
  });

  it('a birthday-month receipt is refused when the hub knows another birthday', () => {
    const bday = with_({ birthdayMonth: { multiplierPct: 200 } }, { version: 7 });
    const order = priced(bday, [{ sku: 'A', qty: 1, unitPrice: 10_000 }], '1990-11-02');
    expect(order.birthdayMonth).toBe(true);
    expect(order.pointsEarned).toBe(200);
    expect(factRefusal(order, evidence(bday, [], memberDoc('1990-11-02')))).toBeUndefined();
    expect(factRefusal(order, evidence(bday, [], memberDoc('1990-03-02')))).toMatch(/birthday month is not 2026-11/);
    expect(factRefusal(order, evidence(bday, [], memberDoc(undefined)))).toMatch(/birthday month/);
    // Claiming the points without the flag does not reprice so.
    const { birthdayMonth: _, ...unflagged } = order;
    expect(factRefusal(unflagged, evidence(bday, [], memberDoc('1990-11-02')))).toMatch(/pointsEarned differs/);
  });

  it('a zero-price gift line no coupon put there, or one dropped, is refused', () => {
    const gifts = with_({}, { version: 7, couponStacking: { giftAddsLine: true } });
    const cup = coupon({ kind: 'gift', giftSku: 'CUP-001', minSpendCents: 0 }, { code: 'GIFT-0001', validFrom: '2026-01-01T00:00:00.000Z', validTo: '2027-01-01T00:00:00.000Z' });
    const p = priceCheckout({ lines: [{ sku: 'TEA-01', qty: 1, unitPrice: 1000 }], coupons: [{ code: cup.code, coupon: cup, redeemed: false }], pointsToRedeem: 0, member: { id: MEMBER, tier: L1, balance: 0 }, storeId: STORE, now: '2026-11-10T04:00:00.000Z', day: '2026-11-10', rules: gifts });
    if (!p.ok) throw new Error(p.refusal.message);
    const order = orderDoc(p.value, { at: '2026-11-10T04:00:00.000Z', day: '2026-11-10', tier: 'L1', rulesVersion: 7 });
    expect(order.lines.map((l) => l.giftOf ?? null)).toEqual([null, 'GIFT-0001']);
    expect(factRefusal(order, evidence(gifts, [cup], memberDoc(undefined)))).toBeUndefined();
    const extra = { ...order, lines: [...order.lines, { sku: 'WINE-9', giftOf: 'GIFT-0001', qty: 1, unitPriceCents: 0, totalCents: 0, discountCents: 0, payableCents: 0 }] };
    expect(factRefusal(extra, evidence(gifts, [cup], memberDoc(undefined)))).toMatch(/lines differs/);
    const dropped = { ...order, lines: order.lines.slice(0, 1) };
    expect(factRefusal(dropped, evidence(gifts, [cup], memberDoc(undefined)))).toMatch(/lines differs/);
  });

  it('a member day claimed on a day that is not the receipt time\'s is refused', () => {
    const md = with_({ memberDay: { daysOfMonth: [8], multiplierPct: 200 } }, { version: 7 });
    const order = priced(md, [{ sku: 'A', qty: 1, unitPrice: 10_000 }], undefined, '2026-11-08');
    expect(factRefusal(order, evidence(md, [], memberDoc(undefined)))).toBeUndefined();
    expect(factRefusal({ ...order, at: '2026-11-12T04:00:00.000Z' }, evidence(md, [], memberDoc(undefined)))).toMatch(/is not the store-local day/);
  });
});
