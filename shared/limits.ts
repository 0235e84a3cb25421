/**
 * One set of limits for what a receipt may hold, checked at the door (API bodies) and by the
 * stored schemas alike, so that nothing the API accepts is refused when it is read back, refunded
 * or ingested at the hub. Every product of these stays exact (see mulDiv in money.ts).
 */
export const LIMITS = {
  /** Lines on one receipt or refund. */
  lines: 500,
  /** Units of one line. */
  qty: 10_000,
  /** One unit: 1,000,000 RMB. */
  unitPriceCents: 100_000_000,
  /** One receipt: 100,000,000 RMB, far above any till's sale and far below where cents lose precision. */
  receiptCents: 10_000_000_000,
  /** Any amount of points in one fact, or a balance. */
  points: 1_000_000_000_000,
  /** Coupons on one receipt. */
  coupons: 10,
} as const;
