import { docId } from './doc-ids.ts';
import { safeText } from './safe-text.ts';
import { identityKey, IDENTITY_TYPES, type IdentityType } from './identity-keys.ts';
import { EXCHANGE_LEDGER_SIGNS, exchangeCouponDocRefusal, exchangeDocRefusal, exchangeLedgerDocRefusal, exchangeRefundDocRefusal } from './catalogue/exchange-facts.ts';
import { AnyDocSchema, HeartbeatDocSchema, type AnyDoc, type CouponDoc, type LedgerDoc, type OrderDoc } from './schemas/documents.ts';

/*
 * What a store may push to the hub, judged on the document alone (design.md, principle 8: the hub
 * trusts no store). The replication gateway applies this to every document of every _bulk_docs;
 * what needs the hub's knowledge (does the order exist, is the member registered there, do the
 * rules give these points) is judged when the hub ingests the store's changes (fact-checks.ts).
 */

/** Ledger reasons a store writes, and the sign each must have; 'adjust' is the hub's alone. */
const STORE_LEDGER_SIGN = new Map<string, 1 | -1>([
  ['join', 1],
  ['earn', 1],
  ['interaction', 1],
  ['return', 1],
  ['redeem', -1],
  ['clawback', -1],
  ...EXCHANGE_LEDGER_SIGNS,
  // A tier gift (decision 019): pts:<member>:birthday:<year>, judged at ingest against the rules.
  ['birthday', 1],
]);

const MAX_ID = 300;
const STORE_TYPES = ['order', 'refund', 'redeem', 'event', 'pts', 'member', 'idk', 'consent'];
/** Points catalogue (decision 020): an exchange, its refund, and the coupon an exchange made; a coupon may also be a tier gift (decision 019). */
const EXCHANGE_TYPES = ['exchange', 'exchange-refund', 'coupon'];
/** The special fields a store's document may carry: its id, and the revisions replication sends. */
const SPECIAL_FIELDS = new Set(['_id', '_rev', '_revisions', '_deleted', '_attachments']);

/**
 * Why a store may not push this document, or undefined when it may as far as the document
 * itself tells: valid against the same schemas the node writes with, its own facts under the ids
 * they must have, and arithmetic that adds up.
 *
 * @example storeDocRefusal({ _id: 'rules:loyalty', type: 'rules', rules: {} }, 'S001') // 'documents of type rules are written by the hub'
 */
export function storeDocRefusal(raw: unknown, storeId: string): string | undefined {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return 'not a document';
  const doc = raw as Record<string, unknown>;
  if (typeof doc._id !== 'string' || doc._id.length === 0) return 'not a document';
  if (doc._id.length > MAX_ID) return `an _id longer than ${MAX_ID} characters`;
  if (doc._deleted) return 'facts are never deleted';
  if (doc._id.startsWith('_')) return 'design and special documents belong to the hub';
  if (doc._attachments !== undefined) return 'a store writes no attachments';
  // CouchDB refuses a whole batch over one unknown special field: refused here, one document alone.
  for (const key of Object.keys(doc)) if (key.startsWith('_') && !SPECIAL_FIELDS.has(key)) return `an unknown special field ${key.slice(0, 40)}`;
  if (doc.type === 'heartbeat') {
    if (doc._id !== `heartbeat:${storeId}`) return "another store's heartbeat";
    const hb = HeartbeatDocSchema.safeParse(doc);
    if (!hb.success) return invalid('heartbeat', hb.error.issues[0]!);
    return hb.data.storeId === storeId ? undefined : "another store's heartbeat";
  }
  const type = typeof doc.type === 'string' ? doc.type : undefined;
  if (type === undefined || ![...STORE_TYPES, ...EXCHANGE_TYPES].includes(type)) return `documents of type ${safeText(doc.type, 20)} are written by the hub`;
  const parsed = AnyDocSchema.safeParse(withoutReplicationFields(doc));
  if (!parsed.success && type === 'coupon') return `documents of type coupon are written by the hub, but for a tier gift or an exchange's (${invalid(type, parsed.error.issues[0]!)})`;
  if (!parsed.success) return invalid(type, parsed.error.issues[0]!);
  return ownFactRefusal(parsed.data, storeId);
}

/**
 * The document without what replication adds to it (`_revisions`, `_conflicts`): the coupon's
 * schema, unlike the facts' lenient ones, refuses keys it does not know.
 */
export function withoutReplicationFields<T extends Record<string, unknown>>(doc: T): T {
  // Only the strict schema needs it: the facts' lenient ones drop unknown keys themselves, and every pushed document has `_revisions`.
  if (doc.type !== 'coupon' || (!('_revisions' in doc) && !('_conflicts' in doc))) return doc;
  const { _revisions, _conflicts, ...rest } = doc;
  return rest as T;
}

/** Why a document is not one its schema accepts, in one short line. */
export function invalid(type: string, issue: { path: PropertyKey[]; message: string }): string {
  return `not a valid ${type}: ${issue.path.map(String).join('.') || '(document)'}: ${issue.message}`.slice(0, 300);
}

function ownFactRefusal(doc: AnyDoc, storeId: string): string | undefined {
  switch (doc.type) {
    case 'order':
      if (doc.storeId !== storeId) return `an order of store ${doc.storeId}`;
      if (doc._id !== docId.order(doc.storeId, doc.terminalId, doc.receiptNo)) return 'an order id must be order:<store>:<terminal>:<receipt>';
      return orderArithmeticRefusal(doc);
    case 'refund':
      if (doc.storeId !== storeId) return `a refund of store ${doc.storeId}`;
      if (!doc.orderId.startsWith('order:') || !doc._id.startsWith(`refund:${doc.orderId.slice('order:'.length)}:`)) return 'a refund id must be refund:<checkout id>:<refund>';
      if (doc.refundCents !== doc.lines.reduce((s, l) => s + l.refundCents, 0)) return 'refundCents is not the sum of its lines';
      return undefined;
    case 'redeem':
      if (doc.storeId !== storeId) return `a redemption of store ${doc.storeId}`;
      if (doc._id !== docId.redeem(doc.code)) return 'a redemption id must be redeem:<code>';
      if (!doc.orderId.startsWith(`order:${storeId}:`)) return "a redemption must name one of the store's orders";
      return undefined;
    case 'event':
      if (doc.storeId !== storeId) return `an event of store ${doc.storeId}`;
      if (!doc._id.startsWith(`event:${storeId}:${doc.memberId}:`)) return 'an event id must be event:<store>:<member>:<cause>';
      return undefined;
    case 'pts':
      return ledgerRefusal(doc, storeId);
    case 'consent':
      if (doc.storeId !== storeId) return `a consent recorded at store ${doc.storeId}`;
      if (doc.source !== 'till') return `a consent from ${doc.source} is the hub's to record`;
      if (doc._id !== docId.consent(doc.memberId, doc.channel, doc.storeId, doc.at)) return 'a consent id must be consent:<member>:<channel>:<store>:<at>';
      return undefined;
    case 'member':
      if (doc.registeredStoreId !== storeId || doc.homeStoreId !== storeId) return 'a member registered at another store';
      if (doc._id !== docId.member(doc.id)) return 'a member id must be member:<id>';
      return undefined;
    case 'coupon':
      // Two kinds: an exchange's (it names its exchange) and a tier gift.
      return doc.exchangeId === undefined ? giftCouponRefusal(doc) : exchangeCouponDocRefusal(doc, storeId);
    case 'idk': {
      if (doc._id !== docId.idk(doc.key)) return 'an identity key id must be idk:<key>';
      return wellFormedKey(doc.key) ? undefined : 'not a normalised identity key';
    }
    case 'exchange':
      return exchangeDocRefusal(doc, storeId);
    case 'exchange-refund':
      return exchangeRefundDocRefusal(doc, storeId);
    default:
      return `documents of type ${doc.type} are written by the hub`;
  }
}

function ledgerRefusal(doc: LedgerDoc, storeId: string): string | undefined {
  if (doc.storeId !== storeId) return `points of store ${doc.storeId}`;
  if (!doc._id.startsWith(`pts:${doc.memberId}:`)) return 'a ledger id must be pts:<member>:<cause>';
  const sign = STORE_LEDGER_SIGN.get(doc.reason);
  if (sign === undefined) return `points for '${doc.reason}' are the hub's to give`;
  if (doc.delta === 0 || Math.sign(doc.delta) !== sign) return `a ${doc.reason} entry must be ${sign > 0 ? 'positive' : 'negative'}`;
  if (doc.reason === 'birthday' && (!/^pts:[^:]+:birthday:\d{4}$/.test(doc._id) || doc._id.slice(-4) !== doc.day.slice(0, 4) || doc.ref !== docId.member(doc.memberId))) {
    return 'a birthday gift is pts:<member>:birthday:<year of its day> for member:<member>';
  }
  return exchangeLedgerDocRefusal(doc, storeId) ?? vestingDateRefusal(doc);
}

/**
 * A store writes one kind of coupon: a tier gift (decision 019), under the id its code gives.
 * Whether the code is the gift's derived code and the member is due it is the ingest's to judge.
 */
function giftCouponRefusal(doc: CouponDoc): string | undefined {
  if (doc._id !== docId.coupon(doc.code)) return 'a coupon id must be coupon:<code>';
  if (doc.validFrom !== doc.issuedAt || doc.validTo <= doc.validFrom) return 'a gift coupon is valid from its issue, for some time';
  return undefined;
}

// Vesting (decision 018): only a receipt's points vest, and only on a day after they were written.
function vestingDateRefusal(doc: LedgerDoc): string | undefined {
  if (doc.vestsOn === undefined) return undefined;
  if (doc.reason !== 'earn' && doc.reason !== 'clawback') return `a ${doc.reason} entry does not vest`;
  return doc.vestsOn > doc.day ? undefined : 'vestsOn must be after the day it was written';
}

/** The order's numbers add up: each line, the totals, the discounts; points only with a member. */
export function orderArithmeticRefusal(o: OrderDoc): string | undefined {
  let total = 0;
  let payable = 0;
  for (const l of o.lines) {
    if (l.totalCents !== l.qty * l.unitPriceCents) return `line ${l.sku}: totalCents is not qty x unitPriceCents`;
    if (l.discountCents + l.payableCents !== l.totalCents) return `line ${l.sku}: discount and payable do not add up to the total`;
    total += l.totalCents;
    payable += l.payableCents;
  }
  if (o.totalCents !== total) return 'totalCents is not the sum of the lines';
  if (o.payableCents !== payable) return 'payableCents is not the sum of the lines';
  if (o.couponDiscountCents + o.pointsCashCents + o.payableCents !== o.totalCents) return 'discounts and payable do not add up to the total';
  if (o.couponDiscountCents !== o.coupons.reduce((s, c) => s + c.discountCents, 0)) return 'couponDiscountCents is not the sum of the coupons';
  if (o.memberId === undefined && (o.pointsEarned > 0 || o.pointsRedeemed > 0 || o.coupons.length > 0)) return 'points and coupons need a member';
  if (o.pointsUncapped !== undefined && o.pointsUncapped <= o.pointsEarned) return 'pointsUncapped must exceed pointsEarned';
  if (o.pointsVestOn !== undefined && (o.pointsEarned === 0 || o.pointsVestOn <= o.day)) return 'pointsVestOn needs points earned and a day after the receipt'; // vesting, decision 018
  return undefined;
}

/** A key as identityKey makes it: `phone:+86…`, `card:…`, `unionid:…`, `openid:<app>:<id>`, `code:…`. */
function wellFormedKey(key: string): boolean {
  const colon = key.indexOf(':');
  const type = key.slice(0, colon) as IdentityType;
  if (colon < 1 || !(IDENTITY_TYPES as readonly string[]).includes(type)) return false;
  const value = key.slice(colon + 1);
  if (type === 'openid') {
    const sep = value.indexOf(':');
    const again = identityKey('openid', value.slice(sep + 1), value.slice(0, sep));
    return sep > 0 && again.ok && again.key === key;
  }
  const again = identityKey(type, value);
  return again.ok && again.key === key;
}
