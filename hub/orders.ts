import { docId, storeOfCheckout } from '../shared/doc-ids.ts';
import type { Couch, Doc } from './couch/couch.ts';
import { DB, factKey, storeDbName } from './couch/databases.ts';
import type { HubMembers } from './members.ts';
import type { Stores } from './stores.ts';

/**
 * A checkout of one store asked for by another, where the shopper returns the goods: the order,
 * every refund of it the hub knows (from any store, so nothing is refunded twice) and, for a
 * member's receipt, the member with everything the till needs. All of it goes into the asking
 * store's database at the hub; the answer is what is stored there, revisions included.
 */
export async function orderForStore(deps: { couch: Couch; members: HubMembers; stores: Stores }, checkoutId: string, storeId: string): Promise<Doc[] | undefined> {
  const { couch, members } = deps;
  const orderStore = storeOfCheckout(checkoutId);
  if (!(await deps.stores.get(orderStore))) return undefined;
  const orderId = `order:${checkoutId}`;
  const order = await couch.get(storeDbName(orderStore), orderId);
  if (!order || order.type !== 'order') return undefined;
  const memberId = typeof order.memberId === 'string' ? order.memberId : undefined;
  const prefix = `${docId.refund(orderId, '')}`;
  const fromOrderStore = await couch.range(storeDbName(orderStore), { startkey: prefix, endkey: `${prefix}\ufff0` });
  const gathered = await couch.range(DB.facts, { startkey: factKey(memberId, prefix), endkey: factKey(memberId, `${prefix}\ufff0`) });
  const refunds = [...fromOrderStore.filter((d) => d.type === 'refund'), ...gathered.map((d) => ({ ...d, _id: d._id.slice(factKey(memberId, '').length) }))];
  const own = [order, ...refunds].map(({ _rev, ...d }) => d as Doc);
  if (!memberId) return members.projectAndRead(storeId, own);
  const target = members.canonical(memberId);
  await members.addRelevance(target, storeId);
  return members.projectAndRead(storeId, [...(await members.docsOf(target)), ...own]);
}
