/**
 * The order in which the hub replays a member's points entries from every store to find an
 * overspend. By time, each store's clock set right by its known offset (hub/store-clocks.ts).
 * The entries of one receipt or refund (one `ref`) are one act: a refund's claw-back and the
 * points it returns, a receipt's points earned and spent. They are taken together at the act's
 * first time, credits first, so only what the act leaves counts, not the order of their ids
 * ('clawback' sorts before 'return') or the millisecond between them.
 *
 * @example
 * orderForOverspend([{ _id: 'pts:M:clawback:R', ref: 'refund:R', delta: -180, at: '…:00.000Z', storeId: 'S1' },
 *   { _id: 'pts:M:return:R', ref: 'refund:R', delta: 495, at: '…:00.001Z', storeId: 'S1' }], () => 0)
 * // → the return first, then the claw-back
 */
export function orderForOverspend<E extends { _id: string; ref: string; delta: number; at: string; storeId: string }>(entries: readonly E[], offsetOf: (storeId: string) => number): E[] {
  const time = (e: E) => Date.parse(e.at) - offsetOf(e.storeId);
  const actTime = new Map<string, number>();
  for (const e of entries) actTime.set(e.ref, Math.min(actTime.get(e.ref) ?? Infinity, time(e)));
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return [...entries].sort((a, b) => actTime.get(a.ref)! - actTime.get(b.ref)! || cmp(a.ref, b.ref) || b.delta - a.delta || cmp(a._id, b._id));
}
