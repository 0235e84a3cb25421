import { docId, storeOfCheckout } from '../shared/doc-ids.ts';
import type { Couch, Doc } from './couch/couch.ts';
import { DB, factKey, storeDbName } from './couch/databases.ts';
import type { HubMembers } from './members.ts';
import type { Stores } from './stores.ts';

/**
 * A checkout of one store asked for by another, where the shopper returns the goods: the order,
 * every refund of it the hub knows (from any store, so nothing is refunded twice) and, for a
 * member's receipt, the member with everything the till needs. Only what the hub has ingested
 * and accepted is handed on (a store's facts reach other stores no other way); a receipt not yet
 * ingested is not found, for a moment. All of it goes into the asking store's database at the
 * hub; the answer is what is stored there, revisions included.
 */
export async function orderForStore(deps: { couch: Couch; members: HubMembers; stores: Stores }, checkoutId: string, storeId: string): Promise<Doc[] | undefined> {
  const { couch, members } = deps;
  const orderStore = storeOfCheckout(checkoutId);
  if (!(await deps.stores.get(orderStore))) return undefined;
  const orderId = `order:${checkoutId}`;
  // The order's store database says which member the receipt is filed under at the hub.
  const atStore = await couch.get(storeDbName(orderStore), orderId);
  if (!atStore || atStore.type !== 'order') return undefined;
  const memberId = typeof atStore.memberId === 'string' ? atStore.memberId : undefined;
  const order = await couch.get(DB.facts, factKey(memberId, orderId));
  if (!order || !(await pointsArrived(couch, order, checkoutId))) return undefined;
  const prefix = docId.refund(orderId, '');
  const refunds = await couch.range(DB.facts, { startkey: factKey(memberId, prefix), endkey: factKey(memberId, `${prefix}\ufff0`) });
  const own = [order, ...refunds].map(({ _rev, ...d }) => ({ ...d, _id: d._id.slice(factKey(memberId, '').length) }) as Doc);
  if (!memberId) return members.projectAndRead(storeId, own);
  const target = members.canonical(memberId);
  await members.serveAt(target, storeId);
  const copy = await members.projectAndRead(storeId, [...(await members.docsOf(target)), ...own]);
  await members.copied(target, storeId);
  return copy;
}

/**
 * Whether the receipt's own points (earned, spent) have been ingested too: replication may bring
 * them in a later batch than the order, and a refund priced before they arrive would claw back
 * points the refunding store never saw earned.
 */
async function pointsArrived(couch: Couch, order: Doc, checkoutId: string): Promise<boolean> {
  const memberId = order.memberId;
  if (typeof memberId !== 'string') return true;
  const ids = [...(Number(order.pointsEarned) > 0 ? [`earn:${checkoutId}`] : []), ...(Number(order.pointsRedeemed) > 0 ? [`redeem:${checkoutId}`] : [])];
  const found = await couch.fetchDocs(DB.facts, ids.map((cause) => factKey(memberId, docId.pts(memberId, cause))));
  return found.every((d) => d !== undefined);
}
