import { couponForExchange } from '../../shared/catalogue/exchange-coupon.ts';
import { exchangeCause, exchangeRefundCause } from '../../shared/catalogue/exchange-facts.ts';
import { decideExchange, giftStockLeft } from '../../shared/catalogue/exchange-price.ts';
import { exchangeOfPublicId } from '../../shared/catalogue/exchange-refund.ts';
import { CATALOGUE_ID, docId } from '../../shared/doc-ids.ts';
import { AppError, ERRORS, type ErrorCode } from '../../shared/errors.ts';
import { CatalogueDocSchema, EMPTY_CATALOGUE, type ExchangeBody, type PointsCatalogue } from '../../shared/schemas/catalogue.ts';
import { ExchangeDocSchema, ExchangeRefundDocSchema, type AnyDoc, type ExchangeDoc, type ExchangeRefundDoc } from '../../shared/schemas/documents.ts';
import { getDoc, moment, type EdgeContext } from '../context.ts';
import { GIFT_STOCK_LOCK, giftsOut, noteGift } from './gift-stock.ts';
import { ledgerEntry, requireMember } from './members.ts';
import { requestHash } from './receipt-hash.ts';

/*
 * Points exchanged for a reward of the points catalogue, at the till or on a guide page, with
 * the hub reachable or not (decision 020): one exchange per request id at this store, its
 * facts written in one batch (the exchange, its ledger entry, the coupon it makes), given back
 * whole by its refund at this store.
 */

/**
 * The points a member may spend now. One place, so that pending (not yet vested) points can be
 * left out here when vesting comes (issue 13): today every point of the balance is spendable.
 */
export function spendablePoints(ctx: EdgeContext, memberId: string): number {
  return ctx.live.index.spendable(memberId, moment(ctx).today);
}

/** The catalogue the hub last pushed to this store (none yet: no rewards). */
export async function storeCatalogue(ctx: EdgeContext): Promise<PointsCatalogue> {
  const parsed = CatalogueDocSchema.safeParse(await getDoc(ctx, CATALOGUE_ID));
  return parsed.success ? parsed.data.catalogue : EMPTY_CATALOGUE;
}

/** The rewards as a till or guide shows them: gifts with the stock left at this store. */
export async function catalogueHere(ctx: EdgeContext) {
  const catalogue = await storeCatalogue(ctx);
  const out = catalogue.rewards.some((r) => r.kind === 'gift') ? await ctx.locks.run([GIFT_STOCK_LOCK], () => giftsOut(ctx)) : new Map<string, number>();
  return {
    version: catalogue.version,
    rewards: catalogue.rewards.map((r) =>
      r.kind === 'coupon'
        ? { id: r.id, kind: r.kind, title: r.title, points: r.points, templateId: r.templateId }
        : { id: r.id, kind: r.kind, title: r.title, points: r.points, sku: r.sku, stock: giftStockLeft(r, ctx.storeId, out.get(r.id) ?? 0) },
    ),
  };
}

/** The public id of an exchange: `<store>:<request id>`. */
const exchangeIdOf = (id: string) => id.slice('xchg:'.length);

function exchangeView(x: ExchangeDoc, refund?: ExchangeRefundDoc) {
  const r = x.reward;
  return {
    id: exchangeIdOf(x._id),
    requestId: x.requestId,
    at: x.at,
    points: x.points,
    reward: r.kind === 'coupon' ? { id: r.id, kind: r.kind, title: r.title, couponCode: r.couponCode } : { id: r.id, kind: r.kind, title: r.title, sku: r.sku },
    member: x.memberAfter ?? null,
    ...(refund ? { refunded: { at: refund.at, points: refund.points, member: refund.memberAfter ?? null } } : {}),
  };
}

/**
 * Exchanges a member's points for a reward. Refused when the reward is unknown, the member has
 * not the points to spend, the hub is unreachable and the offline spend limit would be passed,
 * or (a gift) none is left at this store. The same request id again answers the first exchange
 * (200); with other content, 409 `exchange_conflict`.
 */
export async function exchange(ctx: EdgeContext, by: string, body: ExchangeBody) {
  const id = docId.exchange(ctx.storeId, body.requestId);
  const hash = requestHash({ memberId: body.memberId, rewardId: body.rewardId });
  const memberId = ctx.live.index.canonical(body.memberId);
  const catalogue = await storeCatalogue(ctx);
  const isGift = catalogue.rewards.find((r) => r.id === body.rewardId)?.kind === 'gift';
  return ctx.locks.run([id, memberId, ...(isGift ? [GIFT_STOCK_LOCK] : [])], async () => {
    const existing = await getDoc(ctx, id);
    if (existing) {
      const x = ExchangeDocSchema.parse(existing);
      if (x.requestHash !== hash) throw new AppError('exchange_conflict', `exchange ${body.requestId} was made with other content`, { exchange: { id: exchangeIdOf(id) } });
      return { status: 200 as const, exchange: exchangeView(x, await refundOf(ctx, x)) };
    }
    requireMember(ctx, memberId);
    // Counted only for a gift (the stock lock is held then); a coupon reward needs no count.
    const out = isGift ? await giftsOut(ctx) : new Map<string, number>();
    const decided = decideExchange({
      catalogue,
      rewardId: body.rewardId,
      storeId: ctx.storeId,
      spendable: spendablePoints(ctx, memberId),
      offlineSpent: ctx.hub?.offlineSpent(memberId),
      offlineLimit: ctx.live.index.rules.offlineSpendLimit,
      giftsOut: (rewardId) => out.get(rewardId) ?? 0,
    });
    if (!decided.ok) {
      const { code, message, ...details } = decided.refusal;
      throw new AppError(code, message, details);
    }
    const reward = decided.reward;
    const { now, today } = moment(ctx);
    const docs: AnyDoc[] = [];
    let couponCode: string | undefined;
    if (reward.kind === 'coupon') {
      const template = ctx.live.index.templates.get(reward.templateId);
      if (!template) throw new AppError('template_not_found', `reward ${reward.id}: coupon template '${reward.templateId}' has not reached this store`);
      const coupon = couponForExchange(template, { storeId: ctx.storeId, requestId: body.requestId, memberId, issuedAt: ctx.clock() });
      couponCode = coupon.code;
      docs.push(coupon);
    }
    const x: ExchangeDoc = {
      _id: id,
      type: 'exchange',
      storeId: ctx.storeId,
      requestId: body.requestId,
      by,
      memberId,
      reward: reward.kind === 'coupon' ? { kind: 'coupon', id: reward.id, title: reward.title, templateId: reward.templateId, couponCode: couponCode! } : { kind: 'gift', id: reward.id, title: reward.title, sku: reward.sku },
      catalogueVersion: catalogue.version,
      points: reward.points,
      at: now,
      day: today,
      requestHash: hash,
    };
    docs.unshift(x, { ...ledgerEntry(ctx, memberId, exchangeCause(id), { delta: -reward.points, reason: 'exchange', ref: id }), reward: { id: reward.id, title: reward.title } });
    const preview = ctx.live.index.preview(memberId, docs, today);
    x.memberAfter = { id: memberId, tier: preview.tier.code, points: { balance: preview.points } };
    const { conflicts } = await ctx.live.write(docs);
    if (conflicts.length > 0) throw new AppError('internal', `exchange facts already existed: ${conflicts.join(', ')}`);
    ctx.hub?.noteSpent(memberId, reward.points);
    if (reward.kind === 'gift') await noteGift(ctx, reward.id, 1);
    return { status: 201 as const, exchange: exchangeView(x) };
  });
}

async function refundOf(ctx: EdgeContext, x: ExchangeDoc): Promise<ExchangeRefundDoc | undefined> {
  const doc = await getDoc(ctx, docId.exchangeRefund(x.storeId, x.requestId));
  return doc ? ExchangeRefundDocSchema.parse(doc) : undefined;
}

/**
 * Gives an exchange back: the points return, the coupon it made is void (no till accepts it
 * after), a gift's unit goes back into this store's stock. At the store that made it, here and
 * offline too (decision 020); an exchange another store made is given back through the hub
 * (decision 031). Refused when the coupon was redeemed already. Once per exchange: asked again
 * at the store that gave it back, the same answer; anywhere else, 409 `exchange_refunded`.
 */
export async function refundExchange(ctx: EdgeContext, by: string, publicId: string) {
  const of = exchangeOfPublicId(publicId);
  if (!of) throw new AppError('exchange_not_found', `no exchange ${publicId}`);
  const { storeId, requestId } = of;
  if (storeId !== ctx.storeId) return refundElsewhere(ctx, by, publicId, of);
  const id = docId.exchange(storeId, requestId);
  const found = await getDoc(ctx, id);
  if (!found) throw new AppError('exchange_not_found', `no exchange ${publicId} at this store`);
  const x = ExchangeDocSchema.parse(found);
  const memberId = ctx.live.index.canonical(x.memberId);
  return ctx.locks.run([id, memberId, ...(x.reward.kind === 'gift' ? [GIFT_STOCK_LOCK] : [])], async () => {
    const already = await refundOf(ctx, x);
    if (already && already.storeId !== ctx.storeId) throw refundedAt(publicId, already.storeId);
    if (already) return { status: 200 as const, exchange: exchangeView(x, already) };
    const code = x.reward.kind === 'coupon' ? x.reward.couponCode : undefined;
    if (code !== undefined && ctx.live.index.redemptions.has(code)) {
      throw new AppError('exchange_coupon_used', `coupon ${code} of exchange ${publicId} was redeemed: the exchange cannot be given back`, { couponCode: code });
    }
    const { now, today } = moment(ctx);
    const refund: ExchangeRefundDoc = {
      _id: docId.exchangeRefund(storeId, requestId),
      type: 'exchange-refund',
      exchangeId: id,
      storeId,
      by,
      memberId,
      points: x.points,
      ...(code !== undefined ? { couponCode: code } : {}),
      ...(x.reward.kind === 'gift' ? { sku: x.reward.sku } : {}),
      at: now,
      day: today,
    };
    const docs: AnyDoc[] = [refund, { ...ledgerEntry(ctx, memberId, exchangeRefundCause(refund._id), { delta: x.points, reason: 'exchange_refund', ref: refund._id }), reward: { id: x.reward.id, title: x.reward.title } }];
    const preview = ctx.live.index.preview(memberId, docs, today);
    refund.memberAfter = { id: memberId, tier: preview.tier.code, points: { balance: preview.points } };
    const { conflicts } = await ctx.live.write(docs);
    if (conflicts.length > 0) throw new AppError('internal', `exchange refund facts already existed: ${conflicts.join(', ')}`);
    if (x.reward.kind === 'gift') await noteGift(ctx, x.reward.id, -1);
    return { status: 201 as const, exchange: exchangeView(x, refund) };
  });
}

const refundedAt = (publicId: string, storeId: string) => new AppError('exchange_refunded', `exchange ${publicId} was given back already, at store ${storeId}`, { refundedAt: storeId });

/** What the hub may refuse a refund with, passed on to the till as it said it. */
const PASSED_ON = new Set<ErrorCode>(['exchange_not_found', 'exchange_refunded', 'exchange_coupon_used', 'member_not_found', 'validation_failed']);

/**
 * Gives back an exchange another store made (decision 031). Only the hub sees every store's
 * refunds, so it decides, and writes the refund's facts under the ids the exchange gives (a
 * refund at the exchange's own store, even offline, lands on the same ids: the points come back
 * once). With the hub unreachable the till is told so (503 `hub_unreachable`) and nothing is
 * written. The hub's documents are written here before the answer, so the member's balance and
 * the void coupon show at once; a gift's unit is back in this store's stock.
 */
async function refundElsewhere(ctx: EdgeContext, by: string, publicId: string, of: { storeId: string; requestId: string }) {
  const refundId = docId.exchangeRefund(of.storeId, of.requestId);
  return ctx.locks.run([docId.exchange(of.storeId, of.requestId), GIFT_STOCK_LOCK], async () => {
    // Given back already, as far as this store knows: no need to ask (and so also offline).
    const known = await getDoc(ctx, refundId);
    if (known) throw refundedAt(publicId, ExchangeRefundDocSchema.parse(known).storeId);
    // Its coupon redeemed here (the hub may not have that receipt yet): not given back.
    const mine = ExchangeDocSchema.safeParse(await getDoc(ctx, docId.exchange(of.storeId, of.requestId)));
    const code = mine.success && mine.data.reward.kind === 'coupon' ? mine.data.reward.couponCode : undefined;
    if (code !== undefined && ctx.live.index.redemptions.has(code)) {
      throw new AppError('exchange_coupon_used', `coupon ${code} of exchange ${publicId} was redeemed: the exchange cannot be given back`, { couponCode: code });
    }
    const answer = ctx.hub ? await ctx.hub.refundExchange(publicId, { by }) : 'unreachable';
    if (answer === 'unreachable') {
      throw new AppError('hub_unreachable', `exchange ${publicId} was made at store ${of.storeId}: it is given back here through HQ, which this store cannot reach now (or at store ${of.storeId} itself)`);
    }
    if ('error' in answer) {
      const code = answer.error.code as ErrorCode;
      const { refundedAt: at, couponCode } = answer.error as { refundedAt?: unknown; couponCode?: unknown };
      const details = { ...(typeof at === 'string' ? { refundedAt: at } : {}), ...(typeof couponCode === 'string' ? { couponCode } : {}) };
      if (PASSED_ON.has(code) && code in ERRORS) throw new AppError(code, answer.error.message.slice(0, 300), details);
      throw new AppError('internal', 'the hub refused the refund');
    }
    const x = ExchangeDocSchema.safeParse(answer.docs.find((d) => d._id === docId.exchange(of.storeId, of.requestId)));
    const refund = ExchangeRefundDocSchema.safeParse(answer.docs.find((d) => d._id === refundId));
    if (!x.success || !refund.success) throw new AppError('internal', 'the hub answered the refund without its documents');
    // The stock's count read before the refund is written, so that it is counted once.
    if (x.data.reward.kind === 'gift') await giftsOut(ctx);
    await ctx.live.applyFromHub(answer.docs);
    if (x.data.reward.kind === 'gift' && refund.data.storeId === ctx.storeId) await noteGift(ctx, x.data.reward.id, -1);
    const memberId = ctx.live.index.canonical(refund.data.memberId);
    const after = ctx.live.index.preview(memberId, [], moment(ctx).today);
    return { status: 201 as const, exchange: exchangeView(x.data, { ...refund.data, memberAfter: { id: memberId, tier: after.tier.code, points: { balance: after.points } } }) };
  });
}
