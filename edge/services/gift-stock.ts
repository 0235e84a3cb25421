import { ExchangeDocSchema, ExchangeRefundDocSchema } from '../../shared/schemas/documents.ts';
import type { EdgeContext } from '../context.ts';
import type { LiveIndex } from '../live-index.ts';

/*
 * Units of each gift exchanged at this store and not given back (decision 020). The store is the
 * authority on its own stock: only its own exchanges and refunds (`xchg:<store>:…`,
 * `xrefund:<store>:…`, written by this process alone) move it. Counted once from the database,
 * then kept as they are written; callers hold the `GIFT_STOCK_LOCK` for both, so the count and
 * the writes never interleave.
 */

/** The lock every gift exchange and gift refund at a store holds: one at a time, so stock never goes below zero. */
export const GIFT_STOCK_LOCK = 'gift-stock';

// Per replica, so a test's or a restarted node's fresh replica counts afresh.
const books = new WeakMap<LiveIndex, Promise<Map<string, number>>>();

/** Units out per gift reward id (call with GIFT_STOCK_LOCK held). */
export function giftsOut(ctx: EdgeContext): Promise<Map<string, number>> {
  let book = books.get(ctx.live);
  if (!book) {
    book = countGifts(ctx);
    books.set(ctx.live, book);
    book.catch(() => books.get(ctx.live) === book && books.delete(ctx.live));
  }
  return book;
}

async function countGifts(ctx: EdgeContext): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const range = async (prefix: string) => (await ctx.live.db.allDocs({ startkey: prefix, endkey: `${prefix}\ufff0`, include_docs: true })).rows.map((r) => r.doc);
  const exchanges = new Map<string, string>();
  for (const doc of await range(`xchg:${ctx.storeId}:`)) {
    const x = ExchangeDocSchema.safeParse(doc);
    if (!x.success || x.data.reward.kind !== 'gift') continue;
    exchanges.set(x.data._id, x.data.reward.id);
    out.set(x.data.reward.id, (out.get(x.data.reward.id) ?? 0) + 1);
  }
  for (const doc of await range(`xrefund:${ctx.storeId}:`)) {
    const r = ExchangeRefundDocSchema.safeParse(doc);
    const rewardId = r.success ? exchanges.get(r.data.exchangeId) : undefined;
    if (rewardId !== undefined) out.set(rewardId, (out.get(rewardId) ?? 1) - 1);
  }
  return out;
}

/** Notes a gift unit handed out (+1) or given back (-1), after its fact is written. */
export async function noteGift(ctx: EdgeContext, rewardId: string, units: 1 | -1): Promise<void> {
  const book = await giftsOut(ctx);
  book.set(rewardId, Math.max(0, (book.get(rewardId) ?? 0) + units));
}
