import { z } from 'zod';
import { CouponCode, IsoTime, LocalDate, MemberId, Points, Sku, StoreId } from './common.ts';

/*
 * The facts of a points exchange (issue 13, decision 020), written by the store that made it:
 * `xchg:<store>:<request>` and, when it is given back, `xrefund:<store>:<request>`. With them go a
 * ledger entry (reason 'exchange' / 'exchange_refund') and, for a coupon reward, the coupon
 * (`coupon:<code>`, its code derived from store and request, its `exchangeId` naming this).
 */

/** Ledger reasons of the points catalogue: points exchanged for a reward, and given back by its refund. */
export const EXCHANGE_LEDGER_REASONS = ['exchange', 'exchange_refund'] as const;

const base = { _id: z.string(), _rev: z.string().optional() };

/** The reward as it was exchanged: a copy, so the fact reads the same whatever the catalogue becomes. */
export const ExchangedRewardSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('coupon'), id: z.string().max(40), title: z.string().max(80), templateId: z.string().max(40), couponCode: CouponCode }),
  z.object({ kind: z.literal('gift'), id: z.string().max(40), title: z.string().max(80), sku: Sku }),
]);
export type ExchangedReward = z.infer<typeof ExchangedRewardSchema>;

const MemberAfter = z.object({ id: MemberId, tier: z.string(), points: z.object({ balance: Points }) });

export const ExchangeDocSchema = z.object({
  ...base,
  type: z.literal('exchange'),
  storeId: StoreId,
  requestId: z.string().max(64),
  /** Who asked: a terminal id, or `guide:<name>` for a guide page. */
  by: z.string().max(80),
  memberId: MemberId,
  reward: ExchangedRewardSchema,
  /** The catalogue version that priced it. */
  catalogueVersion: z.number().int().nonnegative(),
  points: Points.positive(),
  at: IsoTime,
  day: LocalDate,
  memberAfter: MemberAfter.optional(),
  requestHash: z.string().max(128),
});
export type ExchangeDoc = z.infer<typeof ExchangeDocSchema>;

export const ExchangeRefundDocSchema = z.object({
  ...base,
  type: z.literal('exchange-refund'),
  exchangeId: z.string().max(200),
  storeId: StoreId,
  by: z.string().max(80),
  memberId: MemberId,
  /** The points given back: all the exchange took. */
  points: Points.positive(),
  /** The coupon the exchange made, void from now on. */
  couponCode: CouponCode.optional(),
  /** The gift SKU whose unit went back into the store's stock. */
  sku: Sku.optional(),
  at: IsoTime,
  day: LocalDate,
  memberAfter: MemberAfter.optional(),
});
export type ExchangeRefundDoc = z.infer<typeof ExchangeRefundDocSchema>;
