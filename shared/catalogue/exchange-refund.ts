import { z } from 'zod';
import { docId } from '../doc-ids.ts';
import { earnedExpiry } from '../loyalty/vesting.ts';
import { StoreId } from '../schemas/common.ts';
import { ExchangeRequestId } from '../schemas/catalogue.ts';
import type { ExchangeDoc, ExchangeRefundDoc, LedgerDoc } from '../schemas/documents.ts';
import type { LoyaltyRules } from '../schemas/rules.ts';
import { exchangeRefundCause } from './exchange-facts.ts';
import { HubDocsSchema } from '../schemas/store-api.ts';

/*
 * Refunding a points exchange at another store than the one that made it (decision 031). The
 * exchange's own store refunds it as before, offline too (decision 020); any other store asks
 * the hub, which decides under a lock per exchange and writes the refund's facts itself, under
 * the ids the exchange gives (`xrefund:<exchange's store>:<request>` and its ledger entry), so
 * that whichever side refunds, the points come back once: two refunds of one exchange are one
 * document id, seen as a conflict, never as two.
 */

/** An exchange's public id, `<store>:<request id>`, as its parts; undefined when it is none. */
export function exchangeOfPublicId(publicId: string): { storeId: string; requestId: string } | undefined {
  const colon = publicId.indexOf(':');
  if (colon < 1) return undefined;
  const storeId = publicId.slice(0, colon);
  const requestId = publicId.slice(colon + 1);
  return StoreId.safeParse(storeId).success && ExchangeRequestId.safeParse(requestId).success ? { storeId, requestId } : undefined;
}

/** What the hub knows of an exchange when another store asks to refund it. */
export interface ElsewhereRefundAsk {
  exchange: ExchangeDoc;
  /** The store asking. */
  storeId: string;
  /** Whether the asking store serves the exchange's member (their facts go there). */
  served: boolean;
  /** The store whose refund of this exchange the hub knows (taken in, or pushed and not yet), if any. */
  refundedAt: string | undefined;
  /** Whether the exchange's coupon was redeemed, or is held by a checkout under way. */
  couponUsed: boolean;
}

export type ElsewhereRefundRefusal =
  | { code: 'exchange_not_found'; message: string }
  | { code: 'member_not_found'; message: string }
  | { code: 'exchange_refunded'; message: string; refundedAt: string }
  | { code: 'exchange_coupon_used'; message: string; couponCode: string };

/**
 * Why the hub does not refund an exchange for another store, or undefined when it does. In this
 * order: the exchange's own store refunds it itself; the member must be served at the asking
 * store; one refund per exchange; a coupon redeemed (or held) is not given back.
 *
 * @example elsewhereRefundRefusal({ exchange, storeId: 'S002', served: true, refundedAt: 'S001', couponUsed: false }) // { code: 'exchange_refunded', … }
 */
export function elsewhereRefundRefusal(ask: ElsewhereRefundAsk): ElsewhereRefundRefusal | undefined {
  const x = ask.exchange;
  const publicId = x._id.slice('xchg:'.length);
  if (x.storeId === ask.storeId) return { code: 'exchange_not_found', message: `exchange ${publicId} is this store's own: it refunds it at its till, without the hub` };
  if (!ask.served) return { code: 'member_not_found', message: `member ${x.memberId} is not served at store ${ask.storeId}: identify them at the till first` };
  if (ask.refundedAt !== undefined) return { code: 'exchange_refunded', message: `exchange ${publicId} was given back already, at store ${ask.refundedAt}`, refundedAt: ask.refundedAt };
  if (ask.couponUsed && x.reward.kind === 'coupon') {
    return { code: 'exchange_coupon_used', message: `coupon ${x.reward.couponCode} of exchange ${publicId} was redeemed (or is being redeemed): the exchange cannot be given back`, couponCode: x.reward.couponCode };
  }
  return undefined;
}

/**
 * The facts of a refund the hub decided for another store: the refund under the exchange's
 * refund id, naming the refunding store (a gift's unit goes back into its stock: the goods are
 * there), and the ledger entry giving back exactly the exchange's points, under the id the
 * exchange's own store would give it. Pure: the same inputs make the same documents.
 */
export function elsewhereRefundFacts(x: ExchangeDoc, at: { storeId: string; by: string; memberId: string; now: string; today: string; rules: Pick<LoyaltyRules, 'expiry'> }): [ExchangeRefundDoc, LedgerDoc] {
  const refundId = docId.exchangeRefund(x.storeId, x.requestId);
  const code = x.reward.kind === 'coupon' ? x.reward.couponCode : undefined;
  const refund: ExchangeRefundDoc = {
    _id: refundId,
    type: 'exchange-refund',
    exchangeId: x._id,
    storeId: at.storeId,
    by: at.by,
    memberId: at.memberId,
    points: x.points,
    ...(code !== undefined ? { couponCode: code } : {}),
    ...(x.reward.kind === 'gift' ? { sku: x.reward.sku } : {}),
    at: at.now,
    day: at.today,
  };
  const expiresOn = earnedExpiry(at.rules, at.today, undefined);
  const entry: LedgerDoc = {
    _id: docId.pts(at.memberId, exchangeRefundCause(refundId)),
    type: 'pts',
    memberId: at.memberId,
    delta: x.points,
    reason: 'exchange_refund',
    ref: refundId,
    storeId: at.storeId,
    at: at.now,
    day: at.today,
    ...(expiresOn ? { expiresOn } : {}),
    reward: { id: x.reward.id, title: x.reward.title },
  };
  return [refund, entry];
}

/** What a store asks the hub with: who at its till asked (a terminal, or a guide page's `guide:<name>`). */
export const ElsewhereRefundBodySchema = z.strictObject({ by: z.string().min(1).max(80) });

/** The hub's answer: the exchange, its refund and ledger entry as stored in the asking store's database (written there with new_edits: false). */
export const ElsewhereRefundAnswerSchema = z.object({ docs: HubDocsSchema });
