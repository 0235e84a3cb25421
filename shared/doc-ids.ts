/**
 * Document ids are the contract between stores and the hub: a fact's id is derived from what
 * makes it unique, so a retried request, a replayed change or the same fact written at two stores
 * lands on the same id instead of counting twice. See docs/decisions/001-document-ids.md.
 */

export const RULES_ID = 'rules:loyalty';

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
} as const;

/** The store that recorded a checkout (its id is `<store>:<terminal>:<receiptNo>`). */
export const storeOfCheckout = (checkoutId: string) => {
  const end = checkoutId.indexOf(':');
  return end < 0 ? '' : checkoutId.slice(0, end);
};
