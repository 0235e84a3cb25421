import { docId } from '../doc-ids.ts';
import { exchangeCouponCode } from '../ids.ts';
import type { CouponDoc, ExchangeDoc, ExchangeRefundDoc, LedgerDoc } from '../schemas/documents.ts';
import type { PointsCatalogue, Reward } from '../schemas/catalogue.ts';
import type { CouponTemplate } from '../schemas/coupon.ts';
import { exchangeOfCoupon } from './exchange-coupon.ts';
import { pricedInSomeVersion } from './exchange-price.ts';

/*
 * The hub trusts no store (decision 008) with exchanges either (decision 020). Two checks, as for
 * every fact: on the document alone at the gateway (`*DocRefusal`), and against what the hub
 * knows at ingest (`*FactRefusal`, called from shared/fact-checks.ts).
 */

/** The ledger reasons of exchanges, and the sign a store's entry must have. */
export const EXCHANGE_LEDGER_SIGNS: ReadonlyArray<readonly [string, 1 | -1]> = [
  ['exchange', -1],
  ['exchange_refund', 1],
];

/** The cause part of an exchange's ledger entry id: `pts:<member>:exchange:<store>:<request>`. */
export const exchangeCause = (exchangeId: string) => `exchange:${exchangeId.slice('xchg:'.length)}`;
export const exchangeRefundCause = (refundId: string) => `exchange_refund:${refundId.slice('xrefund:'.length)}`;

/** Gateway: an exchange under its derived id, its coupon's code the one derived from it. */
export function exchangeDocRefusal(doc: ExchangeDoc, storeId: string): string | undefined {
  if (doc.storeId !== storeId) return `an exchange of store ${doc.storeId}`;
  if (doc._id !== docId.exchange(storeId, doc.requestId)) return 'an exchange id must be xchg:<store>:<request>';
  if (doc.reward.kind === 'coupon' && doc.reward.couponCode !== exchangeCouponCode(storeId, doc.requestId)) return "an exchange's coupon code is derived from its store and request";
  return undefined;
}

/** Gateway: a refund under the id its exchange gives, at the exchange's own store. */
export function exchangeRefundDocRefusal(doc: ExchangeRefundDoc, storeId: string): string | undefined {
  if (doc.storeId !== storeId) return `an exchange refund of store ${doc.storeId}`;
  const of = exchangeOfCoupon(doc.exchangeId);
  if (!of || of.storeId !== storeId) return "a store refunds only its own exchanges";
  if (doc._id !== docId.exchangeRefund(storeId, of.requestId)) return 'an exchange refund id must be xrefund:<store>:<request>';
  return undefined;
}

/**
 * Gateway: a store's exchange ledger entry names one of its own exchanges or refunds. The entry
 * of a refund another store asked for is the hub's to write (decision 031), never a store's.
 */
export function exchangeLedgerDocRefusal(doc: LedgerDoc, storeId: string): string | undefined {
  const prefix = doc.reason === 'exchange' ? `xchg:${storeId}:` : doc.reason === 'exchange_refund' ? `xrefund:${storeId}:` : undefined;
  if (prefix === undefined || doc.ref.startsWith(prefix)) return undefined;
  return `${doc.reason} points of another store's exchange are the hub's to give`;
}

/** Gateway: the one coupon a store may write, an exchange's, under the code derived from it. */
export function exchangeCouponDocRefusal(doc: CouponDoc, storeId: string): string | undefined {
  const of = exchangeOfCoupon(doc.exchangeId);
  if (!of) return 'coupons are issued by the hub';
  if (of.storeId !== storeId) return `a coupon of an exchange at store ${of.storeId}`;
  if (doc.code !== exchangeCouponCode(storeId, of.requestId) || doc._id !== docId.coupon(doc.code)) return "an exchange's coupon code is derived from its store and request";
  return undefined;
}

/** What the hub knows that the ingest checks of exchanges need. */
export interface ExchangeEvidence {
  storeId: string;
  /** Every version of the points catalogue the hub has had. */
  catalogues: readonly PointsCatalogue[];
  /** Every version of a coupon template the hub has had (empty: no such template). */
  templates(id: string): readonly CouponTemplate[];
  fact(id: string): unknown;
  sameMember(a: string | undefined, b: string | undefined): boolean;
  knownHere(memberId: string): boolean;
}

const asExchange = (d: unknown) => (d && (d as { type?: unknown }).type === 'exchange' ? (d as ExchangeDoc) : undefined);
const asRefund = (d: unknown) => (d && (d as { type?: unknown }).type === 'exchange-refund' ? (d as ExchangeRefundDoc) : undefined);

/** Ingest: the reward is in some catalogue version at that price, for a member served here. */
export function exchangeFactRefusal(x: ExchangeDoc, ev: ExchangeEvidence): string | undefined {
  if (!ev.knownHere(x.memberId)) return `member ${x.memberId} is not served at ${ev.storeId}`;
  const r = x.reward;
  const same = (c: Reward) => c.kind === r.kind && (c.kind === 'coupon' ? r.kind === 'coupon' && c.templateId === r.templateId : r.kind === 'gift' && c.sku === r.sku);
  if (!pricedInSomeVersion(ev.catalogues, r.id, x.points, same)) return `no version of the points catalogue has reward ${r.id} (${r.kind}) at ${x.points} points`;
  return undefined;
}

/** Ingest: the refund gives back exactly what its exchange took, for the same member. */
export function exchangeRefundFactRefusal(d: ExchangeRefundDoc, ev: ExchangeEvidence): string | undefined {
  const x = asExchange(ev.fact(d.exchangeId));
  if (!x) return `a refund of ${d.exchangeId}, which the hub does not have`;
  // The hub's own refunds for another store (decision 031) are stored before any store has them, so never judged here.
  if (d.storeId !== x.storeId) return `a refund of ${d.exchangeId} at store ${d.storeId} is the hub's to decide, not a store's`;
  if (!ev.sameMember(x.memberId, d.memberId)) return 'the refund names another member than its exchange';
  if (d.points !== x.points) return `${d.exchangeId} took ${x.points} points, not ${d.points}`;
  const code = x.reward.kind === 'coupon' ? x.reward.couponCode : undefined;
  if (d.couponCode !== code) return `${d.exchangeId} made ${code ? `coupon ${code}` : 'no coupon'}`;
  return undefined;
}

/** Ingest: the coupon is the one its exchange names, for its member, on the terms of its template. */
export function exchangeCouponFactRefusal(c: CouponDoc, ev: ExchangeEvidence): string | undefined {
  const x = asExchange(c.exchangeId === undefined ? undefined : ev.fact(c.exchangeId));
  if (!x) return `a coupon of ${c.exchangeId}, which the hub does not have`;
  if (x.reward.kind !== 'coupon' || x.reward.couponCode !== c.code) return `${x._id} did not make coupon ${c.code}`;
  if (!ev.sameMember(x.memberId, c.memberId)) return `${x._id} made its coupon for ${x.memberId}`;
  const days = (Date.parse(c.validTo) - Date.parse(c.validFrom)) / 86_400_000;
  const fits = ev.templates(x.reward.templateId).some(
    (t) => t.id === c.templateId && JSON.stringify(t.terms) === JSON.stringify(c.terms) && JSON.stringify(t.scope) === JSON.stringify(c.scope) && days <= t.validDays,
  );
  return fits ? undefined : `coupon ${c.code} is not on the terms of any version of template ${x.reward.templateId}`;
}

/** Ingest: an exchange's ledger entry names it and moves exactly its points. */
export function exchangeLedgerFactRefusal(p: LedgerDoc, ev: ExchangeEvidence): string | undefined {
  if (p.reason === 'exchange') {
    const x = asExchange(ev.fact(p.ref));
    if (!x) return `exchange points for ${p.ref}, which the hub does not have`;
    if (p._id !== docId.pts(p.memberId, exchangeCause(x._id)) || !ev.sameMember(x.memberId, p.memberId)) return `${p._id} does not belong to ${p.ref}`;
    return p.delta === -x.points ? undefined : `${p.ref} takes ${x.points} points, not ${-p.delta}`;
  }
  const d = asRefund(ev.fact(p.ref));
  if (!d) return `exchange refund points for ${p.ref}, which the hub does not have`;
  if (p._id !== docId.pts(p.memberId, exchangeRefundCause(d._id)) || !ev.sameMember(d.memberId, p.memberId) || p.storeId !== d.storeId) return `${p._id} does not belong to ${p.ref}`;
  return p.delta === d.points ? undefined : `${p.ref} gives back ${d.points} points, not ${p.delta}`;
}
