import { elsewhereRefundFacts, elsewhereRefundRefusal, exchangeOfPublicId } from '../../shared/catalogue/exchange-refund.ts';
import { decideReservation, type Reservation } from '../../shared/coupon-reservation.ts';
import { docId } from '../../shared/doc-ids.ts';
import { AppError } from '../../shared/errors.ts';
import { localDate } from '../../shared/local-time.ts';
import { ExchangeDocSchema } from '../../shared/schemas/documents.ts';
import { KeyedLock } from '../../edge/keyed-lock.ts';
import { stripRev, type Couch, type Doc } from '../couch/couch.ts';
import { DB, factKey, storeDbName } from '../couch/databases.ts';
import type { HubMembers } from '../members.ts';
import { currentRules } from '../rules.ts';

/*
 * Refunds of a points exchange asked by another store than the one that made it (decision 031).
 * The hub is the one place that sees both stores, so it decides, one refund of an exchange at a
 * time in this process (the hub is one process), and writes the refund's facts itself: centrally
 * first (so the asking store's ingest finds them held, not a store's claim to judge), then into
 * the asking store's database (read back with their revisions for its till to write), then the
 * member's other stores, the exchange's own among them, whose till then answers that the
 * exchange was given back.
 */

export class ExchangeRefunds {
  private readonly locks = new KeyedLock();

  constructor(private readonly deps: { couch: Couch; members: HubMembers; clock: () => Date }) {}

  /**
   * Refunds exchange `publicId` (`<store>:<request>`) for store `asking`, asked at its till by
   * `by`: the exchange, its refund and the refund's ledger entry as stored in the asking store's
   * database. Refused (nothing written) when the hub has not taken the exchange in, the member is
   * not served there, the exchange was refunded already (anywhere), or its coupon is used.
   */
  async refund(asking: { id: string; timeZone: string }, publicId: string, by: string): Promise<Doc[]> {
    const { couch, members, clock } = this.deps;
    const of = exchangeOfPublicId(publicId);
    if (!of) throw new AppError('exchange_not_found', 'an exchange id is <store>:<request id>');
    const id = docId.exchange(of.storeId, of.requestId);
    return this.locks.run([id], async () => {
      // The exchange as its store pushed it gives its member; only the copy the hub took in
      // (judged at ingest, decision 020 point 4) counts.
      const pushed = await couch.get(storeDbName(of.storeId), id).catch(() => undefined);
      const memberOf = typeof pushed?.memberId === 'string' ? pushed.memberId : undefined;
      const central = memberOf === undefined ? undefined : await couch.get(DB.facts, factKey(memberOf, id));
      const stored = central && { ...stripRev(central), _id: id };
      const parsed = stored ? ExchangeDocSchema.safeParse(stored) : undefined;
      if (!parsed?.success) throw new AppError('exchange_not_found', `the hub has not taken in exchange ${publicId} (yet): try again once store ${of.storeId} has synced`);
      const x = parsed.data;
      const memberId = members.canonical(x.memberId);
      const refundId = docId.exchangeRefund(of.storeId, of.requestId);
      const ids = [...new Set([x.memberId, memberId])];
      // A refund the hub holds, or one the exchange's store pushed that is not taken in yet.
      const [held, pushedRefund] = await Promise.all([couch.fetchDocs(DB.facts, ids.map((m) => factKey(m, refundId))), couch.get(storeDbName(of.storeId), refundId).catch(() => undefined)]);
      const refund = held.find((d) => d !== undefined) ?? pushedRefund;
      const code = x.reward.kind === 'coupon' ? x.reward.couponCode : undefined;
      const ask = { exchange: x, storeId: asking.id, served: (await members.relevantStores(memberId)).includes(asking.id), refundedAt: refund ? String(refund.storeId ?? of.storeId) : undefined, couponUsed: false };
      // The coupon is held only for a refund otherwise due: a refused one must not keep it from a till.
      let refusal = elsewhereRefundRefusal(ask);
      if (!refusal && code !== undefined && !(await this.holdCoupon(code, ids, refundId, asking.id))) refusal = elsewhereRefundRefusal({ ...ask, couponUsed: true });
      if (refusal) {
        const { code: error, message, ...details } = refusal;
        throw new AppError(error, message, details);
      }
      const now = clock();
      const facts = elsewhereRefundFacts(x, { storeId: asking.id, by, memberId, now: now.toISOString(), today: localDate(now, asking.timeZone), rules: await currentRules(couch) });
      const results = await couch.insertNew(DB.facts, facts.map((f) => ({ ...f, _id: factKey(memberId, f._id) }) as unknown as Doc));
      if (results.includes('exists')) throw new AppError('internal', `the refund facts of ${publicId} exist already`);
      const docs = await members.projectAndRead(asking.id, [stored as Doc, ...(facts as unknown as Doc[])]);
      const others = (await members.relevantStores(memberId)).filter((s) => s !== asking.id);
      await members.projectTo([...new Set([...others, of.storeId])], facts as unknown as Doc[]);
      return docs;
    });
  }

  /**
   * Holds the exchange's coupon for its refund, as a checkout holds a coupon it redeems
   * (hub/coupon-reservations.ts): refused when a receipt redeemed it or a checkout under way
   * holds it. Held (for the usual few minutes; then the refund fact voids it), no checkout can
   * take it between this decision and the refund's facts.
   */
  private async holdCoupon(code: string, memberIds: string[], refundId: string, storeId: string): Promise<boolean> {
    const redeemed = (await this.deps.couch.fetchDocs(DB.facts, memberIds.map((m) => factKey(m, docId.redeem(code))))).find((d) => d !== undefined);
    let ok = false;
    await this.deps.couch.update<Reservation & Doc>(DB.reservations, docId.reservation(code), (cur) => {
      const verdict = decideReservation({ code, orderId: refundId, storeId, now: this.deps.clock(), ...(cur ? { existing: cur } : {}), ...(redeemed ? { redeemedBy: String(redeemed.orderId) } : {}) });
      ok = verdict.ok;
      return verdict.ok && verdict.write ? { _id: docId.reservation(code), type: 'reservation', ...verdict.write } : undefined;
    });
    return ok;
  }
}
