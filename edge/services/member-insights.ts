import { StoreProfileDocSchema, type StoreProfileDoc } from '../../shared/schemas/documents.ts';
import { getDoc, type EdgeContext } from '../context.ts';

/**
 * What HQ's profiles say about a member (issue 12): the `profile:<member>` document the hub
 * projects into this store's replica, read from the replica (the hub is never asked). A member
 * merged at the hub may still have it under an id merged into them: the first found counts.
 * Undefined when the hub has sent none yet, or one this version cannot read.
 */
export async function memberInsights(ctx: EdgeContext, asked: string): Promise<StoreProfileDoc | undefined> {
  const memberId = ctx.live.index.canonical(asked);
  for (const id of [memberId, ...ctx.live.index.mergedInto(memberId)]) {
    const parsed = StoreProfileDocSchema.safeParse(await getDoc(ctx, `profile:${id}`));
    if (parsed.success) return parsed.data;
  }
  return undefined;
}
