import { z } from 'zod';
import { Category, Cents, CouponCode, IsoTime, MemberId, Sku, StoreId } from './common.ts';

/** What a coupon gives; the terms are copied from the template so a store can verify offline. */
export const CouponTermsSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('cash'), valueCents: Cents.positive(), minSpendCents: Cents.default(0) }),
  z.strictObject({
    kind: z.literal('percent'),
    percentOff: z.number().int().min(1).max(100),
    capCents: Cents.positive().optional(),
    minSpendCents: Cents.default(0),
  }),
  z.strictObject({ kind: z.literal('gift'), giftSku: Sku, minSpendCents: Cents.default(0) }),
]);
export type CouponTerms = z.infer<typeof CouponTermsSchema>;

export const CouponScopeSchema = z.strictObject({
  /** Stores where it may be redeemed; absent = every store. */
  stores: z.array(StoreId).optional(),
  /** Categories whose lines it applies to; absent = every line. */
  categories: z.array(Category).optional(),
});

export const CouponTemplateSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/, 'a letter or digit, then letters, digits, _ or -, at most 40'),
  title: z.string().min(1).max(80),
  terms: CouponTermsSchema,
  scope: CouponScopeSchema.default({}),
  /** Days a coupon stays valid from issue, unless the issue says otherwise. */
  validDays: z.number().int().positive().max(3650),
  version: z.number().int().nonnegative().default(1),
});
export type CouponTemplate = z.infer<typeof CouponTemplateSchema>;

export const CouponSchema = z.strictObject({
  code: CouponCode,
  memberId: MemberId,
  templateId: z.string(),
  title: z.string(),
  terms: CouponTermsSchema,
  scope: CouponScopeSchema,
  validFrom: IsoTime,
  validTo: IsoTime,
  issuedAt: IsoTime,
  /** Made by a store for a points exchange (`xchg:<store>:<request>`), its code derived from it (decision 020); absent: issued by the hub. */
  exchangeId: z.string().max(200).optional(),
});
export type Coupon = z.infer<typeof CouponSchema>;

/** Demo templates that `init` writes until the hub pushes real ones. */
export const DEFAULT_TEMPLATES: CouponTemplate[] = [
  { id: 'CASH20', title: '20 RMB off 100', terms: { kind: 'cash', valueCents: 2000, minSpendCents: 10000 }, scope: {}, validDays: 30, version: 1 },
  { id: 'PCT10', title: '10% off, up to 50 RMB', terms: { kind: 'percent', percentOff: 10, capCents: 5000, minSpendCents: 0 }, scope: {}, validDays: 30, version: 1 },
  { id: 'GIFT-CUP', title: 'A free cup', terms: { kind: 'gift', giftSku: 'CUP-001', minSpendCents: 0 }, scope: {}, validDays: 60, version: 1 },
];
