/**
 * Document ids are the contract between stores and the hub: a fact's id is derived from what
 * makes it unique, so a retried request, a replayed change or the same fact written at two stores
 * lands on the same id instead of counting twice. See docs/decisions/001-document-ids.md.
 */

export const RULES_ID = 'rules:loyalty';
/** The points catalogue in force (issue 13, decision 020); its versions are `catalogue:points@<n>` at the hub. */
export const CATALOGUE_ID = 'catalogue:points';

/**
 * The store id on facts the hub makes itself (an operator's claw-back): no store may have it
 * (AddStoreSchema refuses it), so a store's feed never carries it as its own fact, and the
 * gateway refuses the reason ('adjust') from any store.
 */
export const HUB_STORE_ID = 'HQ';

export const docId = {
  member: (memberId: string) => `member:${memberId}`,
  alias: (fromMemberId: string) => `alias:${fromMemberId}`,
  idk: (key: string) => `idk:${key}`,
  order: (storeId: string, terminalId: string, receiptNo: string) => `order:${storeId}:${terminalId}:${receiptNo}`,
  /**
   * A refund made at another store than the order's carries that store: refund numbers are per
   * store, and the order's own store may use the same number. At the order's store the id stays
   * as it always was (stores hold those).
   */
  refund: (orderId: string, refundNo: string, atStoreId?: string) => {
    const checkout = orderId.slice('order:'.length);
    const elsewhere = atStoreId !== undefined && atStoreId !== storeOfCheckout(checkout);
    return `refund:${checkout}:${refundNo}${elsewhere ? `@${atStoreId}` : ''}`;
  },
  coupon: (code: string) => `coupon:${code}`,
  redeem: (code: string) => `redeem:${code}`,
  /** The hub's hold on a single-use coupon for one receipt while its checkout completes. */
  reservation: (code: string) => `reserve:${code}`,
  template: (id: string) => `tpl:${id}`,
  /** A ledger entry is keyed by the member and the fact that caused it. */
  pts: (memberId: string, cause: string) => `pts:${memberId}:${cause}`,
  event: (storeId: string, memberId: string, cause: string) => `event:${storeId}:${memberId}:${cause}`,
  /**
   * The hub's adjustment resolving an incident (`incident:<kind>:<key>` → cause `adjust:<kind>:<key>`):
   * one per incident, so a retried resolve lands on the same entry.
   */
  adjustment: (memberId: string, incidentId: string) => `pts:${memberId}:adjust:${incidentId.slice('incident:'.length)}`,
  /**
   * A member's consent on one channel as recorded at one store (HQ: console, import) at one
   * instant: the same request again lands on the same id.
   */
  consent: (memberId: string, channel: string, storeId: string, at: string) => `consent:${memberId}:${channel}:${storeId}:${at}`,
  /** A loss written off resolving an incident (hub-facts only, never at a store). */
  writeOff: (incidentId: string) => `writeoff:${incidentId.slice('incident:'.length)}`,
  /** Points exchanged for a reward at a store, one per request id there (decision 020). */
  exchange: (storeId: string, requestId: string) => `xchg:${storeId}:${requestId}`,
  /** The refund of that exchange: one per exchange, so a retried refund lands on it. */
  exchangeRefund: (storeId: string, requestId: string) => `xrefund:${storeId}:${requestId}`,
} as const;

/** The store that recorded a checkout (its id is `<store>:<terminal>:<receiptNo>`). */
export const storeOfCheckout = (checkoutId: string) => {
  const end = checkoutId.indexOf(':');
  return end < 0 ? '' : checkoutId.slice(0, end);
};
