import { docId } from '../../shared/doc-ids.ts';
import { AppError } from '../../shared/errors.ts';
import { priceCheckout } from '../../shared/loyalty/checkout.ts';
import { priceRefund } from '../../shared/loyalty/refund.ts';
import { clawbackVestsOn, vestingDayFor } from '../../shared/loyalty/vesting.ts';
import type { CheckoutBody, RefundBody } from '../../shared/schemas/api.ts';
import { withMaster } from '../../shared/products/catalog.ts';
import { OrderDocSchema, RefundDocSchema, type AnyDoc, type OrderDoc, type RefundDoc } from '../../shared/schemas/documents.ts';
import { getDoc, moment, type EdgeContext } from '../context.ts';
import type { CouponReason } from '../../shared/coupons.ts';
import { ledgerEntry, requireMember } from './members.ts';
import { requestHash } from './receipt-hash.ts';
import { benefitsFor, dueGifts, giftView, writeGifts } from './tier-gifts.ts';

/** The public id of a checkout: its order document id without the prefix (store:terminal:receipt). */
export const checkoutIdOf = (orderId: string) => orderId.slice('order:'.length);

function checkoutView(order: OrderDoc) {
  return {
    id: checkoutIdOf(order._id),
    receiptNo: order.receiptNo,
    at: order.at,
    total: order.totalCents,
    discount: order.couponDiscountCents + order.pointsCashCents,
    couponDiscount: order.couponDiscountCents,
    pointsCash: order.pointsCashCents,
    payable: order.payableCents,
    pointsEarned: order.pointsEarned,
    ...(order.pointsUncapped !== undefined ? { pointsUncapped: order.pointsUncapped } : {}),
    pointsRedeemed: order.pointsRedeemed,
    couponsRedeemed: order.coupons.map((c) => ({ code: c.code, discount: c.discountCents })),
    lines: order.lines.map((l) => ({ sku: l.sku, qty: l.qty, unitPrice: l.unitPriceCents, total: l.totalCents, discount: l.discountCents, payable: l.payableCents, ...(l.giftOf !== undefined ? { giftOf: l.giftOf } : {}) })),
    member: order.memberAfter ?? null,
    gifts: order.giftsIssued ?? [],
  };
}

/**
 * Records a receipt: prices it (coupons, points as cash, points earned), then writes the order,
 * its ledger entries and coupon redemptions in one batch before answering. The receipt's id is
 * store + terminal + receipt number, so a retried request finds its first answer.
 */
export async function checkout(ctx: EdgeContext, terminalId: string, body: CheckoutBody) {
  const orderId = docId.order(ctx.storeId, terminalId, body.receiptNo);
  const hash = requestHash(body);
  // A till may still hold the id of a member One-ID has since merged: the facts go to the survivor.
  const memberId = body.memberId && ctx.live.index.canonical(body.memberId);
  return ctx.locks.run([orderId, ...(memberId ? [memberId] : [])], async () => {
    const existing = ctx.live.index.mayHaveOrder(orderId) ? await getDoc(ctx, orderId) : undefined;
    if (existing) {
      const order = OrderDocSchema.parse(existing);
      if (order.requestHash !== hash) throw new AppError('receipt_conflict', `receipt ${body.receiptNo} was recorded with other content`, { checkout: { id: checkoutIdOf(orderId) } });
      return { status: 200 as const, checkout: { ...checkoutView(order), benefits: benefitsFor(ctx, order.memberAfter?.tier) } };
    }

    const index = ctx.live.index;
    if (memberId) requireMember(ctx, memberId);
    const { now, today } = moment(ctx);
    const products = ctx.live.products;
    const priced = priceCheckout({
      lines: products.size > 0 ? body.lines.map((l) => withMaster(l, products)) : body.lines,
      coupons: (body.couponCodes ?? []).map((code) => ({ code, coupon: index.coupon(code), redeemed: index.redemptions.has(code) })),
      pointsToRedeem: body.pointsToRedeem ?? 0,
      ...(memberId ? { member: { id: memberId, tier: index.tier(memberId, today), balance: index.points(memberId, today), birthMonth: index.members.get(memberId)?.birthMonth } } : {}),
      storeId: ctx.storeId,
      now,
      day: today,
      rules: index.rules,
    });
    if (!priced.ok) {
      const { code, message, ...details } = priced.refusal;
      // The balance refused is what can be spent; what is still vesting is named beside it.
      const pending = code === 'insufficient_points' && memberId ? index.pending(memberId, today) : undefined;
      throw new AppError(code, message, { ...details, ...(pending ? { pending: pending.pending } : {}) });
    }
    const p = priced.value;
    const vestsOn = p.pointsEarned > 0 ? vestingDayFor(index.rules, today) : undefined;
    const spent = memberId && p.pointsRedeemed > 0 ? ctx.hub?.offlineSpent(memberId) : undefined;
    if (spent !== undefined) {
      const limit = index.rules.offlineSpendLimit;
      if (spent + p.pointsRedeemed > limit) {
        throw new AppError('offline_limit_exceeded', `the store cannot reach HQ: a member may spend at most ${limit} points until it can (${spent} spent)`, { limit, spent });
      }
    }
    if (memberId && p.coupons.length > 0) await holdCoupons(ctx, orderId, p.coupons.map((c) => c.code));
    const order: OrderDoc = {
      _id: orderId,
      type: 'order',
      storeId: ctx.storeId,
      terminalId,
      receiptNo: body.receiptNo,
      ...(memberId ? { memberId, tier: index.tier(memberId, today).code } : {}),
      at: now,
      day: today,
      ...p,
      rulesVersion: index.rules.version,
      ...(vestsOn ? { pointsVestOn: vestsOn } : {}),
      requestHash: hash,
    };
    const docs: AnyDoc[] = [order];
    if (memberId) {
      if (p.pointsRedeemed > 0) docs.push(ledgerEntry(ctx, memberId, `redeem:${checkoutIdOf(orderId)}`, { delta: -p.pointsRedeemed, reason: 'redeem', ref: orderId }));
      if (p.pointsEarned > 0) docs.push(ledgerEntry(ctx, memberId, `earn:${checkoutIdOf(orderId)}`, { delta: p.pointsEarned, reason: 'earn', ref: orderId, vestsOn }));
      for (const c of p.coupons) {
        docs.push({ _id: docId.redeem(c.code), type: 'redeem', code: c.code, memberId, orderId, storeId: ctx.storeId, terminalId, discountCents: c.discountCents, at: now });
      }
    }
    // Tier gifts this receipt makes due (decision 019): counted in what the receipt prints.
    const gifts = memberId && index.rules.tierBenefits ? dueGifts(ctx, memberId, index.preview(memberId, docs, today).tier) : [];
    // The member as the receipt prints it, kept on the order so a retry answers the same.
    const after = projectedMember(ctx, memberId, [...docs, ...gifts.map((g) => g.doc)]);
    if (after) order.memberAfter = after;
    if (gifts.length > 0) order.giftsIssued = gifts.map(giftView);
    const { conflicts } = await ctx.live.write(docs);
    if (conflicts.length > 0) throw new AppError('internal', `receipt facts already existed: ${conflicts.join(', ')}`);
    await writeGifts(ctx, gifts);
    if (memberId) ctx.hub?.noteSpent(memberId, p.pointsRedeemed);
    return { status: 201 as const, checkout: { ...checkoutView(order), benefits: benefitsFor(ctx, after?.tier) } };
  });
}

/**
 * Online, the hub holds each single-use coupon for this receipt before the till accepts it, so
 * two stores cannot both redeem it; when the hub cannot answer in time the offline rules stand
 * (accepted here; a second redemption elsewhere becomes an incident at the hub).
 */
async function holdCoupons(ctx: EdgeContext, orderId: string, codes: string[]): Promise<void> {
  const held = await ctx.hub?.reserveCoupons(orderId, codes);
  if (held === undefined || held === 'unknown') return;
  const refused = held.find((h) => !h.ok);
  if (refused) {
    throw new AppError('coupon_invalid', `coupon ${refused.code}: redeemed or being redeemed for another receipt`, { couponCode: refused.code, reason: 'redeemed_elsewhere' satisfies CouponReason });
  }
}

/** The member's tier and balance once `docs` are applied, computed before writing them. */
function projectedMember(ctx: EdgeContext, memberId: string | undefined, docs: AnyDoc[]) {
  if (!memberId) return undefined;
  const preview = ctx.live.index.preview(memberId, docs, moment(ctx).today);
  return { id: memberId, tier: preview.tier.code, points: { balance: preview.points, ...(preview.pending ? { pending: preview.pending } : {}) } };
}

/**
 * A refund's answer. It names every coupon of the receipt and what became of it: a coupon stays
 * redeemed (returned: false), since the refund pays back what was paid after its discount; the
 * shopper keeps the discount on what they keep and loses none on what they return.
 */
function refundView(refund: RefundDoc, order: OrderDoc) {
  return {
    id: refund._id.slice('refund:'.length),
    refundNo: refund.refundNo,
    checkoutId: checkoutIdOf(refund.orderId),
    at: refund.at,
    refund: refund.refundCents,
    pointsClawedBack: refund.pointsClawedBack,
    pointsReturned: refund.pointsReturned,
    lines: refund.lines.map((l) => ({ index: l.index, qty: l.qty, refund: l.refundCents })),
    coupons: order.coupons.map((c) => ({ code: c.code, discount: c.discountCents, returned: false })),
    member: refund.memberAfter ?? null,
  };
}

/**
 * Refunds all or part of a receipt: money back per line, earned points clawed back and redeemed
 * points returned in proportion. A claw-back larger than the balance leaves the balance
 * negative, visibly; idempotent by refund number. A receipt of another store is asked of the hub
 * while it can be reached (shoppers return goods at any store).
 */
export async function refund(ctx: EdgeContext, terminalId: string, checkoutId: string, body: RefundBody) {
  const orderId = `order:${checkoutId}`;
  const refundId = docId.refund(orderId, body.refundNo, ctx.storeId);
  const hash = requestHash(body);
  const order = OrderDocSchema.parse(await orderToRefund(ctx, checkoutId));
  const memberId = order.memberId && ctx.live.index.canonical(order.memberId);

  return ctx.locks.run([orderId, ...(memberId ? [memberId] : [])], async () => {
    const existing = await getDoc(ctx, refundId);
    if (existing) {
      const r = RefundDocSchema.parse(existing);
      if (r.requestHash !== hash) throw new AppError('refund_conflict', `refund ${body.refundNo} was recorded with other content`);
      return { status: 200 as const, refund: refundView(r, order) };
    }
    const prefix = `refund:${checkoutId}:`;
    const rows = await ctx.live.db.allDocs({ startkey: prefix, endkey: `${prefix}\ufff0`, include_docs: true });
    const previous = rows.rows.map((row) => RefundDocSchema.parse(row.doc));
    const priced = priceRefund(order, previous, body.lines);
    if (!priced.ok) {
      const { code, message, ...details } = priced.refusal;
      throw new AppError(code, message, details);
    }
    const { now, today } = moment(ctx);
    const p = priced.value;
    const doc: RefundDoc = {
      _id: refundId,
      type: 'refund',
      orderId,
      refundNo: body.refundNo,
      storeId: ctx.storeId,
      terminalId,
      ...(memberId ? { memberId } : {}),
      at: now,
      day: today,
      orderDay: order.day,
      lines: p.lines,
      refundCents: p.refundCents,
      pointsClawedBack: p.pointsClawedBack,
      pointsReturned: p.pointsReturned,
      requestHash: hash,
    };
    const docs: AnyDoc[] = [doc];
    if (memberId) {
      const cause = refundId.slice('refund:'.length);
      if (p.pointsClawedBack > 0) docs.push(ledgerEntry(ctx, memberId, `clawback:${cause}`, { delta: -p.pointsClawedBack, reason: 'clawback', ref: refundId, vestsOn: clawbackVestsOn(order, today) }));
      if (p.pointsReturned > 0) docs.push(ledgerEntry(ctx, memberId, `return:${cause}`, { delta: p.pointsReturned, reason: 'return', ref: refundId }));
    }
    const after = projectedMember(ctx, memberId, docs);
    if (after) doc.memberAfter = after;
    const { conflicts } = await ctx.live.write(docs);
    if (conflicts.length > 0) throw new AppError('internal', `refund facts already existed: ${conflicts.join(', ')}`);
    return { status: 201 as const, refund: refundView(doc, order) };
  });
}

/** A refund of this store's own receipt waits this long for the hub's word on refunds made elsewhere. */
const OWN_CHECKOUT_TIMEOUT_MS = 1000;

/**
 * The order a refund is for: from the replica, or, when it does not hold it, from the hub with
 * every refund of it the hub knows (so nothing is refunded twice) and its member, written into
 * the replica as the hub stored them for this store.
 */
async function orderToRefund(ctx: EdgeContext, checkoutId: string): Promise<unknown> {
  const orderId = `order:${checkoutId}`;
  const held = await getDoc(ctx, orderId);
  if (held) {
    // Refunds of it made at other stores (a receipt without a member reaches no other store by
    // replication): asked briefly while the hub can be reached, so nothing is refunded twice.
    if (ctx.hub?.reachable()) {
      const known = await ctx.hub.checkout(checkoutId, OWN_CHECKOUT_TIMEOUT_MS);
      if (Array.isArray(known)) {
        await ctx.live.applyFromHub(known).catch((err) => ctx.log.warn('could not store refunds from the hub; refunding with what the store knows', { err: String((err as Error)?.message ?? err) }));
      }
    }
    return held;
  }
  if (!ctx.hub) throw new AppError('checkout_not_found', `no checkout ${checkoutId} at this store`);
  const fromHub = await ctx.hub.checkout(checkoutId);
  if (fromHub === 'unreachable') {
    throw new AppError('checkout_not_found', `no checkout ${checkoutId} at this store, and the hub cannot be asked now (another store's receipt can be refunded while it can)`);
  }
  if (fromHub === 'not_found') throw new AppError('checkout_not_found', `no checkout ${checkoutId} at this store or at the hub`);
  await ctx.live.applyFromHub(fromHub);
  const stored = await getDoc(ctx, orderId);
  if (!stored) throw new AppError('checkout_not_found', `no checkout ${checkoutId} at this store or at the hub`);
  return stored;
}
