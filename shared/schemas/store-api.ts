import { z } from 'zod';
import { CheckoutId } from './api.ts';
import { CouponCode } from './common.ts';

/*
 * What a store node asks the hub besides replication (v1, store credentials). Answers grow only
 * by new fields: a node older than the hub ignores them.
 */

export const ReserveCouponsBodySchema = z.strictObject({
  /** The order document id of the checkout that will redeem the coupons. */
  orderId: z.string().refine((id) => id.startsWith('order:') && CheckoutId.safeParse(id.slice('order:'.length)).success, 'order:<store>:<terminal>:<receiptNo>'),
  codes: z.array(CouponCode).min(1).max(10),
});
export type ReserveCouponsBody = z.infer<typeof ReserveCouponsBodySchema>;

export const ReservationAnswerSchema = z.object({
  reservations: z.array(
    z.union([
      z.object({ code: z.string(), ok: z.literal(true) }),
      z.object({ code: z.string(), ok: z.literal(false), reason: z.literal('redeemed_elsewhere') }),
    ]),
  ),
});
export type ReservationAnswer = z.infer<typeof ReservationAnswerSchema>;

/** Documents as the hub stored them in the asking store's database: with `_rev`, to be written with new_edits: false. */
export const HubDocsSchema = z.array(z.looseObject({ _id: z.string().regex(/^[^_]/, 'no special documents'), _rev: z.string().regex(/^\d+-[0-9a-f]+$/) })).max(100_000);

/** The hub's answer about another store's checkout: the order, the refunds of it the hub knows, the member's documents. */
export const OrderAnswerSchema = z.object({ docs: HubDocsSchema });
