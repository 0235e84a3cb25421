import { LedgerDocSchema } from '../../shared/schemas/documents.ts';
import { moment, type EdgeContext } from '../context.ts';
import { requireMember } from './members.ts';

/** The member's balance and the ledger entries this store holds, newest first. */
export async function pointsStatement(ctx: EdgeContext, asked: string, limit: number) {
  const memberId = ctx.live.index.canonical(asked);
  requireMember(ctx, memberId);
  // A merged member's entries are also under the ids merged into it.
  const docs = [];
  for (const id of [memberId, ...ctx.live.index.mergedInto(memberId)]) {
    const prefix = `pts:${id}:`;
    docs.push(...(await ctx.live.db.allDocs({ startkey: prefix, endkey: `${prefix}\ufff0`, include_docs: true })).rows.map((r) => r.doc));
  }
  const ledger = docs
    .map((doc) => LedgerDocSchema.safeParse(doc))
    .flatMap((p) => (p.success ? [p.data] : []))
    .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))
    .slice(0, limit)
    .map((e) => ({ id: e._id, delta: e.delta, reason: e.reason, ref: e.ref, storeId: e.storeId, at: e.at, expiresOn: e.expiresOn ?? null, ...(e.vestsOn ? { vestsOn: e.vestsOn } : {}), ...(e.reward ? { reward: e.reward } : {}) }));
  const balance = ctx.live.index.balance(memberId, moment(ctx).today);
  return {
    memberId,
    balance: balance.balance,
    expired: balance.expired,
    nextExpiry: balance.nextExpiry ?? null,
    pending: balance.pending ?? 0,
    nextVesting: balance.nextVesting ?? null,
    ledger,
  };
}
