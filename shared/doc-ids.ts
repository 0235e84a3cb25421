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
  refund: (orderId: string, refundNo: string) => `refund:${orderId.slice('order:'.length)}:${refundNo}`,
  coupon: (code: string) => `coupon:${code}`,
  redeem: (code: string) => `redeem:${code}`,
  template: (id: string) => `tpl:${id}`,
  /** A ledger entry is keyed by the member and the fact that caused it. */
  pts: (memberId: string, cause: string) => `pts:${memberId}:${cause}`,
  event: (storeId: string, memberId: string, cause: string) => `event:${storeId}:${memberId}:${cause}`,
} as const;
