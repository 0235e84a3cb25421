import { z } from 'zod';
import { LIMITS } from '../limits.ts';
import { Category, Cents, LocalDate, Sku, StoreId } from './common.ts';

export const TierRuleSchema = z.strictObject({
  code: z.string().min(1).max(16),
  name: z.string().max(64).optional(),
  /** Rolling spend over `tierWindowMonths` that reaches this tier. */
  minSpendCents: Cents,
  /** Points multiplier in percent: 150 = 1.5 points per RMB. */
  multiplierPct: z.number().int().min(0).max(1000),
});

/** How often an interaction may earn: once ever, once per store-local day, or once per reference. */
export const InteractionRuleSchema = z.strictObject({
  points: z.number().int().positive().max(100000),
  once: z.enum(['ever', 'per_day', 'per_ref']),
  /** Only for `profile_completed`-like kinds: fields the member's profile must have. */
  requiresProfile: z.array(z.enum(['name', 'gender', 'birthday'])).optional(),
});

export const ExpirySchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('relative'), months: z.number().int().positive().max(120) }),
  z.strictObject({ kind: z.literal('end_of_next_year') }),
  z.strictObject({ kind: z.literal('never') }),
]);

/*
 * Earning rules and coupon stacking (issue 13, decision 017). Both sections are optional: a rules
 * document without them prices every receipt exactly as before. shared/loyalty/earning.ts
 * documents the one order in which they combine with the tier multiplier and the ceiling.
 */

/**
 * A rate for some lines: every condition given must hold (none given: every line), on the
 * store-local days from..to (inclusive; absent: open). `ratePct` 0 excludes the lines from
 * earning (tobacco, gift cards); 200 doubles their points.
 */
export const EarnRuleSchema = z
  .strictObject({
    /** A name the console and the hub's refusals show. */
    name: z.string().trim().min(1).max(64),
    /** A category path or its start: `food` matches `food` and `food/snacks`, not `foodstuff`. */
    categoryPrefix: Category.optional(),
    brand: z.string().trim().min(1).max(64).optional(),
    skus: z.array(Sku).min(1).max(500).optional(),
    /** Stores it applies at (a store's opening week); absent: every store. */
    stores: z.array(StoreId).min(1).max(1000).optional(),
    from: LocalDate.optional(),
    to: LocalDate.optional(),
    ratePct: z.number().int().min(0).max(1000),
  })
  .refine((r) => r.from === undefined || r.to === undefined || r.from <= r.to, { message: 'from is not after to', path: ['to'], params: { rule: 'fromBeforeTo' } });
export type EarnRule = z.infer<typeof EarnRuleSchema>;

/** A multiplier in percent that only raises points (100 = as is, 200 = double). */
const BonusPct = z.number().int().min(100).max(1000);

export const EarningSchema = z.strictObject({
  lineRules: z.array(EarnRuleSchema).max(200).default([]),
  /** Member day: these days of each month (store-local) multiply the receipt's points. */
  memberDay: z.strictObject({ daysOfMonth: z.array(z.number().int().min(1).max(31)).min(1).max(31), multiplierPct: BonusPct }).optional(),
  /** The member's birthday month (store-local month of the receipt) multiplies the receipt's points. */
  birthdayMonth: z.strictObject({ multiplierPct: BonusPct }).optional(),
});
export type Earning = z.infer<typeof EarningSchema>;

export const COUPON_KINDS = ['cash', 'percent', 'gift'] as const;
export type CouponKind = (typeof COUPON_KINDS)[number];
const CouponKindSchema = z.enum(COUPON_KINDS);

/** Which coupon kinds combine on one receipt and in which order they apply. Absent: any, in scan order. */
export const CouponStackingSchema = z.strictObject({
  /** Kinds in the order they apply (scan order within a kind; kinds not named after, in scan order). */
  order: z
    .array(CouponKindSchema)
    .max(COUPON_KINDS.length)
    .refine((o) => new Set(o).size === o.length, { message: 'each kind once', params: { rule: 'kindsOnce' } })
    .optional(),
  /** Pairs of kinds that may not be on one receipt together. */
  exclusive: z.array(z.tuple([CouponKindSchema, CouponKindSchema])).max(6).optional(),
  /** At most this many coupons of a kind on one receipt. */
  maxPerKind: z.strictObject({ cash: z.number().int().min(1).max(20).optional(), percent: z.number().int().min(1).max(20).optional(), gift: z.number().int().min(1).max(20).optional() }).optional(),
  /** A gift coupon whose SKU is not on the receipt puts it there, one unit at zero price. */
  giftAddsLine: z.boolean().default(false),
});
export type CouponStacking = z.infer<typeof CouponStackingSchema>;

/**
 * Tier life and tier benefits (issue 13, decision 019). Both optional: absent, a tier is the
 * highest one the rolling spend reaches today and no tier gives anything beyond its multiplier.
 */

/** When a tier can be lost: reviewed at period boundaries, after a grace, one step at most. */
export const TierLifeSchema = z.strictObject({
  /** Months between reviews, from January 1 (12 = once a year, 3 = each quarter). */
  reviewMonths: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal(6), z.literal(12)]),
  /** Days after a period boundary the review waits: spend reaching the tier by then keeps it. */
  graceDays: z.number().int().nonnegative().max(366).default(0),
});
export type TierLife = z.infer<typeof TierLifeSchema>;

/** A benefit's wording in both languages, for the guide page and the receipt. */
export const BenefitTextSchema = z.strictObject({ en: z.string().trim().min(1).max(120), 'zh-CN': z.string().trim().min(1).max(120) });

export const TierBenefitsSchema = z.strictObject({
  /** Coupon templates issued once, ever, when the member holds this tier. */
  upgradeGift: z.array(z.string().min(1).max(40)).max(5).optional(),
  /** Once a year, in the member's birthday month (the store's time zone): points or a coupon. */
  birthdayGift: z
    .union([z.strictObject({ points: z.number().int().positive().max(100_000) }), z.strictObject({ templateId: z.string().min(1).max(40) })])
    .optional(),
  /** What the tier gives, as shown to the member. */
  perks: z.array(BenefitTextSchema).max(12).optional(),
});
export type TierBenefits = z.infer<typeof TierBenefitsSchema>;

export const LoyaltyRulesSchema = z.strictObject({
  version: z.number().int().nonnegative(),
  tiers: z
    .array(TierRuleSchema)
    .min(1)
    // An empty list fails min(1); zod still runs the refinements, which must not throw on it.
    // `params.rule` names the rule for the console's forms, which word it in each language.
    .refine((t) => t.length === 0 || t[0]!.minSpendCents === 0, { message: 'the first tier starts at 0 spend', params: { rule: 'firstTierZero' } })
    .refine((t) => t.every((x, i) => i === 0 || x.minSpendCents > t[i - 1]!.minSpendCents), { message: 'tiers in ascending order of minSpendCents', params: { rule: 'tiersAscending' } })
    .refine((t) => new Set(t.map((x) => x.code)).size === t.length, { message: 'each tier has its own code', params: { rule: 'tierCodesUnique' } }),
  tierWindowMonths: z.number().int().positive().max(60),
  earn: z.strictObject({ pointsPerYuan: z.number().int().nonnegative().max(1000) }),
  joinGift: z.number().int().nonnegative(),
  interactions: z.record(z.string().regex(/^[a-z_]{2,32}$/), InteractionRuleSchema),
  cash: z.strictObject({
    /** Points that pay one RMB at the till. */
    pointsPerYuan: z.number().int().positive().max(10_000),
    /** At most this share of the receipt (basis points: 5000 = 50%) may be paid with points. */
    maxShareBps: z.number().int().min(0).max(10000),
  }),
  expiry: ExpirySchema,
  /**
   * Points one member may spend at a store while it cannot reach the hub (the store cannot see
   * spending elsewhere); the hub reconciles and records what went beyond the balance.
   */
  offlineSpendLimit: z.number().int().nonnegative().default(5000),
  /**
   * A sanity ceiling on the points one receipt can earn: a receipt above it earns the ceiling,
   * says so (pointsUncapped), and the hub records an incident for someone to look at.
   */
  maxPointsPerReceipt: z.number().int().positive().max(LIMITS.points).default(100_000),
  /** Tier reviews and grace (decision 019); absent: a tier follows the rolling spend day by day. */
  tierLife: TierLifeSchema.optional(),
  /** Benefits by tier code (decision 019); a code no tier has is ignored. */
  tierBenefits: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$/), TierBenefitsSchema).optional(),
  // Vesting (issue 13, decision 018).
  /**
   * Days after the receipt's store-local day before the points it earns can be spent (the return
   * window): until then they are pending, and a refund cancels them. Absent or 0: at once.
   */
  vestingDays: z.number().int().min(0).max(365).optional(),
  /** Rates by category, brand, SKU and store, member day, birthday month (absent: none). */
  earning: EarningSchema.optional(),
  /** Which coupons combine and in which order (absent: any, in scan order). */
  couponStacking: CouponStackingSchema.optional(),
});
export type LoyaltyRules = z.infer<typeof LoyaltyRulesSchema>;
export type TierRule = z.infer<typeof TierRuleSchema>;
export type Expiry = z.infer<typeof ExpirySchema>;

/** The defaults of requirements.md §2. */
export const DEFAULT_RULES: LoyaltyRules = {
  version: 1,
  tiers: [
    { code: 'L1', name: 'Registered', minSpendCents: 0, multiplierPct: 100 },
    { code: 'L2', name: 'Silver', minSpendCents: 100, multiplierPct: 100 },
    { code: 'L3', name: 'Gold', minSpendCents: 150_000, multiplierPct: 150 },
    { code: 'L4', name: 'Platinum', minSpendCents: 700_000, multiplierPct: 200 },
  ],
  tierWindowMonths: 12,
  earn: { pointsPerYuan: 1 },
  joinGift: 200,
  interactions: {
    checkin: { points: 5, once: 'per_day' },
    profile_completed: { points: 100, once: 'ever', requiresProfile: ['name', 'gender', 'birthday'] },
    favourite_store: { points: 50, once: 'ever' },
    invite_friend: { points: 100, once: 'per_ref' },
    survey: { points: 50, once: 'per_ref' },
    join_event: { points: 100, once: 'per_ref' },
  },
  cash: { pointsPerYuan: 100, maxShareBps: 5000 },
  expiry: { kind: 'relative', months: 24 },
  offlineSpendLimit: 5000,
  maxPointsPerReceipt: 100_000,
};
