import { z } from 'zod';
import { lookupTable } from '../own.ts';
import { Category, Cents, IsoTime, Sku } from '../schemas/common.ts';

/*
 * An online order as the import reads it: enough to compute spend, frequency and category
 * affinity for the golden member its buyer resolves to. Money is integer cents.
 */

export const ORDER_STATUSES = ['paid', 'shipped', 'completed', 'cancelled', 'refunded', 'unknown'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const OrderLineSchema = z.strictObject({
  sku: Sku,
  category: Category.optional(),
  qty: z.number().int().positive().max(1_000_000),
  unitPriceCents: Cents,
});
export type OrderLine = z.infer<typeof OrderLineSchema>;

export const OrderSummarySchema = z.strictObject({
  /** `<source>:<orderNo>`, like the buyer's record id: importing twice gives the same order. */
  id: z.string().min(3).max(160),
  /** The source record of the buyer as seen on this order. */
  recordId: z.string().min(3).max(160),
  orderNo: z.string().min(1).max(128),
  totalCents: Cents,
  discountCents: Cents,
  paidCents: Cents,
  status: z.enum(ORDER_STATUSES),
  at: IsoTime,
  lines: z.array(OrderLineSchema).max(500),
});
export type OrderSummary = z.infer<typeof OrderSummarySchema>;

/** Marketplace status codes and the words exports use for them. */
const STATUS_WORDS = lookupTable<OrderStatus>({
  paid: 'paid', wait_seller_send_goods: 'paid', 已付款: 'paid', 待发货: 'paid', 等待发货: 'paid',
  shipped: 'shipped', wait_buyer_confirm_goods: 'shipped', 已发货: 'shipped', 待收货: 'shipped',
  completed: 'completed', finished: 'completed', trade_finished: 'completed', 交易成功: 'completed', 已完成: 'completed', 完成: 'completed',
  cancelled: 'cancelled', canceled: 'cancelled', closed: 'cancelled', trade_closed: 'cancelled', trade_closed_by_taobao: 'cancelled', 已取消: 'cancelled', 交易关闭: 'cancelled', 已关闭: 'cancelled',
  refunded: 'refunded', 已退款: 'refunded', 退款成功: 'refunded',
});

/** @example orderStatus('TRADE_FINISHED') // 'completed' */
export function orderStatus(raw: string | undefined): OrderStatus {
  return STATUS_WORDS.get((raw ?? '').trim().toLowerCase()) ?? 'unknown';
}
