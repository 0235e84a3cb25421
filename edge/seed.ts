import { rng, seedMemberDocs } from '../shared/seed-members.ts';
import type { AnyDoc } from '../shared/schemas/documents.ts';
import type { EdgeContext } from './context.ts';

export { seedMemberCode, seedMemberId, seedPhone } from '../shared/seed-members.ts';

/**
 * Fills the replica with `count` synthetic members, as if the hub had projected them (a node
 * without a hub: demo, bench). Re-running it rewrites nothing: documents that exist are left.
 */
export async function seedMembers(ctx: EdgeContext, count: number, opts: { seed?: number; onProgress?: (done: number) => void } = {}) {
  const random = rng(opts.seed ?? 42);
  const at = { storeId: ctx.storeId, timeZone: ctx.timeZone, rules: ctx.live.index.rules, now: ctx.clock() };
  const batch = 2000;
  for (let start = 0; start < count; start += batch) {
    const docs: AnyDoc[] = [];
    for (let i = start; i < Math.min(count, start + batch); i++) docs.push(...seedMemberDocs(i, random, at));
    await ctx.live.write(docs);
    opts.onProgress?.(Math.min(count, start + batch));
  }
  await ctx.live.persist();
}
