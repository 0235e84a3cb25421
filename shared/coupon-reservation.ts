/**
 * The hub's hold on a single-use coupon while a till completes the checkout that uses it: two
 * stores that can both reach the hub cannot both redeem it. A hold expires (a checkout that never
 * completed must not block the coupon for good); the redemption fact, once it reaches the hub,
 * is what keeps the coupon used after that.
 */
export interface Reservation {
  code: string;
  orderId: string;
  storeId: string;
  at: string;
  expiresAt: string;
}

/** How long a hold lasts without its redemption: far longer than a checkout takes, short enough for a retry elsewhere. */
export const RESERVATION_TTL_MS = 5 * 60_000;

export type ReservationVerdict =
  | { ok: true; /** The hold to store, or undefined when the one stored stands. */ write?: Reservation }
  | { ok: false; reason: 'redeemed_elsewhere'; orderId: string };

/**
 * Whether the receipt `orderId` may use the coupon, given the hold stored now (if any) and the
 * receipt whose redemption of it the hub holds (if any). The same receipt asking again is fine.
 *
 * @example decideReservation({ code: 'C1', orderId: 'order:S1:T1:R1', storeId: 'S1', now: new Date() }) // { ok: true, write: {...} }
 */
export function decideReservation(ask: {
  code: string;
  orderId: string;
  storeId: string;
  now: Date;
  existing?: Reservation;
  redeemedBy?: string;
  ttlMs?: number;
}): ReservationVerdict {
  if (ask.redeemedBy !== undefined && ask.redeemedBy !== ask.orderId) return { ok: false, reason: 'redeemed_elsewhere', orderId: ask.redeemedBy };
  const held = ask.existing;
  if (held && held.orderId === ask.orderId) return { ok: true };
  if (held && held.expiresAt > ask.now.toISOString()) return { ok: false, reason: 'redeemed_elsewhere', orderId: held.orderId };
  const at = ask.now.toISOString();
  const expiresAt = new Date(ask.now.getTime() + (ask.ttlMs ?? RESERVATION_TTL_MS)).toISOString();
  return { ok: true, write: { code: ask.code, orderId: ask.orderId, storeId: ask.storeId, at, expiresAt } };
}
