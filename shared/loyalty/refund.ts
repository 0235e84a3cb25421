import { mulDiv } from '../money.ts';
import type { OrderDoc, RefundDoc } from '../schemas/documents.ts';

export interface PricedRefund {
  lines: { index: number; qty: number; refundCents: number }[];
  refundCents: number;
  pointsClawedBack: number;
  pointsReturned: number;
}

export type RefundRefusal =
  | { code: 'refund_exceeds_purchase'; message: string; sku: string }
  | { code: 'nothing_to_refund'; message: string };

/** What part of a whole that is `total` a cumulative `done` stands for, exact at the end. */
function share(amount: number, done: number, total: number): number {
  return done >= total ? amount : mulDiv(amount, done, total);
}

/**
 * Prices a refund against the order and the refunds already made. Amounts are computed
 * cumulatively (what all refunds so far are worth minus what earlier refunds were worth), so a
 * series of partial refunds adds up to exactly the full one: every cent paid comes back, every
 * point earned is clawed back and every point redeemed is returned, never more.
 */
export function priceRefund(
  order: OrderDoc,
  previous: readonly RefundDoc[],
  request: readonly { sku: string; qty: number }[] | undefined,
): { ok: true; value: PricedRefund } | { ok: false; refusal: RefundRefusal } {
  const refundedQty = order.lines.map(() => 0);
  for (const r of previous) for (const l of r.lines) refundedQty[l.index] = (refundedQty[l.index] ?? 0) + l.qty;

  const take = order.lines.map(() => 0);
  if (request === undefined) {
    order.lines.forEach((l, i) => (take[i] = l.qty - refundedQty[i]!));
  } else {
    for (const want of request) {
      let qty = want.qty;
      order.lines.forEach((l, i) => {
        if (qty === 0 || l.sku !== want.sku) return;
        const n = Math.min(qty, l.qty - refundedQty[i]! - take[i]!);
        take[i]! += n;
        qty -= n;
      });
      if (qty > 0) {
        return { ok: false, refusal: { code: 'refund_exceeds_purchase', message: `refund of ${want.sku} exceeds what was bought and not yet refunded`, sku: want.sku } };
      }
    }
  }
  if (take.every((n) => n === 0)) return { ok: false, refusal: { code: 'nothing_to_refund', message: 'everything on this receipt has been refunded' } };

  const lines: PricedRefund['lines'] = [];
  order.lines.forEach((l, i) => {
    if (take[i] === 0) return;
    const before = share(l.payableCents, refundedQty[i]!, l.qty);
    const after = share(l.payableCents, refundedQty[i]! + take[i]!, l.qty);
    lines.push({ index: i, qty: take[i]!, refundCents: after - before });
  });

  // Points follow the value refunded; by what was paid, or by list price where nothing was paid.
  const basis = order.payableCents > 0 ? (l: OrderDoc['lines'][number]) => l.payableCents : (l: OrderDoc['lines'][number]) => l.totalCents;
  const basisTotal = order.lines.reduce((s, l) => s + basis(l), 0);
  const valueAt = (qty: number[]) => order.lines.reduce((s, l, i) => s + share(basis(l), qty[i]!, l.qty), 0);
  const doneBefore = valueAt(refundedQty);
  const doneAfter = valueAt(refundedQty.map((q, i) => q + take[i]!));
  const allRefunded = order.lines.every((l, i) => refundedQty[i]! + take[i]! === l.qty);
  const cumulative = (amount: number, done: number, whole: boolean) => (whole ? amount : basisTotal === 0 ? 0 : share(amount, done, basisTotal));

  return {
    ok: true,
    value: {
      lines,
      refundCents: lines.reduce((s, l) => s + l.refundCents, 0),
      pointsClawedBack: cumulative(order.pointsEarned, doneAfter, allRefunded) - cumulative(order.pointsEarned, doneBefore, false),
      pointsReturned: cumulative(order.pointsRedeemed, doneAfter, allRefunded) - cumulative(order.pointsRedeemed, doneBefore, false),
    },
  };
}
