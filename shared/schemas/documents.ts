import { z } from 'zod';
import { LIMITS } from '../limits.ts';
import { LIFECYCLE_STAGES, RFM_SEGMENTS } from '../profile/fields.ts';
import { Category, Cents, CouponCode, IsoTime, LocalDate, MemberId, Points, Sku, StoreId, TerminalId } from './common.ts';
import { CouponSchema, CouponTemplateSchema } from './coupon.ts';
import { LoyaltyRulesSchema } from './rules.ts';
import { ExchangeDocSchema, ExchangeRefundDocSchema, EXCHANGE_LEDGER_REASONS } from './exchange-docs.ts';

export { ExchangeDocSchema, ExchangeRefundDocSchema, type ExchangeDoc, type ExchangeRefundDoc } from './exchange-docs.ts';

/*
 * Stored documents are read leniently (unknown fields are kept out, not refused): stores lag
 * behind hub upgrades, so v1 documents only ever grow fields. API bodies, in api.ts, are strict.
 */

const base = { _id: z.string(), _rev: z.string().optional() };

export const GENDERS = ['M', 'F', 'U'] as const;

export const MemberDocSchema = z.object({
  ...base,
  type: z.literal('member'),
  id: MemberId,
  phone: z.string(),
  name: z.string().optional(),
  gender: z.enum(GENDERS).optional(),
  birthday: LocalDate.optional(),
  cardNo: z.string().optional(),
  unionId: z.string().optional(),
  openIds: z.array(z.object({ appId: z.string(), openId: z.string() })).optional(),
  memberCode: z.string(),
  homeStoreId: StoreId,
  registeredAt: IsoTime,
  registeredStoreId: StoreId,
  /** Registered at a store that could not ask the hub; One-ID merges it later. */
  provisional: z.boolean().default(false),
  /**
   * The member's personal data was erased (PIPL, decision 014): phone and member code are empty,
   * the rest of the profile is gone, and no identity key names the member any more.
   */
  erasedAt: IsoTime.optional(),
});
export type MemberDoc = z.infer<typeof MemberDocSchema>;

export const IdentityKeyDocSchema = z.object({ ...base, type: z.literal('idk'), key: z.string(), memberId: MemberId });
export type IdentityKeyDoc = z.infer<typeof IdentityKeyDocSchema>;

/** No 'expire': expiry is derived from each entry's expiresOn (ledgerBalance), never written. */
export const LEDGER_REASONS = ['join', 'earn', 'redeem', 'clawback', 'return', 'interaction', 'adjust', ...EXCHANGE_LEDGER_REASONS] as const;
/** Tier benefits (decision 019): a birthday gift in points, `pts:<member>:birthday:<year>`. */
export const GIFT_LEDGER_REASONS = ['birthday'] as const;

export const LedgerDocSchema = z.object({
  ...base,
  type: z.literal('pts'),
  memberId: MemberId,
  delta: Points,
  reason: z.enum([...LEDGER_REASONS, ...GIFT_LEDGER_REASONS]),
  /** The fact that caused it: an order, refund, event or member id. */
  ref: z.string(),
  storeId: StoreId,
  at: IsoTime,
  /** Store-local business day of `at`. */
  day: LocalDate,
  /** Last store-local day the points can be spent; absent = no expiry. */
  expiresOn: LocalDate.optional(),
  /**
   * Vesting (decision 018): on an earning, the store-local day its points become spendable (they
   * are pending before it); on a claw-back, the vesting day of the pending points it cancels.
   * Absent, or not after `day`: the entry counts at once, as before vesting existed.
   */
  vestsOn: LocalDate.optional(),
  /** Points exchanged for a reward of the points catalogue (or given back): which one, as the ledger shows it. */
  reward: z.object({ id: z.string().max(40), title: z.string().max(80) }).optional(),
});
export type LedgerDoc = z.infer<typeof LedgerDocSchema>;

/** The member as a receipt printed them, so that a retried request gets the same answer. */
export const MemberAfterSchema = z.object({
  id: MemberId,
  tier: z.string(),
  /** `pending`: points not yet spendable (vesting, decision 018), present when there are some. */
  points: z.object({ balance: Points, pending: Points.optional() }),
});

export const OrderLineSchema = z.object({
  sku: Sku,
  category: Category.optional(),
  /** The brand earning judged the line by (the receipt's, or the product master's), decision 017. */
  brand: Category.optional(),
  /** A zero-price line a gift coupon put on the receipt (its code), decision 017. */
  giftOf: CouponCode.optional(),
  qty: z.number().int().positive().max(LIMITS.qty),
  unitPriceCents: Cents.max(LIMITS.unitPriceCents),
  totalCents: Cents,
  discountCents: Cents,
  payableCents: Cents,
});
export type OrderLine = z.infer<typeof OrderLineSchema>;

/** A tier gift a receipt made due, as the receipt printed it (decision 019): kept so a retry prints it again. */
export const GiftViewSchema = z.discriminatedUnion('kind', [
  z.object({ cause: z.string().max(64), kind: z.literal('coupon'), code: CouponCode, title: z.string().max(80), validTo: IsoTime }),
  z.object({ cause: z.string().max(64), kind: z.literal('points'), points: Points }),
]);

export const OrderDocSchema = z.object({
  ...base,
  type: z.literal('order'),
  storeId: StoreId,
  terminalId: TerminalId,
  receiptNo: z.string(),
  memberId: MemberId.optional(),
  at: IsoTime,
  day: LocalDate,
  lines: z.array(OrderLineSchema).min(1).max(LIMITS.lines),
  totalCents: Cents,
  couponDiscountCents: Cents,
  pointsCashCents: Cents,
  payableCents: Cents,
  pointsEarned: Points.nonnegative(),
  pointsRedeemed: Points.nonnegative(),
  /** Present when the rules' ceiling on points per receipt cut pointsEarned: what it would have been. */
  pointsUncapped: Points.nonnegative().optional(),
  /** The rules' birthday-month multiplier raised pointsEarned: the hub checks the member's birthday (decision 017). */
  birthdayMonth: z.literal(true).optional(),
  coupons: z.array(z.object({ code: CouponCode, discountCents: Cents })).max(LIMITS.coupons),
  tier: z.string().optional(),
  /** The version of the loyalty rules the receipt was priced with (absent before 2026-11-29). */
  rulesVersion: z.number().int().nonnegative().optional(),
  memberAfter: MemberAfterSchema.optional(),
  /** The tier gifts it made due, as printed (informational: each gift is a fact of its own, judged as such). */
  giftsIssued: z.array(GiftViewSchema).max(20).optional(),
  /** The store-local day the points it earns become spendable (vesting, decision 018); absent: at once. */
  pointsVestOn: LocalDate.optional(),
  /** Hash of the request that made it: the same receipt number with other content is refused. */
  requestHash: z.string(),
});
export type OrderDoc = z.infer<typeof OrderDocSchema>;

export const RefundDocSchema = z.object({
  ...base,
  type: z.literal('refund'),
  orderId: z.string(),
  refundNo: z.string(),
  storeId: StoreId,
  terminalId: TerminalId,
  memberId: MemberId.optional(),
  at: IsoTime,
  day: LocalDate,
  /** The day of the order it refunds: a refund takes back spend where the spend was counted. */
  orderDay: LocalDate.optional(),
  lines: z.array(z.object({ index: z.number().int().nonnegative().max(LIMITS.lines), qty: z.number().int().positive().max(LIMITS.qty), refundCents: Cents })).max(LIMITS.lines),
  refundCents: Cents,
  pointsClawedBack: Points.nonnegative(),
  pointsReturned: Points.nonnegative(),
  memberAfter: MemberAfterSchema.optional(),
  requestHash: z.string(),
});
export type RefundDoc = z.infer<typeof RefundDocSchema>;

export const CouponDocSchema = CouponSchema.extend({ ...base, type: z.literal('coupon') });
export type CouponDoc = z.infer<typeof CouponDocSchema>;

export const RedemptionDocSchema = z.object({
  ...base,
  type: z.literal('redeem'),
  code: CouponCode,
  memberId: MemberId,
  orderId: z.string(),
  storeId: StoreId,
  terminalId: TerminalId,
  discountCents: Cents,
  at: IsoTime,
});
export type RedemptionDoc = z.infer<typeof RedemptionDocSchema>;

export const RulesDocSchema = z.object({ ...base, type: z.literal('rules'), rules: LoyaltyRulesSchema });
export type RulesDoc = z.infer<typeof RulesDocSchema>;

export const TemplateDocSchema = z.object({ ...base, type: z.literal('tpl'), template: CouponTemplateSchema });
export type TemplateDoc = z.infer<typeof TemplateDocSchema>;

/** A behaviour event: registration, interaction. Carries no balance; the ledger does. */
export const EventDocSchema = z.object({
  ...base,
  type: z.literal('event'),
  kind: z.string(),
  memberId: MemberId,
  storeId: StoreId,
  terminalId: TerminalId.optional(),
  ref: z.string().optional(),
  at: IsoTime,
  day: LocalDate,
});
export type EventDoc = z.infer<typeof EventDocSchema>;

/**
 * One-ID merged member `from` into `to` (the hub writes it): the loser's id and keys resolve to the
 * survivor, and the facts of both count for the survivor. `undoneAt`: an operator split them
 * apart again; each keeps the facts written under their own id.
 */
export const AliasDocSchema = z.object({ ...base, type: z.literal('alias'), from: MemberId, to: MemberId, at: IsoTime, undoneAt: IsoTime.optional() });
export type AliasDoc = z.infer<typeof AliasDocSchema>;

export const CONSENT_CHANNELS = ['sms', 'wechat', 'email', 'phone'] as const;
export type ConsentChannel = (typeof CONSENT_CHANNELS)[number];
/** Where a consent was given or withdrawn: at a till, in an imported file, by an operator in the console. */
export const CONSENT_SOURCES = ['till', 'import', 'console'] as const;

/**
 * A member said yes or no to being contacted on one channel (PIPL, decision 014): a fact like any
 * other, never updated; the latest by `at` per channel is what counts, the rest is the history.
 * `storeId` is the store that recorded it (HQ for the console and imports).
 */
export const ConsentDocSchema = z.object({
  ...base,
  type: z.literal('consent'),
  memberId: MemberId,
  channel: z.enum(CONSENT_CHANNELS),
  granted: z.boolean(),
  source: z.enum(CONSENT_SOURCES),
  storeId: StoreId,
  terminalId: TerminalId.optional(),
  /** The operator, or the import, that recorded it (a till's is its terminal). */
  by: z.string().max(120).optional(),
  at: IsoTime,
});
export type ConsentDoc = z.infer<typeof ConsentDocSchema>;

/** A node's heartbeat (`heartbeat:<store>`): the one document a store writes over; the hub's fleet view reads it. */
export const HeartbeatDocSchema = z.object({
  ...base,
  type: z.literal('heartbeat'),
  storeId: StoreId,
  version: z.string().max(64),
  clock: IsoTime,
  /** How often the node writes it (nodes before this field wrote every 30 s): the fleet view counts missed ones. */
  heartbeatEverySeconds: z.number().positive().max(86_400).optional(),
  sync: z.object({
    state: z.enum(['online', 'offline', 'catching_up']),
    lastPushAt: IsoTime.nullable(),
    lastPullAt: IsoTime.nullable(),
    pendingUp: z.number().int().nonnegative(),
    pendingDown: z.number().int().nonnegative(),
    lastError: z.string().max(10_000).nullable(),
  }),
  members: z.number().int().nonnegative(),
});
export type HeartbeatDoc = z.infer<typeof HeartbeatDocSchema>;

/**
 * A member's profile as the hub projects it to the stores that serve them (issue 12, decision
 * 024): `profile:<member id>`, written by the hub only and only when its content changes
 * (`hash`); what the guide's member page shows. Read leniently: the hub may add fields.
 */
export const StoreProfileDocSchema = z.object({
  ...base,
  type: z.literal('profile'),
  memberId: MemberId,
  stage: z.enum(LIFECYCLE_STAGES).optional(),
  rfmSegment: z.enum(RFM_SEGMENTS).optional(),
  rfm: z.object({ r: z.number().int().min(1).max(5), f: z.number().int().min(1).max(5), m: z.number().int().min(1).max(5) }).optional(),
  // `names` (both languages, decision 025) is optional: a document of an older hub has `name` only, and an older store drops `names`.
  tags: z.array(z.object({ code: z.string().max(80), name: z.string().max(120).optional(), names: z.object({ 'zh-CN': z.string().max(120).optional(), en: z.string().max(120).optional() }).optional() })).max(200).default([]),
  topCategories: z.array(z.string().max(120)).max(20).default([]),
  recommendations: z.array(z.string().max(120)).max(50).default([]),
  hash: z.string().max(64),
  at: IsoTime,
});
export type StoreProfileDoc = z.infer<typeof StoreProfileDocSchema>;

export const AnyDocSchema = z.discriminatedUnion('type', [
  MemberDocSchema,
  IdentityKeyDocSchema,
  LedgerDocSchema,
  OrderDocSchema,
  RefundDocSchema,
  CouponDocSchema,
  RedemptionDocSchema,
  RulesDocSchema,
  TemplateDocSchema,
  EventDocSchema,
  AliasDocSchema,
  ConsentDocSchema,
  // Points catalogue (issue 13, decision 020)
  ExchangeDocSchema,
  ExchangeRefundDocSchema,
  StoreProfileDocSchema,
]);
export type AnyDoc = z.infer<typeof AnyDocSchema>;
