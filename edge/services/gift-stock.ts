import { ExchangeDocSchema, ExchangeRefundDocSchema } from '../../shared/schemas/documents.ts';
import type { EdgeContext } from '../context.ts';
import type { LiveIndex } from '../live-index.ts';

/*
 * Units of each gift exchanged at this store and not given back here (decision 020). The store is
 * the authority on its own stock: its own exchanges (`xchg:<store>:…`) take a unit, and the
 * refunds made here give one back, whichever store's exchange they refund (decision 031: a gift
 * returned at another store is back in that store's stock, the goods being there), so a store
 * that took more back than it handed out has a negative count. Counted once from the database,
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
  // Refunds made here: of this store's exchanges, and those the hub decided for it of another's.
  const here = (await range('xrefund:')).flatMap((doc) => {
    const r = ExchangeRefundDocSchema.safeParse(doc);
    return r.success && r.data.storeId === ctx.storeId && r.data.sku !== undefined ? [r.data] : [];
  });
  const elsewhere = here.filter((r) => !exchanges.has(r.exchangeId)).map((r) => r.exchangeId);
  if (elsewhere.length > 0) {
    for (const row of (await ctx.live.db.allDocs({ keys: elsewhere, include_docs: true })).rows) {
      const x = ExchangeDocSchema.safeParse('doc' in row ? row.doc : undefined);
      if (x.success && x.data.reward.kind === 'gift') exchanges.set(x.data._id, x.data.reward.id);
    }
  }
  for (const r of here) {
    const rewardId = exchanges.get(r.exchangeId);
    if (rewardId !== undefined) out.set(rewardId, (out.get(rewardId) ?? 0) - 1);
  }
  return out;
}

/** Notes a gift unit handed out (+1) or given back here (-1), after its fact is written. */
export async function noteGift(ctx: EdgeContext, rewardId: string, units: 1 | -1): Promise<void> {
  const book = await giftsOut(ctx);
  book.set(rewardId, (book.get(rewardId) ?? 0) + units);
}
