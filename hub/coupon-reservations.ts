import { decideReservation, type Reservation, type ReservationVerdict } from '../shared/coupon-reservation.ts';
import { docId } from '../shared/doc-ids.ts';
import type { Couch, Doc } from './couch/couch.ts';
import { DB, factKey, storeDbName } from './couch/databases.ts';
import type { HubMembers } from './members.ts';

export type CouponHold = { code: string; ok: true } | { code: string; ok: false; reason: 'redeemed_elsewhere' };

/**
 * Holds single-use coupons at the hub for a store's checkout, so that two stores that can both
 * reach the hub cannot both redeem one coupon (offline, they still can: that stays an incident).
 * One document per code in hub-reservations; CouchDB's revision check makes taking it atomic.
 */
export class CouponReservations {
  constructor(
    private readonly couch: Couch,
    private readonly members: HubMembers,
    private readonly clock: () => Date,
  ) {}

  /**
   * Holds each code for the receipt. A code the store cannot see (not in its database at the hub)
   * is refused as not found: a store's credentials must not block coupons of members it does
   * not serve. Codes are held one by one: a receipt refused one coupon keeps holds on the
   * others until they expire, which only delays a retry of that receipt elsewhere.
   */
  async reserve(storeId: string, orderId: string, codes: string[]): Promise<CouponHold[] | { notFound: string }> {
    const coupons = await this.couch.fetchDocs(storeDbName(storeId), codes.map(docId.coupon));
    const missing = codes.find((_, i) => coupons[i]?.type !== 'coupon');
    if (missing !== undefined) return { notFound: missing };
    const out: CouponHold[] = [];
    for (const [i, code] of codes.entries()) {
      const verdict = await this.hold(storeId, orderId, code, String(coupons[i]!.memberId), coupons[i]!.exchangeId);
      out.push(verdict.ok ? { code, ok: true } : { code, ok: false, reason: verdict.reason });
    }
    return out;
  }

  private async hold(storeId: string, orderId: string, code: string, holder: string, exchangeId: unknown): Promise<ReservationVerdict> {
    const redeemedBy = (await this.redemptionOf(code, holder)) ?? (await this.voidedBy(exchangeId, holder));
    let verdict: ReservationVerdict = { ok: true };
    // update() reads again and re-decides when another store wrote in between.
    await this.couch.update<Reservation & Doc>(DB.reservations, docId.reservation(code), (cur) => {
      verdict = decideReservation({ code, orderId, storeId, now: this.clock(), ...(cur ? { existing: cur } : {}), ...(redeemedBy ? { redeemedBy } : {}) });
      return verdict.ok && verdict.write ? { _id: docId.reservation(code), type: 'reservation', ...verdict.write } : undefined;
    });
    return verdict;
  }

  /** The refund that voided an exchange's coupon (decision 020): held for it, the coupon is used up. */
  private async voidedBy(exchangeId: unknown, holder: string): Promise<string | undefined> {
    if (typeof exchangeId !== 'string' || !exchangeId.startsWith('xchg:')) return undefined;
    const refundId = `xrefund:${exchangeId.slice('xchg:'.length)}`;
    const ids = [...new Set([holder, this.members.canonical(holder)])];
    const found = await this.couch.fetchDocs(DB.facts, ids.map((m) => factKey(m, refundId)));
    return found.some((d) => d !== undefined) ? refundId : undefined;
  }

  /** The receipt whose redemption of the coupon the hub holds, under its holder's id or the id it was merged into. */
  private async redemptionOf(code: string, holder: string): Promise<string | undefined> {
    const ids = [...new Set([holder, this.members.canonical(holder)])];
    const found = await this.couch.fetchDocs(DB.facts, ids.map((m) => factKey(m, docId.redeem(code))));
    const fact = found.find((d) => d !== undefined);
    return fact ? String(fact.orderId) : undefined;
  }
}
