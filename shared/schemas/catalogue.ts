import { z } from 'zod';
import { CouponCode, MemberId, Points, Sku, StoreId, Text } from './common.ts';
import { CouponTemplateSchema } from './coupon.ts';

/*
 * The points catalogue (issue 13): rewards a member buys with points, kept at the hub in
 * versions like the rules and copied into every store's database (`catalogue:points`), and the
 * coupon pools of externally supplied codes, which stay at the hub (decision 020).
 */

export const RewardId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/, 'a letter or digit, then letters, digits, _ or -, at most 40');
const TemplateId = CouponTemplateSchema.shape.id;

/** A gift's stock at one store: what HQ has sent there in all; what is left is counted by the store. */
export const GiftStockSchema = z.strictObject({ storeId: StoreId, qty: z.number().int().nonnegative().max(1_000_000) });

export const RewardSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('coupon'), id: RewardId, title: Text(80), points: Points.positive(), templateId: TemplateId }),
  z.strictObject({
    kind: z.literal('gift'),
    id: RewardId,
    title: Text(80),
    points: Points.positive(),
    sku: Sku,
    /** Stores absent here have none of it. */
    stock: z.array(GiftStockSchema).max(10_000).refine((s) => new Set(s.map((x) => x.storeId)).size === s.length, 'each store once'),
  }),
]);
export type Reward = z.infer<typeof RewardSchema>;

export const PointsCatalogueSchema = z.strictObject({
  version: z.number().int().nonnegative(),
  rewards: z
    .array(RewardSchema)
    .max(500)
    .refine((r) => new Set(r.map((x) => x.id)).size === r.length, 'each reward has its own id'),
});
export type PointsCatalogue = z.infer<typeof PointsCatalogueSchema>;

export const EMPTY_CATALOGUE: PointsCatalogue = { version: 0, rewards: [] };

/** The catalogue as a store's database holds it (read leniently: documents only ever grow fields). */
export const CatalogueDocSchema = z.object({ _id: z.string(), _rev: z.string().optional(), type: z.literal('catalogue'), catalogue: PointsCatalogueSchema });
export type CatalogueDoc = z.infer<typeof CatalogueDocSchema>;

/** A request's own id from a till or a guide page: the same id again is the same exchange. */
export const ExchangeRequestId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, '8-64 letters, digits, _ or -');

export const ExchangeBodySchema = z.strictObject({ requestId: ExchangeRequestId, memberId: MemberId, rewardId: RewardId });
export type ExchangeBody = z.infer<typeof ExchangeBodySchema>;

/** A pool of a partner's codes: each becomes a coupon of `templateId` for the member who claims it. */
export const PoolId = RewardId;
export const PoolSchema = z.strictObject({
  id: PoolId,
  title: Text(80),
  templateId: TemplateId,
  /** How many coupons of this pool one member may claim. */
  limitPerMember: z.number().int().positive().max(1000).default(1),
  /** Pools of one campaign share a limit per member across them. */
  campaign: z.strictObject({ id: RewardId, limitPerMember: z.number().int().positive().max(1000) }).optional(),
});
export type Pool = z.infer<typeof PoolSchema>;

export const ImportPoolBodySchema = PoolSchema.extend({
  /** The partner's codes, one per line (a header line `code` is skipped), or as a list. */
  csv: z.string().max(2_000_000).optional(),
  codes: z.array(CouponCode).max(100_000).optional(),
});
export type ImportPoolBody = z.infer<typeof ImportPoolBodySchema>;

export const ClaimBodySchema = z.strictObject({ requestId: ExchangeRequestId, memberId: MemberId });
export type ClaimBody = z.infer<typeof ClaimBodySchema>;

/** One claim of a pool code, as the hub keeps it (never replicated). */
export interface PoolClaim {
  poolId: string;
  campaignId?: string;
  memberId: string;
  requestId: string;
  code: string;
  storeId: string;
  at: string;
}
